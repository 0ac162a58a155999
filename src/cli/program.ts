/**
 * The `lakeloop` command tree. Each area registers its own sub-commands from `commands/`.
 *
 * @example
 * ```sh
 * lakeloop materialize --defs pipeline.ts --select '*'
 * ```
 */
import { endQuietlyOnBrokenPipe } from './broken-pipe.js';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { LakeloopError } from '../errors.js';
import { reportCliError } from './output.js';
import { registerCoreCommands } from './commands/core-commands.js';
import { registerDataCommands } from './commands/data-commands.js';
import { registerTrackingCommands } from './commands/tracking-commands.js';
import { registerAutomationCommands } from './commands/automation-commands.js';
import { registerInstanceCommands } from './commands/instance-commands.js';

/** Builds the command tree (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('lakeloop')
    .description(
      'ML pipelines as software-defined assets over versioned data, with tracking and a model registry.',
    )
    .option('--home <dir>', 'instance home (default: $LAKELOOP_HOME or .lakeloop)')
    .showHelpAfterError()
    .exitOverride()
    // Definitions modules (and the resources they open) read LAKELOOP_HOME: make --home reach them too.
    .hook('preAction', (command) => {
      const home = command.opts<{ home?: string }>().home;
      if (home !== undefined) process.env.LAKELOOP_HOME = resolve(home);
    });
  registerCoreCommands(program);
  registerDataCommands(program);
  registerTrackingCommands(program);
  registerAutomationCommands(program);
  registerInstanceCommands(program);
  return program;
}

/** Runs the CLI with `argv` (without node and script). */
export async function runCli(argv: readonly string[]): Promise<void> {
  endQuietlyOnBrokenPipe(process.stdout);
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (or the help); map usage errors to exit code 2.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    reportCliError(error instanceof Error ? error : new LakeloopError('INTERNAL', String(error)));
  }
}
