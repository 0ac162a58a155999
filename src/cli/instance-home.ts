/** Resolves the instance home the CLI works on: `--home`, else `$LAKELOOP_HOME`, else `.lakeloop`. */
import { resolve } from 'node:path';
import type { Command } from 'commander';

/** The instance home for a command (reads the global `--home` option). */
export function instanceHome(command: Command): string {
  const home = command.optsWithGlobals<{ home?: string }>().home ?? process.env.LAKELOOP_HOME ?? '.lakeloop';
  return resolve(home);
}
