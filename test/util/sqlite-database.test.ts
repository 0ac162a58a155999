/**
 * openSqlite's switch to WAL: SQLite does not always call its busy handler while another process
 * sets up the WAL of a new file, so `enableWal` retries a busy answer itself. Real SQLite is used
 * for the success path; the busy answers are injected (they happen about once in 60 concurrent
 * opens of a new file, too rarely to provoke on purpose).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enableWal, openSqlite } from '../../src/util/sqlite-database.js';
import type { SqliteDatabase } from '../../src/util/sqlite-database.js';

function busy(): Error {
  return Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
}

/** `db` whose first `failures` journal-mode pragmas throw `error()`; counts the tries. */
function failingFirst(db: SqliteDatabase, failures: number, error: () => Error): { tries: number } {
  const counter = { tries: 0 };
  const pragma = db.pragma.bind(db);
  db.pragma = (source: string, options?: object) => {
    if (source.startsWith('journal_mode =')) {
      counter.tries++;
      if (counter.tries <= failures) throw error();
    }
    return pragma(source, options);
  };
  return counter;
}

describe('enableWal', () => {
  let dir: string;
  let db: SqliteDatabase;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-sqlite-'));
    db = openSqlite({ path: join(dir, 'a.db'), migrations: [] });
    db.pragma('journal_mode = DELETE');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries busy answers until the file is in WAL', () => {
    const counter = failingFirst(db, 3, busy);
    enableWal(db, 5_000);
    expect(counter.tries).toBe(4);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('gives up with the busy error once the timeout has passed', () => {
    const counter = failingFirst(db, Number.POSITIVE_INFINITY, busy);
    expect(() => {
      enableWal(db, 30);
    }).toThrow('database is locked');
    expect(counter.tries).toBeGreaterThan(1);
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
  });

  it('does not retry other errors', () => {
    const counter = failingFirst(db, 1, () =>
      Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }),
    );
    expect(() => {
      enableWal(db, 5_000);
    }).toThrow('disk I/O error');
    expect(counter.tries).toBe(1);
  });
});
