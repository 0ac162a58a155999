/**
 * The tracking routes of the REST API: experiments, training runs (MLflow runs) searched with
 * MLflow's filter strings and paged with the store's page tokens, one run with its metrics,
 * params, tags and inputs, a metric's history downsampled on the server (min/max per bucket,
 * zoomable by step range), and a run's artifacts (listing, and one file streamed). Metric values
 * that JSON cannot hold (NaN, ±Infinity) are the strings "NaN", "Infinity", "-Infinity", as in
 * MLflow's REST API. Without a tracking store every route answers 503 saying how to give one.
 *
 * Routes: `GET /api/experiments`, `GET /api/experiments/:id`,
 * `GET /api/training-runs?experiment=&filter=&status=&orderBy=&after=&limit=`,
 * `GET /api/training-runs/:id`, `GET /api/training-runs/:id/metrics/:key?maxPoints=&minStep=&maxStep=`,
 * `GET /api/training-runs/:id/artifacts?path=`, `GET /api/training-runs/:id/artifacts/download?path=`.
 *
 * @example
 * ```ts
 * registerTrackingRoutes(api, { defs, instance, tracking: new LocalTrackingStore({ root }) });
 * await app.request(`/api/training-runs?experiment=flights&filter=${encodeURIComponent('metrics.auc > 0.7')}`);
 * ```
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { LakeloopError, isLakeloopError } from '../../errors.js';
import {
  DEFAULT_MAX_POINTS,
  MIN_MAX_POINTS,
  sampledMetricHistory,
} from '../../tracking/metric-downsampling.js';
import { MAX_FILTER_LENGTH, parseRunFilter, parseRunOrder } from '../../tracking/run-filter.js';
import type { TrackingStore } from '../../tracking/tracking-store.js';
import { TrackingRunStatus } from '../../tracking/tracking-types.js';
import type { Experiment, TrackingRun } from '../../tracking/tracking-types.js';
import { normalizeArtifactPath } from '../../tracking/tracking-validation.js';
import { required } from '../api-context.js';
import type { ApiContext } from '../api-context.js';
import { listPage, MAX_PAGE_SIZE, querySchema, runIdParam, wholeNumberParam } from '../api-input.js';
import { pathParam } from '../api-router.js';
import type { ApiRouter } from '../api-router.js';

/** Runs a page holds unless `limit` says otherwise. */
const DEFAULT_RUN_PAGE = 100;
/** Most points a metric history answer may hold. */
const MAX_METRIC_POINTS = 10_000;
/** Prefix of the temporary folders artifact downloads go through (removed once streamed). */
export const DOWNLOAD_TEMP_PREFIX = 'lakeloop-artifact-download-';

const STATUSES = Object.values(TrackingRunStatus);
const text = z.string().min(1).max(1000);
const limit = wholeNumberParam(1, MAX_PAGE_SIZE);
const stepParam = z
  .string()
  .regex(/^-?\d{1,15}$/, { error: 'must be a whole number (a step)' })
  .transform(Number);

const experimentsQuery = querySchema({ after: text.optional(), limit: limit.optional() });
const runsQuery = querySchema({
  experiment: text.optional(),
  filter: z
    .string()
    .max(MAX_FILTER_LENGTH, { error: `longer than ${MAX_FILTER_LENGTH} characters` })
    .optional(),
  status: z
    .string()
    .max(200)
    .transform((list) => [...new Set(list.split(',').map((s) => s.trim()))].filter((s) => s !== ''))
    .refine((list) => list.length > 0 && list.every((s) => (STATUSES as string[]).includes(s)), {
      error: `use a comma-separated list of ${STATUSES.join(', ')}`,
    })
    .transform((list) => list as TrackingRunStatus[])
    .optional(),
  orderBy: z.string().min(1).max(300).optional(),
  after: z.string().min(1).max(2000).optional(),
  limit: limit.optional(),
});
const metricQuery = querySchema({
  maxPoints: wholeNumberParam(MIN_MAX_POINTS, MAX_METRIC_POINTS).optional(),
  minStep: stepParam.optional(),
  maxStep: stepParam.optional(),
}).refine((q) => q.minStep === undefined || q.maxStep === undefined || q.minStep <= q.maxStep, {
  error: 'minStep must not be above maxStep',
});
const artifactsQuery = querySchema({ path: z.string().max(1000).optional() });
const downloadQuery = querySchema({ path: z.string().min(1, { error: 'give a file path' }).max(1000) });

/** Content types by file extension; anything else is `application/octet-stream`. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.parquet': 'application/vnd.apache.parquet',
  '.onnx': 'application/octet-stream',
};

/** A metric value JSON can hold: non-finite numbers as MLflow's strings. */
function jsonMetricValue(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

function runJson(run: TrackingRun) {
  return {
    ...run,
    metrics: Object.fromEntries(
      Object.entries(run.metrics).map(([key, value]) => [key, jsonMetricValue(value)]),
    ),
  };
}

/** The experiment with this id, else the one with this name; NOT_FOUND when neither. */
async function experimentByIdOrName(tracking: TrackingStore, idOrName: string): Promise<Experiment> {
  if (/^\d+$/.test(idOrName)) {
    try {
      return await tracking.getExperiment(idOrName);
    } catch (error) {
      if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    }
  }
  try {
    return await tracking.getExperimentByName(idOrName);
  } catch (error) {
    if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    throw new LakeloopError(
      'NOT_FOUND',
      `No experiment with the id or name ${JSON.stringify(idOrName)}; list them with GET /api/experiments.`,
      { cause: error },
    );
  }
}

/** The intersection of the `status` parameter and the filter's status clauses (undefined: any). */
function statusesOf(
  fromQuery: readonly TrackingRunStatus[] | undefined,
  fromFilter: readonly TrackingRunStatus[] | undefined,
): TrackingRunStatus[] | undefined {
  if (fromQuery === undefined) return fromFilter === undefined ? undefined : [...fromFilter];
  return fromFilter === undefined ? [...fromQuery] : fromQuery.filter((s) => fromFilter.includes(s));
}

/** `Content-Disposition` for a download, with an ASCII fallback and the UTF-8 name. */
function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Adds the tracking routes. */
export function registerTrackingRoutes(api: ApiRouter, context: ApiContext): void {
  const store = () => required(context.tracking, 'tracking store', 'tracking');
  const tag = 'tracking';

  api.route(
    {
      method: 'GET',
      path: '/api/experiments',
      scope: 'read',
      tag,
      summary: 'List active experiments by name (page with after=<nextOffset>)',
      query: experimentsQuery,
    },
    async (c, { query }) => {
      const all = await store().listExperiments();
      // The token is the last name of the previous page (the list is ordered by name).
      const { after } = query;
      const start = after === undefined ? 0 : all.findIndex((e) => e.name > after);
      const from = start === -1 ? all.length : start;
      const amount = query.limit ?? DEFAULT_RUN_PAGE;
      const experiments = all.slice(from, from + amount);
      const more = from + amount < all.length;
      return c.json(listPage(experiments, more ? experiments.at(-1)?.name : undefined));
    },
  );
  api.route(
    {
      method: 'GET',
      path: '/api/experiments/:id',
      scope: 'read',
      tag,
      summary: 'An experiment, by id or name',
    },
    async (c) => c.json({ experiment: await experimentByIdOrName(store(), pathParam(c, 'id')) }),
  );

  api.route(
    {
      method: 'GET',
      path: '/api/training-runs',
      scope: 'read',
      tag,
      summary:
        "Search training runs with an MLflow filter string (metrics.auc > 0.7 and params.lr = '0.1'), newest first; page with after=<nextOffset>",
      query: runsQuery,
    },
    async (c, { query }) => {
      const tracking = store();
      const filter = parseRunFilter(query.filter ?? '');
      const order = query.orderBy === undefined ? {} : parseRunOrder(query.orderBy);
      const experiments =
        query.experiment === undefined
          ? await tracking.listExperiments()
          : [await experimentByIdOrName(tracking, query.experiment)];
      const statuses = statusesOf(query.status, filter.statuses);
      // No experiment, or status conditions no run can meet: nothing to ask the store.
      if (experiments.length === 0 || statuses?.length === 0) return c.json(listPage([], undefined));
      const page = await tracking.searchRunsPage({
        experimentIds: experiments.map((e) => e.experimentId),
        metrics: filter.metrics,
        params: filter.params,
        tagFilters: filter.tagFilters,
        ...(statuses === undefined ? {} : { statuses }),
        ...order,
        maxResults: query.limit ?? DEFAULT_RUN_PAGE,
        ...(query.after === undefined ? {} : { pageToken: query.after }),
      });
      return c.json(listPage(page.runs.map(runJson), page.nextPageToken));
    },
  );
  api.route(
    {
      method: 'GET',
      path: '/api/training-runs/:id',
      scope: 'read',
      tag,
      summary: 'A training run with its latest metrics, params, tags and inputs',
    },
    async (c) => c.json({ run: runJson(await store().getRun(runIdParam(c))) }),
  );
  api.route(
    {
      method: 'GET',
      path: '/api/training-runs/:id/metrics/:key',
      scope: 'read',
      tag,
      summary: `A metric's history, downsampled to at most maxPoints (default ${DEFAULT_MAX_POINTS}) keeping the extremes; zoom with minStep/maxStep`,
      query: metricQuery,
    },
    async (c, { query }) => {
      const tracking = store();
      const runId = runIdParam(c);
      const key = pathParam(c, 'key');
      const result = await sampledMetricHistory(tracking, runId, key, {
        maxPoints: query.maxPoints ?? DEFAULT_MAX_POINTS,
        ...(query.minStep === undefined ? {} : { minStep: query.minStep }),
        ...(query.maxStep === undefined ? {} : { maxStep: query.maxStep }),
      });
      if (result.totalPoints === 0) {
        // An empty zoom range is an answer; a metric never logged is not.
        const known = Object.keys((await tracking.getRun(runId)).metrics);
        if (!known.includes(key)) {
          throw new LakeloopError(
            'NOT_FOUND',
            `Training run ${runId} has no metric ${JSON.stringify(key)}; it has ${known.length === 0 ? 'none' : known.map((k) => JSON.stringify(k)).join(', ')} (encode "/" in a key as %2F).`,
          );
        }
      }
      return c.json({
        key,
        points: result.points.map((p) => ({
          step: p.step,
          value: jsonMetricValue(p.value),
          timestamp: p.timestamp,
        })),
        totalPoints: result.totalPoints,
        downsampled: result.downsampled,
      });
    },
  );

  api.route(
    {
      method: 'GET',
      path: '/api/training-runs/:id/artifacts',
      scope: 'read',
      tag,
      summary: "List one folder of a run's artifacts (path= the folder, default the root)",
      query: artifactsQuery,
    },
    async (c, { query }) => {
      const path = normalizeArtifactPath(query.path);
      return c.json({ path, files: await store().listArtifacts(runIdParam(c), path) });
    },
  );
  api.route(
    {
      method: 'GET',
      path: '/api/training-runs/:id/artifacts/download',
      scope: 'read',
      tag,
      summary: "Download one file of a run's artifacts (path= the file)",
      query: downloadQuery,
      produces: 'application/octet-stream',
    },
    async (c, { query }) => {
      const tracking = store();
      const runId = runIdParam(c);
      const path = normalizeArtifactPath(query.path);
      if (path === '') {
        throw new LakeloopError('INVALID_ARGUMENT', 'Give the path of a file: path= names the root folder.');
      }
      const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
      const entry = (await tracking.listArtifacts(runId, parent)).find((file) => file.path === path);
      if (entry === undefined) {
        throw new LakeloopError(
          'NOT_FOUND',
          `Training run ${runId} has no artifact "${path}"; list them with GET /api/training-runs/${runId}/artifacts?path=${encodeURIComponent(parent)}.`,
        );
      }
      if (entry.isDir) {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          `"${path}" is a folder, not a file; list it with GET /api/training-runs/${runId}/artifacts?path=${encodeURIComponent(path)} and download its files one by one.`,
        );
      }
      // The store has no streaming API: download into a temporary folder and stream from there.
      const temp = await mkdtemp(join(tmpdir(), DOWNLOAD_TEMP_PREFIX));
      const cleanup = () => rm(temp, { recursive: true, force: true });
      let file: FileHandle;
      try {
        file = await open(await tracking.downloadArtifacts(runId, { path, destination: temp }), 'r');
      } catch (error) {
        await cleanup();
        throw error;
      }
      const size = (await file.stat()).size;
      // An open file outlives its folder (POSIX; Node opens files deletable on Windows), so the copy
      // goes now, whether or not the client reads it all; else once the stream closes.
      const removed = await cleanup().then(
        () => true,
        () => false,
      );
      const stream = file.createReadStream();
      if (!removed) stream.once('close', () => void cleanup());
      const name = basename(path);
      return new Response(Readable.toWeb(stream) as ReadableStream, {
        headers: {
          'content-type': CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
          'content-disposition': contentDisposition(name),
          'content-length': String(size),
          'x-content-type-options': 'nosniff',
        },
      });
    },
  );
}
