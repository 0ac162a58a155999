/**
 * The embedded tracking database: one SQLite file (`<tracking>/mlflow.db`, WAL) that holds both
 * the tracking tables and the model registry, so several processes can share it.
 *
 * @example
 * ```ts
 * const db = openTrackingDatabase('/tmp/home/tracking/mlflow.db');
 * ```
 */
import { openSqlite } from '../../util/sqlite-database.js';
import type { Migration, SqliteDatabase } from '../../util/sqlite-database.js';

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE experiments (
        experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        lifecycle_stage TEXT NOT NULL DEFAULT 'active',
        creation_time INTEGER NOT NULL
      );
      CREATE TABLE experiment_tags (
        experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (experiment_id, key)
      );
      CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
        run_name TEXT NOT NULL,
        status TEXT NOT NULL,
        start_time INTEGER NOT NULL,
        end_time INTEGER
      );
      CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
      CREATE TABLE params (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      );
      CREATE TABLE tags (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
      );
      CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        key TEXT NOT NULL,
        value REAL,
        is_nan INTEGER NOT NULL,
        step INTEGER NOT NULL,
        timestamp INTEGER NOT NULL
      );
      CREATE INDEX metrics_by_key ON metrics (run_id, key, step, timestamp);
      CREATE TABLE latest_metrics (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        key TEXT NOT NULL,
        value REAL,
        is_nan INTEGER NOT NULL,
        step INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        PRIMARY KEY (run_id, key)
      );
      CREATE TABLE inputs (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        name TEXT NOT NULL, digest TEXT NOT NULL,
        source_type TEXT NOT NULL, source TEXT NOT NULL,
        schema TEXT, profile TEXT, tags TEXT NOT NULL,
        PRIMARY KEY (run_id, name, digest)
      );
      CREATE TABLE registered_models (
        name TEXT PRIMARY KEY,
        description TEXT NOT NULL DEFAULT '',
        creation_time INTEGER NOT NULL,
        last_updated_time INTEGER NOT NULL
      );
      CREATE TABLE registered_model_tags (
        name TEXT NOT NULL REFERENCES registered_models(name),
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (name, key)
      );
      CREATE TABLE model_versions (
        name TEXT NOT NULL REFERENCES registered_models(name),
        version INTEGER NOT NULL,
        source TEXT NOT NULL,
        run_id TEXT,
        description TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        creation_time INTEGER NOT NULL,
        PRIMARY KEY (name, version)
      );
      CREATE TABLE model_version_tags (
        name TEXT NOT NULL, version INTEGER NOT NULL,
        key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (name, version, key),
        FOREIGN KEY (name, version) REFERENCES model_versions(name, version)
      );
      CREATE TABLE model_aliases (
        name TEXT NOT NULL REFERENCES registered_models(name),
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (name, alias),
        FOREIGN KEY (name, version) REFERENCES model_versions(name, version)
      );
    `,
  },
  {
    // Every alias move (MLflow keeps none): from, to, when, why, by whom. No foreign keys, so the
    // history outlives the aliases it describes.
    version: 2,
    sql: `
      CREATE TABLE model_alias_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        from_version INTEGER,
        to_version INTEGER,
        timestamp INTEGER NOT NULL,
        reason TEXT NOT NULL,
        moved_by TEXT NOT NULL
      );
      CREATE INDEX model_alias_history_by_alias ON model_alias_history (name, alias, seq);
    `,
  },
  {
    // Lineage finds the versions a pipeline run (a version tag) or a training run registered, and
    // the alias moves to and from one version; a model's history reads its newest moves only.
    version: 3,
    sql: `
      CREATE INDEX model_version_tags_by_value ON model_version_tags (key, value);
      CREATE INDEX model_versions_by_run ON model_versions (run_id);
      CREATE INDEX model_alias_history_by_to ON model_alias_history (name, to_version);
      CREATE INDEX model_alias_history_by_from ON model_alias_history (name, from_version);
      CREATE INDEX model_alias_history_by_name ON model_alias_history (name, seq);
    `,
  },
];

/** Opens (creating and migrating when needed) the embedded tracking database. */
export function openTrackingDatabase(path: string): SqliteDatabase {
  return openSqlite({ path, migrations: MIGRATIONS, busyTimeoutMs: 30_000 });
}
