/**
 * Turns SQLite failures a user can act on (busy, read-only, disk full, corrupt) into lakeloop
 * errors that say what to do; anything else passes through unchanged.
 *
 * @example
 * ```ts
 * try { insert.run(...); } catch (error) { throw translateSqliteError(error, 'append events'); }
 * ```
 */
import Database from 'better-sqlite3';
import { LakeloopError } from '../../../errors.js';

/** The error to throw for a failed SQLite call made while doing `action`. */
export function translateSqliteError(error: unknown, action: string): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const code = error.code;
  const fix =
    code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
      ? 'another process held the write lock longer than the busy timeout; retry, or open the storage with a larger busyTimeoutMs'
      : code.startsWith('SQLITE_READONLY')
        ? 'the database file or its folder is read-only; fix the permissions of the instance home'
        : code.startsWith('SQLITE_FULL')
          ? 'the disk is full; free space and retry'
          : code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')
            ? 'the database file is damaged or not a lakeloop database; restore it from a backup or use a new instance home'
            : code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')
              ? 'the database file could not be read or written; check the disk and the instance home'
              : undefined;
  if (fix === undefined) return error;
  return new LakeloopError('UNAVAILABLE', `Cannot ${action}: ${error.message} (${code}); ${fix}.`, {
    cause: error,
    details: { sqliteCode: code },
  });
}
