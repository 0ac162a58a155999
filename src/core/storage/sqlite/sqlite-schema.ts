/**
 * The schema of an instance's SQLite database (runs, event log, schedules), as versioned
 * migrations kept in `PRAGMA user_version`. Append new migrations; never edit applied ones.
 *
 * @example
 * ```ts
 * const db = openSqlite({ path: 'home/lakeloop.db', migrations: STORAGE_MIGRATIONS });
 * ```
 */
import type { Migration } from '../../../util/sqlite-database.js';

/** Schema migrations of the orchestration storage, in order. */
export const STORAGE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE runs (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id        TEXT NOT NULL UNIQUE,
        job_name      TEXT NOT NULL,
        selection     TEXT NOT NULL,
        asset_keys    TEXT NOT NULL,
        partition_key TEXT,
        status        TEXT NOT NULL,
        tags          TEXT NOT NULL,
        parent_run_id TEXT,
        created_at    INTEGER NOT NULL,
        started_at    INTEGER,
        ended_at      INTEGER,
        updated_at    INTEGER NOT NULL,
        error         TEXT
      );
      CREATE INDEX runs_by_created ON runs (created_at, id);
      CREATE INDEX runs_by_status ON runs (status, created_at, id);
      CREATE INDEX runs_by_job ON runs (job_name, created_at, id);

      CREATE TABLE run_tags (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX run_tags_by_key_value ON run_tags (key, value);

      CREATE TABLE event_logs (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id        TEXT NOT NULL,
        step_key      TEXT,
        event_type    TEXT NOT NULL,
        asset_key     TEXT,
        partition_key TEXT,
        timestamp     INTEGER NOT NULL,
        body          TEXT NOT NULL
      );
      CREATE INDEX event_logs_by_run ON event_logs (run_id, id);
      CREATE INDEX event_logs_by_asset ON event_logs (asset_key, event_type, partition_key, id)
        WHERE asset_key IS NOT NULL;

      -- One row per (asset, partition): the id of its latest ASSET_MATERIALIZATION event.
      -- Written in the same transaction as the event, so reads are O(assets), not a scan.
      -- partition_key is '' for unpartitioned assets (NULLs would not be unique).
      CREATE TABLE asset_latest_materializations (
        asset_key     TEXT NOT NULL,
        partition_key TEXT NOT NULL,
        event_id      INTEGER NOT NULL,
        PRIMARY KEY (asset_key, partition_key)
      ) WITHOUT ROWID;

      CREATE TABLE instigators (
        name         TEXT PRIMARY KEY,
        type         TEXT NOT NULL,
        status       TEXT,
        cursor       TEXT,
        last_tick_at INTEGER,
        updated_at   INTEGER NOT NULL
      );

      CREATE TABLE ticks (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        instigator_name TEXT NOT NULL,
        timestamp       INTEGER NOT NULL,
        status          TEXT NOT NULL,
        body            TEXT NOT NULL
      );
      CREATE INDEX ticks_by_instigator ON ticks (instigator_name, timestamp, id);

      CREATE TABLE run_keys (
        instigator_name TEXT NOT NULL,
        run_key         TEXT NOT NULL,
        run_id          TEXT NOT NULL,
        claimed_at      INTEGER NOT NULL,
        PRIMARY KEY (instigator_name, run_key)
      ) WITHOUT ROWID;

      CREATE TABLE daemon_heartbeats (
        daemon_id TEXT PRIMARY KEY,
        timestamp INTEGER NOT NULL
      );
    `,
  },
  {
    // Run config (issue #12): the JSON object given at launch, written with the run in one INSERT.
    version: 2,
    sql: `ALTER TABLE runs ADD COLUMN config TEXT;`,
  },
  {
    // The tick that launched a run (lineage), without scanning ticks: the run ids of each tick's
    // body, kept by triggers so every writer (and coalescing, and deleteTicks) keeps it right.
    version: 3,
    sql: `
      CREATE TABLE tick_runs (
        run_id  TEXT NOT NULL,
        tick_id INTEGER NOT NULL,
        PRIMARY KEY (run_id, tick_id)
      ) WITHOUT ROWID;
      CREATE INDEX tick_runs_by_tick ON tick_runs (tick_id);
      INSERT OR IGNORE INTO tick_runs (run_id, tick_id)
        SELECT r.value, t.id FROM ticks t, json_each(t.body, '$.runIds') r;
      CREATE TRIGGER tick_runs_on_insert AFTER INSERT ON ticks BEGIN
        INSERT OR IGNORE INTO tick_runs (run_id, tick_id)
          SELECT value, NEW.id FROM json_each(NEW.body, '$.runIds');
      END;
      CREATE TRIGGER tick_runs_on_update AFTER UPDATE OF body ON ticks BEGIN
        DELETE FROM tick_runs WHERE tick_id = OLD.id;
        INSERT OR IGNORE INTO tick_runs (run_id, tick_id)
          SELECT value, NEW.id FROM json_each(NEW.body, '$.runIds');
      END;
      CREATE TRIGGER tick_runs_on_delete AFTER DELETE ON ticks BEGIN
        DELETE FROM tick_runs WHERE tick_id = OLD.id;
      END;
    `,
  },
];
