/**
 * Run records in PostgreSQL: one row per run (tags as jsonb, filtered by containment through a GIN
 * index), ordered by `createdAt` then a bigserial insertion id. `updateRun` with `expectedStatus`
 * is one conditional `UPDATE ... WHERE run_id = $1 AND status = $2`, atomic across hosts; a new run
 * and every status change send `NOTIFY <schema>_runs, '<runId>'` in the same transaction, so
 * queues and waiters on other hosts wake when it commits.
 *
 * @example
 * ```ts
 * const storages = await openPostgresStorages({ url });
 * const started = await storages.runs.updateRun(runId, { status: 'STARTED' }, 'STARTING');
 * ```
 */
import { systemClock } from '../../../clock.js';
import type { Clock } from '../../../clock.js';
import type { RunRecord, RunStatus, SerializedError } from '../../events/event-types.js';
import type { RunFilter, RunStorage, RunUpdate } from '../storage-types.js';
import { checkLimit, DEFAULT_RUN_LIMIT, duplicateRunError, unknownRunError } from '../storage-guards.js';
import { PostgresStorageGuard } from './postgres-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { postgresChannels } from './postgres-channels.js';

/** Options of {@link PostgresRunStorage}. */
export interface PostgresRunStorageOptions {
  /** An open, migrated database (see openPostgresStorages). */
  db: PostgresDatabase;
  /** Source of `updatedAt` on updates. Default: the system clock. */
  clock?: Clock;
}

interface RunRow {
  id: string;
  run_id: string;
  job_name: string;
  selection: string;
  asset_keys: string;
  partition_key: string | null;
  status: RunStatus;
  tags: Record<string, string>;
  parent_run_id: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  updated_at: string;
  error: string | null;
  config: string | null;
}

const RUN_COLUMNS = `run_id, job_name, selection, asset_keys, partition_key, status, tags, parent_run_id,
  created_at, started_at, ended_at, updated_at, error, config`;

/** {@link RunStorage} on PostgreSQL. */
export class PostgresRunStorage implements RunStorage {
  readonly #db: PostgresDatabase;
  readonly #clock: Clock;
  readonly #guard = new PostgresStorageGuard('run storage');
  readonly #channel: string;

  constructor(options: PostgresRunStorageOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? systemClock;
    this.#channel = postgresChannels(options.db.schema).runs;
  }

  /** Adds a run (and notifies); ALREADY_EXISTS when the id is taken. */
  addRun(run: RunRecord): Promise<void> {
    return this.#guard.call(async () => {
      const { rows } = await this.#db.query<{ run_id: string }>({
        name: 'lakeloop-add-run',
        text: `WITH added AS (
            INSERT INTO runs (${RUN_COLUMNS})
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (run_id) DO NOTHING RETURNING run_id)
          SELECT run_id, pg_notify($15, run_id) FROM added`,
        values: [
          run.runId,
          run.jobName,
          run.selection,
          JSON.stringify(run.assetKeys),
          run.partition ?? null,
          run.status,
          JSON.stringify(run.tags),
          run.parentRunId ?? null,
          run.createdAt,
          run.startedAt ?? null,
          run.endedAt ?? null,
          run.updatedAt,
          run.error === undefined ? null : JSON.stringify(run.error),
          run.config === undefined ? null : JSON.stringify(run.config),
          this.#channel,
        ],
      });
      if (rows.length === 0) throw duplicateRunError(run.runId);
    });
  }

  /** The run with this id, or undefined. */
  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#guard.call(async () => {
      const { rows } = await this.#db.query<RunRow>({
        name: 'lakeloop-get-run',
        text: 'SELECT * FROM runs WHERE run_id = $1',
        values: [runId],
      });
      const row = rows[0];
      return row === undefined ? undefined : rowToRun(row);
    });
  }

  /** Runs matching the filter, newest first unless `order` says otherwise (by `createdAt`, then insertion order). */
  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.#guard.call(async () => {
      const limit = checkLimit(filter.limit, DEFAULT_RUN_LIMIT) ?? DEFAULT_RUN_LIMIT;
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown): string => {
        params.push(value);
        return `$${params.length}`;
      };
      if (filter.statuses !== undefined) where.push(`status = ANY(${param(filter.statuses)}::text[])`);
      if (filter.jobName !== undefined) where.push(`job_name = ${param(filter.jobName)}`);
      if (filter.tags !== undefined && Object.keys(filter.tags).length > 0) {
        where.push(`tags @> ${param(JSON.stringify(filter.tags))}::jsonb`);
      }
      for (const [cursorId, operator] of [
        [filter.beforeRunId, '<'],
        [filter.afterRunId, '>'],
      ] as const) {
        if (cursorId === undefined) continue;
        const { rows } = await this.#db.query<{ created_at: string; id: string }>(
          'SELECT created_at, id FROM runs WHERE run_id = $1',
          [cursorId],
        );
        const cursor = rows[0];
        if (cursor === undefined) throw unknownRunError(cursorId);
        where.push(
          `(created_at, id) ${operator} (${param(cursor.created_at)}::bigint, ${param(cursor.id)}::bigint)`,
        );
      }
      const direction = filter.order === 'OLDEST_FIRST' ? 'ASC' : 'DESC';
      const sql = `SELECT * FROM runs${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`}
        ORDER BY created_at ${direction}, id ${direction} LIMIT ${param(limit)}`;
      const { rows } = await this.#db.query<RunRow>(sql, params);
      return rows.map(rowToRun);
    });
  }

  /**
   * Applies an update in one statement (tags merged with jsonb `||`; `updatedAt` from the clock).
   * With `expectedStatus` it only changes a run in that status (false otherwise). NOT_FOUND for an
   * unknown run. A status change notifies the runs channel.
   */
  updateRun(runId: string, update: RunUpdate, expectedStatus?: RunStatus): Promise<boolean> {
    return this.#guard.call(async () => {
      const tags = update.tags === undefined || Object.keys(update.tags).length === 0 ? null : update.tags;
      const { rows } = await this.#db.query<{ run_id: string }>({
        name: 'lakeloop-update-run',
        text: `WITH updated AS (
            UPDATE runs SET
              status = coalesce($2, status),
              started_at = coalesce($3, started_at),
              ended_at = coalesce($4, ended_at),
              error = coalesce($5, error),
              tags = CASE WHEN $6::jsonb IS NULL THEN tags ELSE tags || $6::jsonb END,
              updated_at = $7
            WHERE run_id = $1 AND ($8::text IS NULL OR status = $8::text)
            RETURNING run_id)
          SELECT run_id, CASE WHEN $2::text IS NULL THEN NULL ELSE pg_notify($9, run_id) END FROM updated`,
        values: [
          runId,
          update.status ?? null,
          update.startedAt ?? null,
          update.endedAt ?? null,
          update.error === undefined ? null : JSON.stringify(update.error),
          tags === null ? null : JSON.stringify(tags),
          this.#clock.now(),
          expectedStatus ?? null,
          this.#channel,
        ],
      });
      if (rows.length > 0) return true;
      const exists = await this.#db.query('SELECT 1 FROM runs WHERE run_id = $1', [runId]);
      if (exists.rows.length === 0) throw unknownRunError(runId);
      return false;
    });
  }

  /** Deletes a run (its events stay in the event log); unknown ids are ignored. */
  deleteRun(runId: string): Promise<void> {
    return this.#guard.call(async () => {
      await this.#db.query('DELETE FROM runs WHERE run_id = $1', [runId]);
    });
  }

  /** Stops using the storage (the bundle closes the pool). */
  close(): Promise<void> {
    this.#guard.close();
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function rowToRun(row: RunRow): RunRecord {
  const run: RunRecord = {
    runId: row.run_id,
    jobName: row.job_name,
    selection: row.selection,
    assetKeys: JSON.parse(row.asset_keys) as string[],
    status: row.status,
    tags: row.tags,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.partition_key !== null) run.partition = row.partition_key;
  if (row.parent_run_id !== null) run.parentRunId = row.parent_run_id;
  if (row.started_at !== null) run.startedAt = Number(row.started_at);
  if (row.ended_at !== null) run.endedAt = Number(row.ended_at);
  if (row.error !== null) run.error = JSON.parse(row.error) as SerializedError;
  if (row.config !== null) run.config = JSON.parse(row.config) as Record<string, unknown>;
  return run;
}
