/**
 * The embedded default: run, event log and schedule storage in ONE SQLite file per instance
 * home, sharing one connection (WAL, synchronous=NORMAL, busy timeout, versioned migrations).
 * Several processes may open the same file and write at the same time.
 *
 * @example
 * ```ts
 * const storages = openSqliteStorages({ path: join(home, 'lakeloop.db') });
 * await storages.events.appendEvents(events);
 * await storages.close();
 * ```
 */
import type { Storages } from '../storages.js';
import { openStorageDatabase } from './sqlite-open.js';
import type { OpenSqliteStorageOptions } from './sqlite-open.js';
import { SqliteEventLogStorage } from './sqlite-event-log-storage.js';
import { SqliteRunStorage } from './sqlite-run-storage.js';
import { SqliteScheduleStorage } from './sqlite-schedule-storage.js';

/** Options of {@link openSqliteStorages}. */
export type OpenSqliteStoragesOptions = OpenSqliteStorageOptions;

/** SQLite storages of one instance; `close()` closes the shared connection. */
export interface SqliteStorages extends Storages, AsyncDisposable {
  runs: SqliteRunStorage;
  events: SqliteEventLogStorage;
  schedules: SqliteScheduleStorage;
}

/**
 * Opens (creating and migrating when needed) the instance database at `path`. Throws
 * PRECONDITION_FAILED when the file's schema is newer than this lakeloop, UNAVAILABLE when the
 * file cannot be opened as a database. Closing one storage of the bundle only stops that one;
 * `close()` of the bundle closes the connection.
 */
export function openSqliteStorages(options: OpenSqliteStoragesOptions): SqliteStorages {
  const db = openStorageDatabase(options);
  const runs = new SqliteRunStorage({ db, clock: options.clock });
  const events = new SqliteEventLogStorage({ db });
  const schedules = new SqliteScheduleStorage({ db, clock: options.clock });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await Promise.all([runs.close(), events.close(), schedules.close()]);
    db.close();
  };
  return { runs, events, schedules, close, [Symbol.asyncDispose]: close };
}
