/**
 * What every SQLite storage does around its statements: refuse calls after close, turn SQLite
 * errors into lakeloop errors, and close the database only when the storage owns it.
 *
 * @example
 * ```ts
 * const guard = new SqliteConnectionGuard({ db, ownsDatabase: true, label: 'run storage' });
 * await guard.call(() => db.prepare('SELECT 1').get());
 * await guard.close();
 * ```
 */
import type { SqliteDatabase } from '../../../util/sqlite-database.js';
import { throwIfClosed } from '../storage-guards.js';
import { translateSqliteError } from './sqlite-errors.js';

/** Options of {@link SqliteConnectionGuard}. */
export interface SqliteConnectionGuardOptions {
  db: SqliteDatabase;
  /** Close the database on close(). Default false (a shared connection). */
  ownsDatabase?: boolean;
  /** The storage's name in error messages, e.g. `'run storage'`. */
  label: string;
}

/** Guards one storage's use of a SQLite connection. */
export class SqliteConnectionGuard {
  readonly #options: SqliteConnectionGuardOptions;
  #closed = false;

  constructor(options: SqliteConnectionGuardOptions) {
    this.#options = options;
  }

  /** Runs `fn` synchronously and returns its result as a promise; errors reject it, translated. */
  call<T>(fn: () => T): Promise<T> {
    // Errors thrown inside the executor reject the promise.
    return new Promise((resolve) => {
      throwIfClosed(this.#closed, this.#options.label);
      try {
        resolve(fn());
      } catch (error) {
        throw translateSqliteError(error, `use the ${this.#options.label}`);
      }
    });
  }

  /** Marks the storage closed (and closes the database when it owns it); idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#options.ownsDatabase === true) this.#options.db.close();
    }
    return Promise.resolve();
  }
}
