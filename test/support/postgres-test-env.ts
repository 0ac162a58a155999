/**
 * How tests reach the private PostgreSQL cluster the global setup started
 * (test/support/postgres-server-process.ts): `postgresTestUrl()` gives its URL or undefined,
 * `describeWithPostgres` runs a suite against it (skipped locally with a note when there is none,
 * FAILED under CI=true), and `createTestSchema()` gives each test its own schema (a URL with
 * `?schema=`), dropped by `drop()`. Tests never use the caller's LAKELOOP_STORAGE_URL.
 *
 * @example
 * ```ts
 * describeWithPostgres('runs on postgres', (url) => {
 *   it('works', async () => {
 *     await using schema = await createTestSchema(url);
 *     const storages = await openPostgresStorages({ url: schema.url });
 *   });
 * });
 * ```
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject, it } from 'vitest';

/** The URL of the test cluster's database, or undefined when it is not running. */
export function postgresTestUrl(): string | undefined {
  const url = inject('postgresUrl');
  return url === '' ? undefined : url;
}

/** Runs `body` with the cluster's URL, or reports why it cannot (fails under CI=true). */
export function describeWithPostgres(name: string, body: (url: string) => void): void {
  const url = postgresTestUrl();
  if (url !== undefined) {
    describe(name, () => {
      body(url);
    });
    return;
  }
  const reason = inject('postgresUnavailable');
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has a real PostgreSQL server to test against', () => {
        throw new Error(reason);
      });
    });
  } else {
    describe.skip(`${name} (no PostgreSQL: ${reason})`, () => {
      it('needs PostgreSQL', () => undefined);
    });
  }
}

/** A schema of one test. */
export interface TestSchema extends AsyncDisposable {
  name: string;
  /** The cluster URL with `?schema=<name>`. */
  url: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** A fresh schema name (the storage creates the schema on open). */
export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Drops a schema with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A new schema name for one test on the cluster at `url`; `drop()` removes it. */
export function createTestSchema(url: string, prefix = 't'): TestSchema {
  const name = uniqueSchemaName(prefix);
  const withSchema = new URL(url);
  withSchema.searchParams.set('schema', name);
  const drop = (): Promise<void> => dropSchema(url, name);
  return { name, url: withSchema.href, drop, [Symbol.asyncDispose]: drop };
}
