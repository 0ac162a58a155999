/** The `lakeloop` sub-commands of the data area. */
import type { Command } from 'commander';

/** Registers the data sub-commands on `program`. */
export function registerDataCommands(_program: Command): void {
  // filled in by the data area
}
