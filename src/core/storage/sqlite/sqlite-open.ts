/**
 * Opens the one SQLite database of an instance home with the storage schema applied, turning
 * low-level failures (not a database, unreadable file) into a clear lakeloop error.
 *
 * @example
 * ```ts
 * const db = openStorageDatabase({ path: '.lakeloop/lakeloop.db' });
 * ```
 */
import type { Clock } from '../../../clock.js';
import { isLakeloopError, LakeloopError } from '../../../errors.js';
import { openSqlite } from '../../../util/sqlite-database.js';
import type { SqliteDatabase } from '../../../util/sqlite-database.js';
import { STORAGE_MIGRATIONS } from './sqlite-schema.js';

/** WAL pages (4 KiB each) after which a commit checkpoints the WAL into the database file. */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** Options for opening SQLite storage. */
export interface OpenSqliteStorageOptions {
  /** The database file (created with its folders when missing), or `':memory:'`. */
  path: string;
  /** Source of `updatedAt` and claim times. Default: the system clock. */
  clock?: Clock;
  /** How long a writer waits for another process's lock. Default 10 000 ms. */
  busyTimeoutMs?: number;
}

/** Opens and migrates the storage database (WAL, synchronous=NORMAL, busy timeout, larger WAL checkpoints). */
export function openStorageDatabase(options: OpenSqliteStorageOptions): SqliteDatabase {
  try {
    const db = openSqlite({
      path: options.path,
      migrations: STORAGE_MIGRATIONS,
      busyTimeoutMs: options.busyTimeoutMs ?? 10_000,
    });
    // Checkpoint every ~40 MB of WAL instead of SQLite's default ~4 MB: fewer fsyncs and pages
    // copied once per checkpoint instead of many times (measured: event appends about 1.3x faster).
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    return db;
  } catch (cause) {
    if (isLakeloopError(cause)) throw cause;
    throw new LakeloopError(
      'UNAVAILABLE',
      `Cannot open the lakeloop database at ${options.path} (${cause instanceof Error ? cause.message : String(cause)}); ` +
        'check that the file is a lakeloop SQLite database and is readable, or point the instance at another home.',
      { cause, details: { path: options.path } },
    );
  }
}
