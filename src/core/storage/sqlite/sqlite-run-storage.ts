/**
 * Run records in SQLite: one row per run with indexed columns, tags in a side table for
 * filtering, and a compare-and-set `updateRun` that is a single `UPDATE ... WHERE status = ?`
 * (atomic across processes).
 *
 * @example
 * ```ts
 * const runs = openSqliteRunStorage({ path: '.lakeloop/lakeloop.db' });
 * const started = await runs.updateRun(runId, { status: 'STARTED', startedAt: Date.now() }, 'STARTING');
 * ```
 */
import { systemClock } from '../../../clock.js';
import type { Clock } from '../../../clock.js';
import type { RunRecord, RunStatus, SerializedError } from '../../events/event-types.js';
import type { SqliteDatabase } from '../../../util/sqlite-database.js';
import type { RunFilter, RunStorage, RunUpdate } from '../storage-types.js';
import { checkLimit, DEFAULT_RUN_LIMIT, duplicateRunError, unknownRunError } from '../storage-guards.js';
import { openStorageDatabase } from './sqlite-open.js';
import type { OpenSqliteStorageOptions } from './sqlite-open.js';
import { SqliteConnectionGuard } from './sqlite-connection-guard.js';
import { StatementCache } from '../../../util/statement-cache.js';

/** Options of {@link SqliteRunStorage}. */
export interface SqliteRunStorageOptions {
  /** An open, migrated database (see `openStorageDatabase`). */
  db: SqliteDatabase;
  /** Source of `updatedAt` on updates. Default: the system clock. */
  clock?: Clock;
  /** Whether `close()` closes `db`. Default false (the owner of `db` closes it). */
  ownsDatabase?: boolean;
}

interface RunRow {
  id: number;
  run_id: string;
  job_name: string;
  selection: string;
  asset_keys: string;
  partition_key: string | null;
  status: RunStatus;
  tags: string;
  parent_run_id: string | null;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  updated_at: number;
  error: string | null;
  /** Added by migration 2. */
  config: string | null;
}

const INSERT_RUN = `INSERT INTO runs (run_id, job_name, selection, asset_keys, partition_key, status, tags,
  parent_run_id, created_at, started_at, ended_at, updated_at, error, config)
  VALUES (@runId, @jobName, @selection, @assetKeys, @partition, @status, @tags,
  @parentRunId, @createdAt, @startedAt, @endedAt, @updatedAt, @error, @config)`;
const INSERT_TAG = `INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)
  ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`;
const UPDATE_RUN = `UPDATE runs SET
  status = coalesce(@status, status),
  started_at = coalesce(@startedAt, started_at),
  ended_at = coalesce(@endedAt, ended_at),
  error = coalesce(@error, error),
  tags = CASE WHEN @tags IS NULL THEN tags ELSE json_patch(tags, @tags) END,
  updated_at = @now
  WHERE run_id = @runId AND (@expectedStatus IS NULL OR status = @expectedStatus)`;
const SELECT_RUN = 'SELECT * FROM runs WHERE run_id = ?';
const RUN_EXISTS = 'SELECT 1 FROM runs WHERE run_id = ?';
const SELECT_CURSOR = 'SELECT created_at, id FROM runs WHERE run_id = ?';
const DELETE_RUN = 'DELETE FROM runs WHERE run_id = ?';

/** {@link RunStorage} on a SQLite database. */
export class SqliteRunStorage implements RunStorage {
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  readonly #guard: SqliteConnectionGuard;
  readonly #statements: StatementCache;
  readonly #addRun: (run: RunRecord) => void;
  readonly #updateRun: (runId: string, update: RunUpdate, expectedStatus: RunStatus | undefined) => boolean;

  /** Wraps an open database; see {@link openSqliteRunStorage} to open a file. */
  constructor(options: SqliteRunStorageOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? systemClock;
    this.#guard = new SqliteConnectionGuard({
      db: options.db,
      ownsDatabase: options.ownsDatabase ?? false,
      label: 'run storage',
    });
    this.#statements = new StatementCache(this.#db);
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
    // can fail with SQLITE_BUSY at once when another process writes, without waiting.
    const addRun = this.#db.transaction((run: RunRecord) => {
      this.#insertRun(run);
    });
    this.#addRun = (run) => {
      addRun.immediate(run);
    };
    const updateRun = this.#db.transaction(
      (runId: string, update: RunUpdate, expectedStatus: RunStatus | undefined) =>
        this.#applyUpdate(runId, update, expectedStatus),
    );
    this.#updateRun = (runId, update, expectedStatus) => updateRun.immediate(runId, update, expectedStatus);
  }

  /** Adds a run; throws ALREADY_EXISTS when the id is taken. */
  addRun(run: RunRecord): Promise<void> {
    return this.#guard.call(() => {
      this.#addRun(run);
    });
  }

  /** The run with this id, or undefined. */
  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#guard.call(() => {
      const row = this.#statements.get(SELECT_RUN).get(runId) as RunRow | undefined;
      return row === undefined ? undefined : rowToRun(row);
    });
  }

  /** Runs matching the filter, newest first unless `order` says otherwise (by `createdAt`, then insertion order). */
  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.#guard.call(() => {
      const limit = checkLimit(filter.limit, DEFAULT_RUN_LIMIT) ?? DEFAULT_RUN_LIMIT;
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.statuses !== undefined) {
        where.push('status IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify(filter.statuses));
      }
      if (filter.jobName !== undefined) {
        where.push('job_name = ?');
        params.push(filter.jobName);
      }
      // The first tag drives the look-up through the (key, value) index; each other one is a
      // primary-key probe per candidate. (An IN list for every tag materialized each tag's whole
      // run list: a tag every run has, like the repository, cost ~2 ms per call on 10,000 runs.)
      for (const [index, [key, value]] of Object.entries(filter.tags ?? {}).entries()) {
        where.push(
          index === 0
            ? 'run_id IN (SELECT run_id FROM run_tags WHERE key = ? AND value = ?)'
            : 'EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = runs.run_id AND t.key = ? AND t.value = ?)',
        );
        params.push(key, value);
      }
      for (const [cursorId, operator] of [
        [filter.beforeRunId, '<'],
        [filter.afterRunId, '>'],
      ] as const) {
        if (cursorId === undefined) continue;
        const cursor = this.#statements.get(SELECT_CURSOR).get(cursorId) as
          { created_at: number; id: number } | undefined;
        if (cursor === undefined) throw unknownRunError(cursorId);
        where.push(`(created_at, id) ${operator} (?, ?)`);
        params.push(cursor.created_at, cursor.id);
      }
      const direction = filter.order === 'OLDEST_FIRST' ? 'ASC' : 'DESC';
      const sql = `SELECT * FROM runs${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`}
        ORDER BY created_at ${direction}, id ${direction} LIMIT ?`;
      params.push(limit);
      return (this.#statements.get(sql).all(...params) as RunRow[]).map(rowToRun);
    });
  }

  /**
   * Applies an update (tags are merged into the run's tags; `updatedAt` becomes now). With
   * `expectedStatus` it is a compare-and-set: returns false, changing nothing, when the run's
   * status differs. Throws NOT_FOUND for an unknown run.
   */
  updateRun(runId: string, update: RunUpdate, expectedStatus?: RunStatus): Promise<boolean> {
    return this.#guard.call(() => this.#updateRun(runId, update, expectedStatus));
  }

  /** Deletes a run and its tags (its events stay in the event log); unknown ids are ignored. */
  deleteRun(runId: string): Promise<void> {
    return this.#guard.call(() => {
      this.#statements.get(DELETE_RUN).run(runId);
    });
  }

  /** Stops using the storage (and closes the database when it owns it). */
  close(): Promise<void> {
    return this.#guard.close();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #insertRun(run: RunRecord): void {
    if (this.#statements.get(RUN_EXISTS).get(run.runId) !== undefined) throw duplicateRunError(run.runId);
    this.#statements.get(INSERT_RUN).run({
      runId: run.runId,
      jobName: run.jobName,
      selection: run.selection,
      assetKeys: JSON.stringify(run.assetKeys),
      partition: run.partition ?? null,
      status: run.status,
      tags: JSON.stringify(run.tags),
      parentRunId: run.parentRunId ?? null,
      createdAt: run.createdAt,
      startedAt: run.startedAt ?? null,
      endedAt: run.endedAt ?? null,
      updatedAt: run.updatedAt,
      error: run.error === undefined ? null : JSON.stringify(run.error),
      config: run.config === undefined ? null : JSON.stringify(run.config),
    });
    const insertTag = this.#statements.get(INSERT_TAG);
    for (const [key, value] of Object.entries(run.tags)) insertTag.run(run.runId, key, value);
  }

  #applyUpdate(runId: string, update: RunUpdate, expectedStatus: RunStatus | undefined): boolean {
    const tags = update.tags === undefined || Object.keys(update.tags).length === 0 ? undefined : update.tags;
    const result = this.#statements.get(UPDATE_RUN).run({
      runId,
      status: update.status ?? null,
      startedAt: update.startedAt ?? null,
      endedAt: update.endedAt ?? null,
      error: update.error === undefined ? null : JSON.stringify(update.error),
      tags: tags === undefined ? null : JSON.stringify(tags),
      now: this.#clock.now(),
      expectedStatus: expectedStatus ?? null,
    });
    if (result.changes === 0) {
      if (this.#statements.get(RUN_EXISTS).get(runId) === undefined) throw unknownRunError(runId);
      return false;
    }
    const insertTag = this.#statements.get(INSERT_TAG);
    for (const [key, value] of Object.entries(tags ?? {})) insertTag.run(runId, key, value);
    return true;
  }
}

/** Opens (creating and migrating when needed) a SQLite file for run storage alone; `close()` closes it. */
export function openSqliteRunStorage(options: OpenSqliteStorageOptions): SqliteRunStorage {
  return new SqliteRunStorage({ db: openStorageDatabase(options), clock: options.clock, ownsDatabase: true });
}

function rowToRun(row: RunRow): RunRecord {
  const run: RunRecord = {
    runId: row.run_id,
    jobName: row.job_name,
    selection: row.selection,
    assetKeys: JSON.parse(row.asset_keys) as string[],
    status: row.status,
    tags: JSON.parse(row.tags) as Record<string, string>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.partition_key !== null) run.partition = row.partition_key;
  if (row.parent_run_id !== null) run.parentRunId = row.parent_run_id;
  if (row.started_at !== null) run.startedAt = row.started_at;
  if (row.ended_at !== null) run.endedAt = row.ended_at;
  if (row.error !== null) run.error = JSON.parse(row.error) as SerializedError;
  if (row.config !== null) run.config = JSON.parse(row.config) as Record<string, unknown>;
  return run;
}
