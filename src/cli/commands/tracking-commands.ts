/** The `lakeloop` sub-commands of the tracking area. */
import type { Command } from 'commander';

/** Registers the tracking sub-commands on `program`. */
export function registerTrackingCommands(_program: Command): void {
  // filled in by the tracking area
}
