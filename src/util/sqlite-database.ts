/**
 * Opens a SQLite database the way every lakeloop store wants it: WAL, a busy timeout so that
 * several processes can write one file, foreign keys, and versioned migrations.
 *
 * @example
 * ```ts
 * const db = openSqlite({ path: 'home/runs.db', migrations: [{ version: 1, sql: 'CREATE TABLE t (x)' }] });
 * ```
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LakeloopError } from '../errors.js';

/** A better-sqlite3 database handle. */
export type SqliteDatabase = Database.Database;

/** One schema migration; versions start at 1 and increase by one. */
export interface Migration {
  version: number;
  sql: string;
}

/** Options of {@link openSqlite}. */
export interface OpenSqliteOptions {
  /** File path, or `':memory:'`. Parent folders are created. */
  path: string;
  /** Migrations applied in order inside one transaction each; the applied version is kept in `user_version`. */
  migrations: readonly Migration[];
  /** How long a writer waits for a lock held by another process. Default 10 000 ms. */
  busyTimeoutMs?: number;
}

/** Opens (creating when needed) and migrates a SQLite database. */
export function openSqlite(options: OpenSqliteOptions): SqliteDatabase {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  let db: SqliteDatabase;
  try {
    db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 10_000 });
  } catch (cause) {
    throw new LakeloopError(
      'UNAVAILABLE',
      `Cannot open the database at ${options.path}; check the path and its permissions.`,
      {
        cause,
      },
    );
  }
  enableWal(db, options.busyTimeoutMs ?? 10_000);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db, options.migrations, options.path);
  return db;
}

/**
 * Switches the file to WAL, retrying while another process holds it busy (exported for its test).
 * Two processes opening a new file at once got "database is locked" here about once in 60 tries,
 * without waiting out the busy timeout: SQLite does not always call its busy handler while another
 * connection sets up the WAL.
 */
export function enableWal(db: SqliteDatabase, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (let waitMs = 1; ; waitMs = Math.min(waitMs * 2, 50)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error;
    }
    // Synchronous like the rest of the open: a short blocking wait between tries.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, waitMs);
  }
}

function migrate(db: SqliteDatabase, migrations: readonly Migration[], path: string): void {
  // BEGIN IMMEDIATE takes the write lock first, so two processes opening a new file
  // do not both try to apply the same migration.
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    const latest = migrations.at(-1)?.version ?? 0;
    if (current > latest) {
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        `The database at ${path} has schema version ${current}, newer than this lakeloop (${latest}); upgrade lakeloop.`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
  });
  apply.immediate();
}
