/**
 * One connection pool to the PostgreSQL database of an instance, with every connection's
 * `search_path` set to the instance's schema: queries, transactions (rolled back on any error),
 * and errors translated into lakeloop errors whose messages never carry the password.
 *
 * @example
 * ```ts
 * const db = new PostgresDatabase({ target: parsePostgresUrl(url) });
 * await db.transaction(async (tx) => tx.query('UPDATE runs SET status = $1 WHERE run_id = $2', ['STARTED', id]));
 * await db.close();
 * ```
 */
import pg from 'pg';
import type { PoolClient, QueryConfig, QueryResultRow } from 'pg';
import { isLakeloopError, LakeloopError } from '../../../errors.js';
import { throwIfClosed } from '../storage-guards.js';
import type { PostgresTarget } from './postgres-url.js';
import { redactPostgresText } from './postgres-url.js';

/** Options of {@link PostgresDatabase}. */
export interface PostgresDatabaseOptions {
  target: PostgresTarget;
  /** Most connections the pool opens. Default 10. */
  poolSize?: number;
  /** How long a connection attempt may take. Default 10 000 ms. */
  connectTimeoutMs?: number;
}

/** Something queries run on: the pool, or the client of a transaction. */
export interface PostgresQueryable {
  // The row type is the caller's statement of what its SELECT returns, as in pg's own API.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  query<TRow extends QueryResultRow = QueryResultRow>(
    text: string | QueryConfig,
    values?: unknown[],
  ): Promise<{ rows: TRow[]; rowCount: number | null }>;
}

/** SQLSTATE classes of a lost or refused connection (08), an operator shutting the server down (57P0x). */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return (
    code.startsWith('08') ||
    code.startsWith('57P0') ||
    code === '53300' || // too many connections
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN'].includes(
      code,
    )
  );
}

/** The pool of one storage bundle. */
export class PostgresDatabase {
  readonly target: PostgresTarget;
  readonly pool: pg.Pool;
  #closed = false;

  constructor(options: PostgresDatabaseOptions) {
    this.target = options.target;
    this.pool = new pg.Pool({
      connectionString: options.target.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      // Every table is unqualified in the SQL: the schema comes from the connection.
      options: options.target.serverOptions,
      application_name: 'lakeloop',
    });
    // An idle connection the server dropped: the pool discards it and the next query opens another.
    this.pool.on('error', () => undefined);
  }

  /** The schema holding the tables. */
  get schema(): string {
    return this.target.schema;
  }

  /** Runs one statement on a pooled connection. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async query<TRow extends QueryResultRow = QueryResultRow>(
    text: string | QueryConfig,
    values?: unknown[],
  ): Promise<{ rows: TRow[]; rowCount: number | null }> {
    throwIfClosed(this.#closed, 'PostgreSQL storage');
    try {
      return await this.pool.query<TRow>(text, values);
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** Runs `fn` in one transaction (READ COMMITTED); rolls back on any error and rethrows it, translated. */
  async transaction<T>(fn: (tx: PostgresQueryable) => Promise<T>): Promise<T> {
    throwIfClosed(this.#closed, 'PostgreSQL storage');
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.translate(error);
    }
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (isConnectionError(error)) broken = error;
      else await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
      throw this.translate(error);
    } finally {
      // A connection that failed mid-transaction is destroyed, not returned to the pool.
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  /** A dedicated client (e.g. for LISTEN), outside the pool's size; the caller ends it. */
  async dedicatedClient(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.target.connectionString,
      options: this.target.serverOptions,
      application_name: 'lakeloop-listen',
      connectionTimeoutMillis: 10_000,
    });
    client.on('error', () => undefined); // reported through 'end'; the listener reconnects
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw this.translate(error);
    }
    return client;
  }

  /** A lakeloop error for a driver or server error (UNAVAILABLE for connection trouble), without the password. */
  translate(error: unknown): Error {
    if (isLakeloopError(error)) return error;
    const raw = error instanceof Error ? error.message : String(error);
    const message = redactPostgresText(raw, this.target);
    const sqlState = (error as { code?: unknown }).code;
    const details = { url: this.target.redacted, ...(typeof sqlState === 'string' ? { sqlState } : {}) };
    // The driver's error is kept as the cause only when it cannot carry the password.
    const cause = message === raw ? error : undefined;
    if (isConnectionError(error) || /timeout|terminat|connect/i.test(raw)) {
      return new LakeloopError(
        'UNAVAILABLE',
        `Cannot reach the PostgreSQL storage at ${this.target.redacted} (${message}); check that the server runs and LAKELOOP_STORAGE_URL is right.`,
        { cause, details },
      );
    }
    return new LakeloopError('INTERNAL', `PostgreSQL storage error: ${message}`, { cause, details });
  }

  /** Closes the pool (waits for checked-out connections); idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }
}

/** A guard for one storage over a shared database: refuses calls after the storage's own close(). */
export class PostgresStorageGuard {
  readonly #label: string;
  #closed = false;

  constructor(label: string) {
    this.#label = label;
  }

  /** Throws PRECONDITION_FAILED after close(). */
  check(): void {
    throwIfClosed(this.#closed, this.#label);
  }

  /** Runs `fn` unless closed (rejects PRECONDITION_FAILED then). */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    return fn();
  }

  /** Marks the storage closed. */
  close(): void {
    this.#closed = true;
  }
}
