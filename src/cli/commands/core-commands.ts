/** The `lakeloop` sub-commands of the core area. */
import type { Command } from 'commander';

/** Registers the core sub-commands on `program`. */
export function registerCoreCommands(_program: Command): void {
  // filled in by the core area
}
