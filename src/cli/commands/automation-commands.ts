/** The `lakeloop` sub-commands of the automation area. */
import type { Command } from 'commander';

/** Registers the automation sub-commands on `program`. */
export function registerAutomationCommands(_program: Command): void {
  // filled in by the automation area
}
