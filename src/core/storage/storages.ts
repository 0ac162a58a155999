/**
 * The three storages an instance needs, as one bundle with one `close()`.
 *
 * @example
 * ```ts
 * const storages = openSqliteStorages({ path: '.lakeloop/lakeloop.db' });
 * await storages.runs.addRun(run);
 * await storages.close();
 * ```
 */
import type { EventLogStorage, RunStorage, ScheduleStorage } from './storage-types.js';

/** Run, event log and schedule storage of one instance, closed together. */
export interface Storages {
  runs: RunStorage;
  events: EventLogStorage;
  schedules: ScheduleStorage;
  /** Closes the three storages and what they share (for SQLite: the database connection). */
  close(): Promise<void>;
}
