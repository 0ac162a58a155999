/**
 * Prepared statements cached by their SQL text, so that dynamic queries (filters) are prepared
 * once per shape and static ones once per connection.
 *
 * @example
 * ```ts
 * const statements = new StatementCache(db);
 * statements.get('SELECT * FROM runs WHERE run_id = ?').get(runId);
 * ```
 */
import type Database from 'better-sqlite3';
import type { SqliteDatabase } from './sqlite-database.js';

/** A prepared statement taking positional or named parameters. */
export type Statement = Database.Statement;

/** Prepares each SQL text once per connection. */
export class StatementCache {
  readonly #db: SqliteDatabase;
  readonly #statements = new Map<string, Statement>();

  /** Caches statements of `db`. */
  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  /** The prepared statement for `sql` (prepared on first use). */
  get(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
