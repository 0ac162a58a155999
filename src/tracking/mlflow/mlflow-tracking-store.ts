/**
 * The {@link TrackingStore} of a real MLflow tracking server, over its REST API 2.0. Artifacts go
 * through the server's artifact proxy (start the server with `--serve-artifacts`).
 *
 * A failed request is retried (429/5xx/network, with backoff); when the server stays unreachable
 * the call throws UNAVAILABLE with the number of points already written: logged metrics are
 * never dropped silently, the training step fails loudly. Creates are never duplicated by a
 * retry: `runs/create` carries a `lakeloop.request_id` tag, and before sending it again the store
 * looks for a run with that tag (an experiment, for its unique name).
 *
 * @example
 * ```ts
 * const tracking = new MlflowTrackingStore({ url: 'http://127.0.0.1:5000' });
 * const experiment = await tracking.getOrCreateExperiment('demo');
 * ```
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { z } from 'zod';
import { LakeloopError, isLakeloopError } from '../../errors.js';
import { systemClock } from '../../clock.js';
import type { Clock } from '../../clock.js';
import type { CreateRunOptions, DownloadArtifactsOptions, TrackingStore } from '../tracking-store.js';
import {
  normalizeArtifactPath,
  normalizeBatch,
  paramConflict,
  validateName,
} from '../tracking-validation.js';
import type { KeyValue } from '../tracking-validation.js';
import {
  METRIC_COMPARATORS,
  STRING_COMPARATORS,
  TERMINAL_RUN_STATUSES,
  TrackingRunStatus,
} from '../tracking-types.js';
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
} from '../tracking-types.js';
import { MlflowRestClient, REQUEST_ID_TAG } from './mlflow-rest-client.js';
import type { MlflowRestClientOptions } from './mlflow-rest-client.js';
import { splitBatch } from './mlflow-batch-split.js';
import {
  ExperimentSchema,
  FileInfoSchema,
  MetricSchema,
  RunSchema,
  encodeMetricValue,
  toExperiment,
  toMetric,
  toTrackingRun,
} from './mlflow-schemas.js';

/** Options of {@link MlflowTrackingStore}. */
export interface MlflowTrackingStoreOptions extends MlflowRestClientOptions {
  /** Default: the system clock (metric timestamps, run start/end times). */
  clock?: Clock;
}

const Empty = z.object({}).loose();
const ExperimentBody = z.object({ experiment: ExperimentSchema });
const RunBody = z.object({ run: RunSchema });

/** The MLflow-server {@link TrackingStore}. */
export class MlflowTrackingStore implements TrackingStore {
  readonly uri: string;
  readonly client: MlflowRestClient;
  readonly #clock: Clock;

  constructor(options: MlflowTrackingStoreOptions) {
    this.client = new MlflowRestClient(options);
    this.uri = this.client.url;
    this.#clock = options.clock ?? systemClock;
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    validateName('experiment', name);
    try {
      return await this.getExperimentByName(name);
    } catch (error) {
      if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    }
    try {
      const created = await this.client.post(
        'experiments/create',
        { name },
        z.object({ experiment_id: z.string() }),
        {
          // Names are unique: an experiment of this name after an unanswered create is that create's.
          recover: async () => {
            const found = await this.getExperimentByName(name).catch((error: unknown) => {
              if (isLakeloopError(error, 'NOT_FOUND')) return undefined;
              throw error;
            });
            return found === undefined ? undefined : { experiment_id: found.experimentId };
          },
        },
      );
      return await this.getExperiment(created.experiment_id);
    } catch (error) {
      // Another process created it first.
      if (isLakeloopError(error, 'ALREADY_EXISTS')) return this.getExperimentByName(name);
      throw error;
    }
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const body = await this.#notFound(`Unknown experiment id "${experimentId}".`, () =>
      this.client.get('experiments/get', { experiment_id: experimentId }, ExperimentBody),
    );
    return toExperiment(body.experiment);
  }

  async getExperimentByName(name: string): Promise<Experiment> {
    const body = await this.#notFound(
      `Unknown experiment "${name}"; list experiments with \`lakeloop experiments list\`.`,
      () => this.client.get('experiments/get-by-name', { experiment_name: name }, ExperimentBody),
    );
    return toExperiment(body.experiment);
  }

  async listExperiments(): Promise<Experiment[]> {
    const experiments: Experiment[] = [];
    let pageToken: string | undefined;
    do {
      const body = await this.client.post(
        'experiments/search',
        { max_results: 1000, view_type: 'ACTIVE_ONLY', order_by: ['name ASC'], page_token: pageToken },
        z.object({
          experiments: z.array(ExperimentSchema).default([]),
          next_page_token: z.string().optional(),
        }),
        { idempotent: true },
      );
      experiments.push(...body.experiments.map(toExperiment));
      pageToken = body.next_page_token === '' ? undefined : body.next_page_token;
    } while (pageToken !== undefined);
    return experiments;
  }

  async createRun(options: CreateRunOptions): Promise<TrackingRun> {
    const batch = normalizeBatch({ batch: { tags: options.tags ?? {} }, now: this.#clock.now() });
    await this.getExperiment(options.experimentId);
    const requestId = randomUUID();
    const body = await this.client.post(
      'runs/create',
      {
        experiment_id: options.experimentId,
        run_name: options.name,
        start_time: options.startTime ?? this.#clock.now(),
        tags: [...batch.tags, { key: REQUEST_ID_TAG, value: requestId }],
      },
      RunBody,
      { recover: () => this.#findCreatedRun(options.experimentId, requestId) },
    );
    return toTrackingRun(body.run);
  }

  async getRun(runId: string): Promise<TrackingRun> {
    const body = await this.#notFound(
      `Unknown training run "${runId}"; list runs with \`lakeloop training-runs list\`.`,
      () => this.client.get('runs/get', { run_id: runId }, RunBody),
    );
    return toTrackingRun(body.run);
  }

  async endRun(runId: string, status: TrackingRunStatus, endTime?: number): Promise<void> {
    if (!TERMINAL_RUN_STATUSES.includes(status)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `A run ends as ${TERMINAL_RUN_STATUSES.join(', ')}; "${status}" is not a terminal status.`,
      );
    }
    await this.getRun(runId);
    await this.client.post(
      'runs/update',
      { run_id: runId, status, end_time: endTime ?? this.#clock.now() },
      Empty,
      { idempotent: true },
    );
  }

  async searchRuns(query: SearchRunsQuery): Promise<TrackingRun[]> {
    const maxResults = query.maxResults ?? 1000;
    const runs: TrackingRun[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.searchRunsPage({
        ...query,
        maxResults: Math.min(maxResults - runs.length, 1000),
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      runs.push(...page.runs);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined && runs.length < maxResults);
    return runs.slice(0, maxResults);
  }

  async searchRunsPage(query: SearchRunsPageQuery): Promise<SearchRunsPage> {
    const direction = query.ascending === true ? 'ASC' : 'DESC';
    const orderBy =
      query.orderBy?.field === 'metric'
        ? [`metrics.${quoteKey(query.orderBy.key)} ${direction}`, 'attributes.start_time DESC']
        : [`attributes.start_time ${direction}`];
    const body = await this.client.post(
      'runs/search',
      {
        experiment_ids: query.experimentIds,
        filter: mlflowFilterString(query),
        run_view_type: 'ACTIVE_ONLY',
        max_results: query.maxResults ?? 1000,
        order_by: orderBy,
        page_token: query.pageToken,
      },
      z.object({ runs: z.array(RunSchema).default([]), next_page_token: z.string().optional() }),
      { idempotent: true },
    );
    return {
      runs: body.runs.map(toTrackingRun),
      nextPageToken: body.next_page_token === '' ? undefined : body.next_page_token,
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
    if (normalized.params.length > 0) await this.#checkParams(runId, normalized.params);
    const chunks = splitBatch(normalized);
    let written = 0;
    for (const chunk of chunks) {
      try {
        await this.client.post(
          'runs/log-batch',
          {
            run_id: runId,
            metrics: chunk.metrics.map((metric) => ({
              key: metric.key,
              value: encodeMetricValue(metric.value),
              timestamp: metric.timestamp,
              step: metric.step,
            })),
            params: chunk.params,
            tags: chunk.tags,
          },
          Empty,
          // MLflow skips metric points it already has; params and tags are set to the same values.
          { idempotent: true },
        );
      } catch (error) {
        if (written === 0) throw error;
        throw new LakeloopError(
          isLakeloopError(error) ? error.code : 'UNAVAILABLE',
          `Logging to run ${runId} failed after ${written} of ${normalized.metrics.length} metric points were written; the rest were not logged.`,
          { cause: error, details: { runId, written } },
        );
      }
      written += chunk.metrics.length;
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    await this.getRun(runId);
    const metrics: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const body = await this.client.get(
        'metrics/get-history',
        { run_id: runId, metric_key: key, max_results: 25_000, page_token: pageToken },
        z.object({ metrics: z.array(MetricSchema).default([]), next_page_token: z.string().optional() }),
      );
      metrics.push(...body.metrics.map(toMetric));
      pageToken = body.next_page_token === '' ? undefined : body.next_page_token;
    } while (pageToken !== undefined);
    return metrics.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  async logInputs(runId: string, inputs: readonly DatasetInput[]): Promise<void> {
    for (const input of inputs) {
      if (input.name === '' || input.digest === '' || input.source === '') {
        throw new LakeloopError('INVALID_ARGUMENT', 'A dataset input needs a name, a digest and a source.');
      }
    }
    await this.getRun(runId);
    await this.client.post(
      'runs/log-inputs',
      {
        run_id: runId,
        datasets: inputs.map((input) => ({
          tags: Object.entries(input.tags ?? {}).map(([key, value]) => ({ key, value })),
          dataset: {
            name: input.name,
            digest: input.digest,
            source_type: input.sourceType,
            source: input.source,
            ...(input.schema === undefined ? {} : { schema: input.schema }),
            ...(input.profile === undefined ? {} : { profile: input.profile }),
          },
        })),
      },
      Empty,
      // MLflow reuses a dataset and an input it already has (same name and digest).
      { idempotent: true },
    );
  }

  async logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    const path = normalizeArtifactPath(artifactPath);
    const root = await this.#artifactRoot(runId);
    const info = await stat(localPath).catch((cause: unknown) => {
      throw new LakeloopError(
        'NOT_FOUND',
        `Cannot log the artifact ${localPath}: it does not exist or cannot be read.`,
        { cause },
      );
    });
    const files: { local: string; remote: string }[] = [];
    if (info.isDirectory()) {
      const entries = await readdir(localPath, { withFileTypes: true, recursive: true });
      for (const entry of entries.filter((e) => e.isFile())) {
        const local = join(entry.parentPath, entry.name);
        files.push({ local, remote: joinPath(path, relative(localPath, local).split(/[\\/]/).join('/')) });
      }
    } else {
      files.push({ local: localPath, remote: joinPath(path, basename(localPath)) });
    }
    for (const file of files) {
      await this.client.putArtifact(joinPath(root, file.remote), await readFile(file.local));
    }
  }

  async listArtifacts(runId: string, path?: string): Promise<ArtifactInfo[]> {
    const normalized = normalizeArtifactPath(path);
    const root = await this.#artifactRoot(runId);
    const body = await this.client.listArtifacts(
      joinPath(root, normalized),
      z.object({ files: z.array(FileInfoSchema).default([]) }),
    );
    return body.files
      .map((file) => ({
        path: joinPath(normalized, basename(file.path)),
        isDir: file.is_dir,
        fileSize: file.is_dir ? undefined : file.file_size,
      }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  async downloadArtifacts(runId: string, options: DownloadArtifactsOptions): Promise<string> {
    const normalized = normalizeArtifactPath(options.path);
    const root = await this.#artifactRoot(runId);
    const target = join(options.destination, ...(normalized === '' ? [] : normalized.split('/')));
    const download = async (path: string, local: string): Promise<void> => {
      const children = await this.listArtifacts(runId, path);
      if (children.length > 0 || path === '') {
        await mkdir(local, { recursive: true });
        for (const child of children) await download(child.path, join(local, basename(child.path)));
        return;
      }
      const bytes = await this.client.getArtifact(joinPath(root, path)).catch((error: unknown) => {
        if (isLakeloopError(error, 'NOT_FOUND') || isLakeloopError(error, 'INVALID_ARGUMENT')) {
          throw new LakeloopError(
            'NOT_FOUND',
            `The run has no artifact "${path}"; list them with listArtifacts.`,
            {
              cause: error,
            },
          );
        }
        throw error;
      });
      await mkdir(join(local, '..'), { recursive: true });
      await writeFile(local, bytes);
    };
    await download(normalized, target);
    return target;
  }

  async close(): Promise<void> {
    // Nothing is buffered: every call completes (or fails) before it returns.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The run an earlier `runs/create` attempt with this request id created, if any. */
  async #findCreatedRun(experimentId: string, requestId: string): Promise<{ run: unknown } | undefined> {
    const body = await this.client.post(
      'runs/search',
      {
        experiment_ids: [experimentId],
        filter: `tags.\`${REQUEST_ID_TAG}\` = '${requestId}'`,
        run_view_type: 'ALL',
        max_results: 2,
      },
      z.object({ runs: z.array(z.unknown()).default([]) }),
      { idempotent: true },
    );
    const [run] = body.runs;
    return run === undefined ? undefined : { run };
  }

  async #checkParams(runId: string, params: readonly KeyValue[]): Promise<void> {
    const run = await this.getRun(runId);
    for (const param of params) {
      const existing = run.params[param.key];
      if (existing !== undefined && existing !== param.value) {
        throw paramConflict({ key: param.key, existing, attempted: param.value, runId });
      }
    }
  }

  async #artifactRoot(runId: string): Promise<string> {
    const run = await this.getRun(runId);
    return artifactProxyPath(run.info.artifactUri);
  }

  async #notFound<T>(message: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isLakeloopError(error, 'NOT_FOUND'))
        throw new LakeloopError('NOT_FOUND', message, { cause: error });
      throw error;
    }
  }
}

/** The proxy path of an `mlflow-artifacts:` URI (`mlflow-artifacts:/1/<run>/artifacts` -> `1/<run>/artifacts`). */
export function artifactProxyPath(artifactUri: string): string {
  if (!artifactUri.startsWith('mlflow-artifacts:')) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `The run's artifacts live at "${artifactUri}", which lakeloop cannot reach through the server; start the MLflow server with --serve-artifacts (artifact proxy).`,
    );
  }
  const rest = artifactUri.slice('mlflow-artifacts:'.length);
  // mlflow-artifacts://host:port/path or mlflow-artifacts:/path
  const path = rest.startsWith('//') ? new URL(`http:${rest}`).pathname : rest;
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

function joinPath(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

function quoteKey(key: string): string {
  if (key.includes('`')) {
    throw new LakeloopError('INVALID_ARGUMENT', `Cannot search on the key "${key}": it contains a backtick.`);
  }
  return `\`${key}\``;
}

/**
 * The structured search as an MLflow filter string: clauses joined by `and` (MLflow has no `or`);
 * several statuses become `!=` clauses on the other statuses.
 */
export function mlflowFilterString(query: SearchRunsQuery): string {
  const clauses: string[] = [];
  for (const [key, value] of Object.entries(query.tags ?? {})) {
    clauses.push(`tags.${quoteKey(key)} = ${quoteValue(value)}`);
  }
  for (const filter of query.tagFilters ?? []) {
    clauses.push(`tags.${quoteKey(filter.key)} ${stringComparator(filter)} ${quoteValue(filter.value)}`);
  }
  for (const filter of query.params ?? []) {
    clauses.push(`params.${quoteKey(filter.key)} ${stringComparator(filter)} ${quoteValue(filter.value)}`);
  }
  for (const filter of query.metrics ?? []) {
    if (!Number.isFinite(filter.value) || !METRIC_COMPARATORS.includes(filter.comparator)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Invalid metric filter on "${filter.key}": use one of > >= < <= = != and a finite number.`,
      );
    }
    clauses.push(`metrics.${quoteKey(filter.key)} ${filter.comparator} ${filter.value}`);
  }
  const statuses = query.statuses ?? [];
  if (statuses.length === 1) clauses.push(`attributes.status = ${quoteValue(statuses[0] ?? '')}`);
  if (statuses.length > 1) {
    // MLflow takes IN on run ids only; the statuses are few, so exclude the others.
    for (const status of Object.values(TrackingRunStatus).filter((s) => !statuses.includes(s))) {
      clauses.push(`attributes.status != ${quoteValue(status)}`);
    }
  }
  return clauses.join(' and ');
}

function stringComparator(filter: StringFilter): string {
  if (!STRING_COMPARATORS.includes(filter.comparator)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid comparator ${JSON.stringify(filter.comparator)} on "${filter.key}": use = != LIKE or ILIKE.`,
    );
  }
  return filter.comparator;
}

/** A quoted string value: MLflow takes 'single' or "double" quotes and has no escapes. */
function quoteValue(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  throw new LakeloopError(
    'INVALID_ARGUMENT',
    `Cannot search for the value ${JSON.stringify(value)} on MLflow: it holds both quote characters, which MLflow's filter strings cannot express.`,
  );
}
