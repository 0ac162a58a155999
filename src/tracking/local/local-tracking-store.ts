/**
 * The embedded tracking store: SQLite (`<root>/mlflow.db`) plus artifact folders
 * (`<root>/artifacts/<experiment id>/<run id>/`). Batches are written in one transaction; writes
 * take SQLite's write lock up front (`BEGIN IMMEDIATE`), so several processes can log to the
 * same file safely.
 *
 * @example
 * ```ts
 * const tracking = new LocalTrackingStore({ root: '.lakeloop/tracking' });
 * const experiment = await tracking.getOrCreateExperiment('demo');
 * ```
 */
/* eslint-disable @typescript-eslint/require-await -- synchronous SQLite behind the async interface: async methods turn throws into rejections */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LakeloopError } from '../../errors.js';
import { randomId, systemClock } from '../../clock.js';
import type { Clock, IdGenerator } from '../../clock.js';
import type { Statement, Transaction } from 'better-sqlite3';
import type { SqliteDatabase } from '../../util/sqlite-database.js';
import type { CreateRunOptions, DownloadArtifactsOptions, TrackingStore } from '../tracking-store.js';
import {
  normalizeArtifactPath,
  normalizeBatch,
  paramConflict,
  validateName,
} from '../tracking-validation.js';
import type { KeyValue, NormalizedBatch } from '../tracking-validation.js';
import { TERMINAL_RUN_STATUSES, TrackingRunStatus } from '../tracking-types.js';
import type {
  ArtifactInfo,
  DatasetInput,
  Experiment,
  LogBatch,
  Metric,
  SearchRunsPage,
  SearchRunsPageQuery,
  SearchRunsQuery,
  StringFilter,
  TrackingRun,
  TrackingRunInfo,
} from '../tracking-types.js';
import { openTrackingDatabase } from './local-tracking-schema.js';
import { sampleMetricInSqlite } from './local-metric-sampling.js';
import type { DownsampledMetric, DownsampleOptions } from '../metric-downsampling.js';
import { StatementCache } from '../../util/statement-cache.js';
import { copyIntoArtifacts, copyOutOfArtifacts, listArtifactFolder } from './local-artifact-folder.js';

/** Options of {@link LocalTrackingStore}. */
export interface LocalTrackingStoreOptions {
  /** The tracking folder: holds `mlflow.db` and `artifacts/`. */
  root: string;
  /** Default: the system clock. */
  clock?: Clock;
  /** Run ids; default random UUIDs without dashes (MLflow's format). */
  ids?: IdGenerator;
}

interface ExperimentRow {
  experiment_id: number;
  name: string;
  lifecycle_stage: string;
  creation_time: number;
}

interface RunRow {
  run_id: string;
  experiment_id: number;
  run_name: string;
  status: string;
  start_time: number;
  end_time: number | null;
}

interface MetricRow {
  key: string;
  value: number | null;
  is_nan: number;
  step: number;
  timestamp: number;
}

const COMPARATORS = new Set(['>', '>=', '<', '<=', '=', '!=']);

/** The embedded (SQLite + folder) {@link TrackingStore}. */
export class LocalTrackingStore implements TrackingStore {
  readonly uri: string;
  readonly #root: string;
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  #closed = false;
  readonly #statements: StatementCache;
  readonly #logBatchTransaction: Transaction<(runId: string, batch: NormalizedBatch) => void>;

  constructor(options: LocalTrackingStoreOptions) {
    this.#root = options.root;
    this.uri = `embedded:${options.root}`;
    this.#db = openTrackingDatabase(join(options.root, 'mlflow.db'));
    this.#statements = new StatementCache(this.#db);
    this.#clock = options.clock ?? systemClock;
    this.#ids = options.ids ?? (() => randomId().replaceAll('-', ''));
    this.#logBatchTransaction = this.#db.transaction((runId: string, batch: NormalizedBatch) => {
      this.#runRow(runId);
      this.#writeBatch(runId, batch);
    });
  }

  get #artifactsRoot(): string {
    return join(this.#root, 'artifacts');
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    validateName('experiment', name);
    const db = this.#open();
    db.transaction(() => {
      this.#sql(
        'INSERT INTO experiments (name, creation_time) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
      ).run(name, this.#clock.now());
    }).immediate();
    return this.getExperimentByName(name);
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const row = /^\d+$/.test(experimentId)
      ? (this.#sql('SELECT * FROM experiments WHERE experiment_id = ?').get(Number(experimentId)) as
          ExperimentRow | undefined)
      : undefined;
    if (row === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown experiment id "${experimentId}"; list experiments with \`lakeloop experiments list\`.`,
      );
    }
    return this.#experiment(row);
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const row = this.#sql('SELECT * FROM experiments WHERE name = ?').get(name) as ExperimentRow | undefined;
    if (row === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown experiment "${name}"; list experiments with \`lakeloop experiments list\`.`,
      );
    }
    return this.#experiment(row);
  }

  async listExperiments(): Promise<Experiment[]> {
    const rows = this.#sql(
      "SELECT * FROM experiments WHERE lifecycle_stage = 'active' ORDER BY name",
    ).all() as ExperimentRow[];
    return rows.map((row) => this.#experiment(row));
  }

  async createRun(options: CreateRunOptions): Promise<TrackingRun> {
    const experiment = await this.getExperiment(options.experimentId);
    const batch = normalizeBatch({ batch: { tags: options.tags ?? {} }, now: this.#clock.now() });
    const runId = this.#ids();
    const runName = options.name ?? `run-${runId.slice(0, 8)}`;
    const startTime = options.startTime ?? this.#clock.now();
    const db = this.#open();
    db.transaction(() => {
      this.#sql(
        'INSERT INTO runs (run_id, experiment_id, run_name, status, start_time) VALUES (?, ?, ?, ?, ?)',
      ).run(runId, Number(experiment.experimentId), runName, 'RUNNING', startTime);
      this.#writeTags(runId, [...batch.tags, { key: 'mlflow.runName', value: runName }]);
    }).immediate();
    return this.getRun(runId);
  }

  async getRun(runId: string): Promise<TrackingRun> {
    const row = this.#runRow(runId);
    const metrics: Record<string, number> = {};
    for (const metric of this.#sql('SELECT * FROM latest_metrics WHERE run_id = ? ORDER BY key').all(
      runId,
    ) as MetricRow[]) {
      metrics[metric.key] = metricValue(metric);
    }
    const params = keyValueRecord(
      this.#sql('SELECT key, value FROM params WHERE run_id = ? ORDER BY key').all(runId),
    );
    const tags = keyValueRecord(
      this.#sql('SELECT key, value FROM tags WHERE run_id = ? ORDER BY key').all(runId),
    );
    const inputs = (
      this.#sql('SELECT * FROM inputs WHERE run_id = ? ORDER BY rowid').all(runId) as {
        name: string;
        digest: string;
        source_type: string;
        source: string;
        schema: string | null;
        profile: string | null;
        tags: string;
      }[]
    ).map((input): DatasetInput => ({
      name: input.name,
      digest: input.digest,
      sourceType: input.source_type,
      source: input.source,
      ...(input.schema === null ? {} : { schema: input.schema }),
      ...(input.profile === null ? {} : { profile: input.profile }),
      tags: JSON.parse(input.tags) as Record<string, string>,
    }));
    return { info: this.#runInfo(row), metrics, params, tags, inputs };
  }

  async endRun(runId: string, status: TrackingRunStatus, endTime?: number): Promise<void> {
    if (!TERMINAL_RUN_STATUSES.includes(status)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `A run ends as ${TERMINAL_RUN_STATUSES.join(', ')}; "${status}" is not a terminal status.`,
      );
    }
    this.#runRow(runId);
    this.#sql('UPDATE runs SET status = ?, end_time = ? WHERE run_id = ?').run(
      status,
      endTime ?? this.#clock.now(),
      runId,
    );
  }

  async searchRuns(query: SearchRunsQuery): Promise<TrackingRun[]> {
    return this.#search(query, 0);
  }

  async searchRunsPage(query: SearchRunsPageQuery): Promise<SearchRunsPage> {
    const offset = query.pageToken === undefined ? 0 : decodeOffsetToken(query.pageToken);
    const limit = query.maxResults ?? 1000;
    // One run more than the page tells whether there is a next page.
    const runs = await this.#search({ ...query, maxResults: limit + 1 }, offset);
    return {
      runs: runs.slice(0, limit),
      nextPageToken: runs.length > limit ? encodeOffsetToken(offset + limit) : undefined,
    };
  }

  async logParams(runId: string, params: Readonly<Record<string, string | number | boolean>>): Promise<void> {
    await this.logBatch(runId, { params });
  }

  async logMetric(runId: string, key: string, value: number, step?: number): Promise<void> {
    await this.logBatch(runId, { metrics: [{ key, value, ...(step === undefined ? {} : { step }) }] });
  }

  async setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.logBatch(runId, { tags });
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const normalized = normalizeBatch({ batch, now: this.#clock.now() });
    this.#open();
    this.#logBatchTransaction.immediate(runId, normalized);
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    this.#runRow(runId);
    const rows = this.#sql(
      'SELECT * FROM metrics WHERE run_id = ? AND key = ? ORDER BY step, timestamp, rowid',
    ).all(runId, key) as MetricRow[];
    return rows.map((row) => ({
      key: row.key,
      value: metricValue(row),
      step: row.step,
      timestamp: row.timestamp,
    }));
  }

  async getMetricHistorySampled(
    runId: string,
    key: string,
    options?: DownsampleOptions,
  ): Promise<DownsampledMetric> {
    this.#runRow(runId);
    return sampleMetricInSqlite(this.#db, (sql) => this.#sql(sql), runId, key, options);
  }

  async logInputs(runId: string, inputs: readonly DatasetInput[]): Promise<void> {
    for (const input of inputs) {
      if (input.name === '' || input.digest === '' || input.source === '') {
        throw new LakeloopError('INVALID_ARGUMENT', 'A dataset input needs a name, a digest and a source.');
      }
    }
    const db = this.#open();
    db.transaction(() => {
      this.#runRow(runId);
      const insert = this.#sql(
        `INSERT INTO inputs (run_id, name, digest, source_type, source, schema, profile, tags)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, name, digest) DO UPDATE SET tags = excluded.tags`,
      );
      for (const input of inputs) {
        insert.run(
          runId,
          input.name,
          input.digest,
          input.sourceType,
          input.source,
          input.schema ?? null,
          input.profile ?? null,
          JSON.stringify(input.tags ?? {}),
        );
      }
    }).immediate();
  }

  async logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    const path = normalizeArtifactPath(artifactPath);
    const row = this.#runRow(runId);
    await copyIntoArtifacts({
      artifactsRoot: this.#artifactsRoot,
      runDir: this.#runDir(row),
      localPath,
      artifactPath: path,
    });
  }

  async listArtifacts(runId: string, path?: string): Promise<ArtifactInfo[]> {
    const normalized = normalizeArtifactPath(path);
    return listArtifactFolder(this.#runDir(this.#runRow(runId)), normalized);
  }

  async downloadArtifacts(runId: string, options: DownloadArtifactsOptions): Promise<string> {
    const normalized = normalizeArtifactPath(options.path);
    return copyOutOfArtifacts({
      runDir: this.#runDir(this.#runRow(runId)),
      path: normalized,
      destination: options.destination,
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The runs of `query` from the `offset`-th on (`maxResults` of them, default 1000). */
  #search(query: SearchRunsQuery, offset: number): Promise<TrackingRun[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const ids = query.experimentIds.filter((id) => /^\d+$/.test(id)).map(Number);
    if (ids.length === 0) return Promise.resolve([]);
    where.push(`r.experiment_id IN (${ids.map(() => '?').join(', ')})`);
    args.push(...ids);
    for (const [key, value] of Object.entries(query.tags ?? {})) {
      where.push('EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.run_id AND t.key = ? AND t.value = ?)');
      args.push(key, value);
    }
    for (const [table, filters] of [
      ['tags', query.tagFilters],
      ['params', query.params],
    ] as const) {
      for (const filter of filters ?? []) {
        const { sql, value } = stringComparison(filter);
        where.push(
          `EXISTS (SELECT 1 FROM ${table} s WHERE s.run_id = r.run_id AND s.key = ? AND s.value ${sql})`,
        );
        args.push(filter.key, value);
      }
    }
    for (const filter of query.metrics ?? []) {
      if (!COMPARATORS.has(filter.comparator) || !Number.isFinite(filter.value)) {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          `Invalid metric filter on "${filter.key}": use one of > >= < <= = != and a finite number.`,
        );
      }
      where.push(
        `EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_id = r.run_id AND m.key = ? AND m.is_nan = 0 AND m.value ${filter.comparator} ?)`,
      );
      args.push(filter.key, filter.value);
    }
    if (query.statuses !== undefined && query.statuses.length > 0) {
      where.push(`r.status IN (${query.statuses.map(() => '?').join(', ')})`);
      args.push(...query.statuses);
    }
    const direction = query.ascending === true ? 'ASC' : 'DESC';
    let order = `r.start_time ${direction}, r.run_id`;
    if (query.orderBy?.field === 'metric') {
      // Runs without the metric come last, as in MLflow.
      order = `(SELECT CASE WHEN m.is_nan = 1 THEN NULL ELSE m.value END FROM latest_metrics m WHERE m.run_id = r.run_id AND m.key = ?) IS NULL, (SELECT m.value FROM latest_metrics m WHERE m.run_id = r.run_id AND m.key = ?) ${direction}, r.start_time DESC, r.run_id`;
      args.push(query.orderBy.key, query.orderBy.key);
    }
    args.push(query.maxResults ?? 1000, offset);
    const rows = this.#sql(
      `SELECT r.run_id FROM runs r WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ? OFFSET ?`,
    ).all(...args) as { run_id: string }[];
    return Promise.all(rows.map((row) => this.getRun(row.run_id)));
  }

  /** The prepared statement for `sql`, prepared once per connection. */
  #sql(sql: string): Statement {
    this.#open();
    return this.#statements.get(sql);
  }

  #open(): SqliteDatabase {
    if (this.#closed) {
      throw new LakeloopError('PRECONDITION_FAILED', 'This tracking store is closed; open a new one.');
    }
    return this.#db;
  }

  #experiment(row: ExperimentRow): Experiment {
    const tags = keyValueRecord(
      this.#sql('SELECT key, value FROM experiment_tags WHERE experiment_id = ?').all(row.experiment_id),
    );
    return {
      experimentId: String(row.experiment_id),
      name: row.name,
      artifactLocation: pathToFileURL(join(this.#artifactsRoot, String(row.experiment_id))).href,
      lifecycleStage: row.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
      tags,
      creationTime: row.creation_time,
    };
  }

  #runRow(runId: string): RunRow {
    const row = this.#sql('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunRow | undefined;
    if (row === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown training run "${runId}"; list runs with \`lakeloop training-runs list\`.`,
      );
    }
    return row;
  }

  #runDir(row: RunRow): string {
    return join(this.#artifactsRoot, String(row.experiment_id), row.run_id);
  }

  #runInfo(row: RunRow): TrackingRunInfo {
    return {
      runId: row.run_id,
      experimentId: String(row.experiment_id),
      runName: row.run_name,
      status: toStatus(row.status),
      startTime: row.start_time,
      endTime: row.end_time ?? undefined,
      artifactUri: pathToFileURL(this.#runDir(row)).href,
    };
  }

  #writeBatch(runId: string, batch: NormalizedBatch): void {
    if (batch.params.length > 0) {
      const existing = this.#sql('SELECT value FROM params WHERE run_id = ? AND key = ?');
      const insert = this.#sql(
        'INSERT INTO params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const param of batch.params) {
        const row = existing.get(runId, param.key) as { value: string } | undefined;
        if (row !== undefined && row.value !== param.value) {
          throw paramConflict({ key: param.key, existing: row.value, attempted: param.value, runId });
        }
        insert.run(runId, param.key, param.value);
      }
    }
    this.#writeTags(runId, batch.tags);
    if (batch.metrics.length > 0) {
      const insert = this.#sql(
        'INSERT INTO metrics (run_id, key, value, is_nan, step, timestamp) VALUES (?, ?, ?, ?, ?, ?)',
      );
      const latest = this.#sql(
        `INSERT INTO latest_metrics (run_id, key, value, is_nan, step, timestamp) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan,
           step = excluded.step, timestamp = excluded.timestamp
         WHERE excluded.step > latest_metrics.step
            OR (excluded.step = latest_metrics.step AND excluded.timestamp >= latest_metrics.timestamp)`,
      );
      // Only the newest point of each key in this batch can become the latest value.
      const newest = new Map<string, Metric>();
      for (const metric of batch.metrics) {
        const isNan = Number.isNaN(metric.value) ? 1 : 0;
        insert.run(
          runId,
          metric.key,
          isNan === 1 ? null : metric.value,
          isNan,
          metric.step,
          metric.timestamp,
        );
        const current = newest.get(metric.key);
        if (
          current === undefined ||
          metric.step > current.step ||
          (metric.step === current.step && metric.timestamp >= current.timestamp)
        ) {
          newest.set(metric.key, metric);
        }
      }
      for (const metric of newest.values()) {
        const isNan = Number.isNaN(metric.value) ? 1 : 0;
        latest.run(
          runId,
          metric.key,
          isNan === 1 ? null : metric.value,
          isNan,
          metric.step,
          metric.timestamp,
        );
      }
    }
  }

  #writeTags(runId: string, tags: readonly KeyValue[]): void {
    if (tags.length === 0) return;
    const upsert = this.#sql(
      'INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value',
    );
    for (const tag of tags) upsert.run(runId, tag.key, tag.value);
    const name = tags.findLast((tag) => tag.key === 'mlflow.runName');
    if (name !== undefined) this.#sql('UPDATE runs SET run_name = ? WHERE run_id = ?').run(name.value, runId);
  }
}

function metricValue(row: MetricRow): number {
  return row.is_nan === 1 ? Number.NaN : (row.value ?? Number.NaN);
}

function keyValueRecord(rows: unknown[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const row of rows as KeyValue[]) record[row.key] = row.value;
  return record;
}

function toStatus(value: string): TrackingRunStatus {
  const statuses: readonly string[] = Object.values(TrackingRunStatus);
  return statuses.includes(value) ? (value as TrackingRunStatus) : 'FAILED';
}

/** The SQL of a param or tag comparison (`value <sql>` with one argument). */
function stringComparison(filter: StringFilter): { sql: string; value: string } {
  switch (filter.comparator) {
    case '=':
      return { sql: '= ?', value: filter.value };
    case '!=':
      return { sql: '!= ?', value: filter.value };
    // SQLite's LIKE ignores ASCII case (MLflow's ILIKE); GLOB is the case-sensitive LIKE.
    case 'LIKE':
      return { sql: 'GLOB ?', value: likeToGlob(filter.value) };
    case 'ILIKE':
      return { sql: 'LIKE ?', value: filter.value };
    default:
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Invalid comparator ${JSON.stringify(filter.comparator)} on "${filter.key}": use = != LIKE or ILIKE.`,
      );
  }
}

/** A SQL LIKE pattern (`%`, `_`) as a GLOB pattern, GLOB's own wildcards taken literally. */
export function likeToGlob(pattern: string): string {
  return pattern.replace(/[*?[%_]/g, (char) => {
    switch (char) {
      case '%':
        return '*';
      case '_':
        return '?';
      default:
        return `[${char}]`;
    }
  });
}

const OFFSET_TOKEN_PREFIX = 'offset:';

function encodeOffsetToken(offset: number): string {
  return Buffer.from(`${OFFSET_TOKEN_PREFIX}${offset}`).toString('base64url');
}

function decodeOffsetToken(token: string): number {
  const text = Buffer.from(token, 'base64url').toString();
  const offset = text.startsWith(OFFSET_TOKEN_PREFIX) ? Number(text.slice(OFFSET_TOKEN_PREFIX.length)) : NaN;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'Invalid page token: give back the token of the previous page of the same search, unchanged (nextPageToken; nextOffset in the HTTP API).',
    );
  }
  return offset;
}
