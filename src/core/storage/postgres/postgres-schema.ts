/**
 * The schema of the PostgreSQL storage, as versioned migrations recorded in a `schema_version`
 * table of the instance's schema. `migratePostgres` applies the missing ones in ONE transaction
 * that first takes a transaction-level advisory lock on the schema, so two hosts opening the same
 * database at once do not race (the second waits, then finds everything applied). A database
 * whose schema is newer than this lakeloop is refused with PRECONDITION_FAILED. Append new
 * migrations; never edit released ones.
 *
 * @example
 * ```ts
 * await migratePostgres(db); // creates schema "lakeloop" and its tables when missing
 * ```
 */
import { LakeloopError } from '../../../errors.js';
import type { PostgresDatabase } from './postgres-database.js';

/** One migration: its version (1, 2, ...) and the statements that move the schema to it. */
export interface PostgresMigration {
  version: number;
  sql: string;
}

/**
 * Migrations of the PostgreSQL storage, in order. Text columns that are sorted or compared
 * byte-wise (keys, names, ids) use the "C" collation, so orders match SQLite's and do not depend
 * on the server's locale. Times are epoch milliseconds in bigint columns.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE runs (
        id            bigserial PRIMARY KEY,
        run_id        text COLLATE "C" NOT NULL UNIQUE,
        job_name      text COLLATE "C" NOT NULL,
        selection     text NOT NULL,
        asset_keys    text NOT NULL,
        partition_key text,
        status        text NOT NULL,
        tags          jsonb NOT NULL,
        parent_run_id text,
        created_at    bigint NOT NULL,
        started_at    bigint,
        ended_at      bigint,
        updated_at    bigint NOT NULL,
        error         text,
        config        text
      );
      CREATE INDEX runs_by_created ON runs (created_at, id);
      CREATE INDEX runs_by_status ON runs (status, created_at, id);
      CREATE INDEX runs_by_job ON runs (job_name, created_at, id);
      -- Tag filters are containment tests (tags @> '{"k":"v"}'), served by this index.
      CREATE INDEX runs_by_tags ON runs USING gin (tags jsonb_path_ops);

      CREATE TABLE event_logs (
        id            bigserial PRIMARY KEY,
        run_id        text COLLATE "C" NOT NULL,
        step_key      text,
        event_type    text NOT NULL,
        asset_key     text COLLATE "C",
        partition_key text COLLATE "C",
        timestamp     bigint NOT NULL,
        body          text NOT NULL
      );
      CREATE INDEX event_logs_by_run ON event_logs (run_id, id);
      CREATE INDEX event_logs_by_asset ON event_logs (asset_key, event_type, partition_key, id)
        WHERE asset_key IS NOT NULL;

      -- One row per (asset, partition): the id of its latest ASSET_MATERIALIZATION, written in the
      -- transaction of the event. partition_key is '' for unpartitioned assets.
      CREATE TABLE asset_latest_materializations (
        asset_key     text COLLATE "C" NOT NULL,
        partition_key text COLLATE "C" NOT NULL,
        event_id      bigint NOT NULL,
        PRIMARY KEY (asset_key, partition_key)
      );

      CREATE TABLE instigators (
        name         text COLLATE "C" PRIMARY KEY,
        type         text NOT NULL,
        status       text,
        cursor       text,
        last_tick_at bigint,
        updated_at   bigint NOT NULL
      );

      CREATE TABLE ticks (
        id              bigserial PRIMARY KEY,
        instigator_name text COLLATE "C" NOT NULL,
        timestamp       bigint NOT NULL,
        -- The last evaluation a coalesced tick stands for (NULL: timestamp); retention reads it.
        last_timestamp  bigint,
        status          text NOT NULL,
        run_ids         text[] NOT NULL DEFAULT '{}',
        body            text NOT NULL
      );
      CREATE INDEX ticks_by_instigator ON ticks (instigator_name, timestamp, id);
      CREATE INDEX ticks_by_run_id ON ticks USING gin (run_ids);

      CREATE TABLE run_keys (
        instigator_name text COLLATE "C" NOT NULL,
        run_key         text COLLATE "C" NOT NULL,
        run_id          text NOT NULL,
        claimed_at      bigint NOT NULL,
        PRIMARY KEY (instigator_name, run_key)
      );

      CREATE TABLE daemon_heartbeats (
        daemon_id text COLLATE "C" PRIMARY KEY,
        timestamp bigint NOT NULL
      );
    `,
  },
];

/** The newest schema version this lakeloop knows. */
export const LATEST_POSTGRES_VERSION = POSTGRES_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/**
 * Creates the schema and applies the missing migrations under an advisory lock; returns the version
 * the schema has afterwards. PRECONDITION_FAILED when the stored version is newer than this lakeloop's.
 */
export async function migratePostgres(
  db: PostgresDatabase,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number> {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const schema = db.schema;
  return db.transaction(async (tx) => {
    // Held until COMMIT: a second host opening now waits here, then sees the applied versions.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`lakeloop:${schema}:migrate`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await tx.query(`SET LOCAL search_path TO "${schema}"`);
    await tx.query(`CREATE TABLE IF NOT EXISTS "${schema}".schema_version (
      version    integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await tx.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM "${schema}".schema_version`,
    );
    const current = rows[0]?.version ?? 0;
    if (current > latest) {
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        `The PostgreSQL storage (schema "${schema}" at ${db.target.redacted}) has schema version ${current}, newer than this lakeloop (${latest}); upgrade lakeloop.`,
        { details: { schema, version: current, supported: latest } },
      );
    }
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= current) continue;
      await tx.query(migration.sql);
      await tx.query(`INSERT INTO "${schema}".schema_version (version) VALUES ($1)`, [migration.version]);
    }
    return Math.max(current, latest);
  });
}
