/**
 * REST API latency: p50/p95 over `--requests` calls through `app.request()` (no socket) of every
 * list and detail GET route, on a seeded instance — 10,000 pipeline runs, 1,000,000 events, a
 * 100,000-point metric, a registered model with versions, a data repository — or on a real instance
 * home. Each route is one row of {@link ROUTES}; a row whose route is not registered on this
 * build is reported as "not registered" (routes of other parts of the API light up once merged),
 * a route whose store is absent as "skipped", and GET routes of the index that no row covers are
 * listed so the table can grow with them. Also the stream's latency (a data commit to its event
 * on `GET /api/stream`) when that route exists.
 *
 *   npm run bench -- api                                          # seeded, full size
 *   node --conditions=lakeloop-source --import tsx bench/api.bench.ts --runs 1000 --events 100000
 *   node --conditions=lakeloop-source --import tsx bench/api.bench.ts --instance .lakeloop/demo \
 *     [--defs pipelines/flight-delays/definitions.ts]             # a real home, e.g. after `npm start`
 *
 * Other flags: `--points <n>` (metric history, default 100000), `--requests <n>` (per route,
 * default 200), `--versions <n>` (model versions seeded over the runs, default 200), `--only <text>`
 * (measure only the rows whose name or path contains it; repeatable). The seeded registry is a
 * realistic lineage: each version registered by a pipeline run launched by a sensor tick, with its
 * training run, check evaluations and (when its gate passed) a champion move by that run. Goals (issue 14): p50 ≤ 20 ms for lists and details; ≤ 50 ms for a 100k-point
 * metric history, lineage and why; the stream ≤ 100 ms from a commit to its event.
 * Figures go to bench/results/api.json (seeded) or bench/results/api-instance.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Hono } from 'hono';
import type { EventRecord, RunRecord } from '../src/core/events/event-types.js';
import type { Definitions } from '../src/core/definitions/definitions.js';
import { loadDefinitions } from '../src/core/execution/definitions-loader.js';
import { SENSOR_TAG } from '../src/core/daemon/run-request-launch.js';
import { DATA_COMMIT_TAG, DATA_REPOSITORY_TAG } from '../src/core/definitions/data-commit.js';
import { Instance } from '../src/core/instance/instance.js';
import { createApiApp } from '../src/server/api-app.js';
import type { ApiContext } from '../src/server/api-context.js';
import { LocalModelRegistry } from '../src/tracking/local/local-model-registry.js';
import { LocalTrackingStore } from '../src/tracking/local/local-tracking-store.js';
import { openRegistry, openTracking } from '../src/tracking/open-tracking.js';
import { stepMover } from '../src/tracking/resources/registry-resource.js';
import { LineageTag } from '../src/tracking/tracking-types.js';
import { dataCommitSensor } from '../src/versioning/data-commit-sensor.js';
import { createDataRepository } from '../src/versioning/data-repository-factory.js';
import type { DataRepository } from '../src/versioning/data-repository.js';
import { EmbeddedDataRepository } from '../src/versioning/local/embedded-data-repository.js';
import { automationDefs } from '../test/automation/fixtures/automation-defs.js';
import { percentile, reportBench } from './bench-report.js';
import type { BenchFigure } from './bench-report.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    events: { type: 'string', default: '1000000' },
    points: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '200' },
    versions: { type: 'string', default: '200' },
    only: { type: 'string', multiple: true, default: [] },
    instance: { type: 'string' },
    defs: { type: 'string', default: 'pipelines/flight-delays/definitions.ts' },
  },
  allowPositionals: true, // `npm run bench -- api` passes the filter through
});
const count = (name: keyof typeof args): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return value;
};
const REQUESTS = count('requests');
const WARMUP = 5;
const EVENT_BATCH = 5_000;
const METRIC_BATCH = 10_000;
const STREAM_TIMEOUT_MS = 5_000;

/** The ids the route rows fill their paths with (undefined: this instance has none). */
interface BenchIds {
  runId?: string;
  sensor?: string;
  schedule?: string;
  repository?: string;
  branch?: string;
  commits?: [string, string];
  objectPath?: string;
  experimentId?: string;
  trainingRunId?: string;
  metricKey?: string;
  model?: string;
  version?: string;
  /** A pipeline run that registered a model version (lineage by run). */
  registeringRunId?: string;
  alias?: string;
}

type Goal = 'list' | 'detail' | 'heavy';
const GOAL_MS: Record<Goal, number> = { list: 20, detail: 20, heavy: 50 };

/** One benchmarked route: its path as the index spells it, and its URL from the ids. */
interface RouteRow {
  /** The figure's name. Default: from the path (`/api/runs/:id/events` → `runs_id_events`). */
  name?: string;
  path: string;
  goal: Goal;
  url: (ids: BenchIds) => string | undefined;
}

const enc = encodeURIComponent;
const data = (ids: BenchIds, rest: string) =>
  ids.repository === undefined ? undefined : `/api/data/repositories/${enc(ids.repository)}${rest}`;
const model = (ids: BenchIds, rest: string) =>
  ids.model === undefined ? undefined : `/api/models/${enc(ids.model)}${rest}`;
const version = (ids: BenchIds, rest: string) =>
  ids.version === undefined ? undefined : model(ids, `/versions/${ids.version}${rest}`);

/** Every list and detail GET route, registered on this branch or expected from the others. */
const ROUTES: RouteRow[] = [
  { path: '/api', goal: 'detail', url: () => '/api' },
  { path: '/api/health', goal: 'detail', url: () => '/api/health' },
  { path: '/api/runs', goal: 'list', url: () => '/api/runs' },
  {
    name: 'runs_by_status',
    path: '/api/runs',
    goal: 'list',
    url: () => '/api/runs?status=FAILURE&limit=100',
  },
  { path: '/api/runs/:id', goal: 'detail', url: (i) => i.runId && `/api/runs/${enc(i.runId)}` },
  { path: '/api/runs/:id/events', goal: 'list', url: (i) => i.runId && `/api/runs/${enc(i.runId)}/events` },
  { path: '/api/assets', goal: 'list', url: () => '/api/assets' },
  { path: '/api/sensors', goal: 'list', url: () => '/api/sensors' },
  { path: '/api/sensors/:name', goal: 'detail', url: (i) => i.sensor && `/api/sensors/${enc(i.sensor)}` },
  {
    path: '/api/sensors/:name/ticks',
    goal: 'list',
    url: (i) => i.sensor && `/api/sensors/${enc(i.sensor)}/ticks`,
  },
  { path: '/api/schedules', goal: 'list', url: () => '/api/schedules' },
  {
    path: '/api/schedules/:name',
    goal: 'detail',
    url: (i) => i.schedule && `/api/schedules/${enc(i.schedule)}`,
  },
  {
    path: '/api/schedules/:name/ticks',
    goal: 'list',
    url: (i) => i.schedule && `/api/schedules/${enc(i.schedule)}/ticks`,
  },
  { path: '/api/data/repositories', goal: 'list', url: () => '/api/data/repositories' },
  { path: '/api/data/repositories/:repo', goal: 'detail', url: (i) => data(i, '') },
  { path: '/api/data/repositories/:repo/branches', goal: 'list', url: (i) => data(i, '/branches') },
  { path: '/api/data/repositories/:repo/tags', goal: 'list', url: (i) => data(i, '/tags') },
  {
    path: '/api/data/repositories/:repo/commits',
    goal: 'list',
    url: (i) => i.branch && data(i, `/commits?ref=${enc(i.branch)}&firstParent=true`),
  },
  {
    path: '/api/data/repositories/:repo/diff',
    goal: 'list',
    url: (i) => i.commits && data(i, `/diff?left=${i.commits[0]}&right=${i.commits[1]}`),
  },
  {
    path: '/api/data/repositories/:repo/branches/:branch/changes',
    goal: 'list',
    url: (i) => i.branch && data(i, `/branches/${enc(i.branch)}/changes`),
  },
  {
    path: '/api/data/repositories/:repo/objects',
    goal: 'list',
    url: (i) => i.branch && data(i, `/objects?ref=${enc(i.branch)}&delimiter=/`),
  },
  {
    path: '/api/data/repositories/:repo/objects/preview',
    goal: 'detail',
    url: (i) =>
      i.branch && i.objectPath && data(i, `/objects/preview?ref=${enc(i.branch)}&path=${enc(i.objectPath)}`),
  },
  { path: '/api/experiments', goal: 'list', url: () => '/api/experiments' },
  {
    path: '/api/experiments/:id',
    goal: 'detail',
    url: (i) => i.experimentId && `/api/experiments/${enc(i.experimentId)}`,
  },
  { path: '/api/training-runs', goal: 'list', url: () => '/api/training-runs' },
  {
    path: '/api/training-runs/:id',
    goal: 'detail',
    url: (i) => i.trainingRunId && `/api/training-runs/${enc(i.trainingRunId)}`,
  },
  {
    path: '/api/training-runs/:id/metrics/:key',
    goal: 'heavy',
    url: (i) =>
      i.trainingRunId &&
      i.metricKey &&
      `/api/training-runs/${enc(i.trainingRunId)}/metrics/${enc(i.metricKey)}`,
  },
  {
    path: '/api/training-runs/:id/artifacts',
    goal: 'list',
    url: (i) => i.trainingRunId && `/api/training-runs/${enc(i.trainingRunId)}/artifacts`,
  },
  { path: '/api/models', goal: 'list', url: () => '/api/models' },
  { path: '/api/models/:name', goal: 'detail', url: (i) => model(i, '') },
  { path: '/api/models/:name/versions', goal: 'list', url: (i) => model(i, '/versions') },
  { path: '/api/models/:name/versions/:version', goal: 'detail', url: (i) => version(i, '') },
  { path: '/api/models/:name/history', goal: 'list', url: (i) => model(i, '/history') },
  {
    path: '/api/models/:name/aliases/:alias/history',
    goal: 'list',
    url: (i) => i.alias && model(i, `/aliases/${enc(i.alias)}/history`),
  },
  { path: '/api/models/:name/versions/:version/why', goal: 'heavy', url: (i) => version(i, '/why') },
  {
    name: 'lineage_by_model_version',
    path: '/api/lineage',
    goal: 'heavy',
    url: (i) => i.model && i.version && `/api/lineage?modelVersion=${enc(`${i.model}/${i.version}`)}`,
  },
  {
    name: 'lineage_by_run',
    path: '/api/lineage',
    goal: 'heavy',
    url: (i) => i.registeringRunId && `/api/lineage?run=${enc(i.registeringRunId)}`,
  },
];

function nameOf(row: RouteRow): string {
  return row.name ?? (row.path.replace(/^\/api\/?/, '').replace(/[:/]+/g, '_') || 'index');
}

/** `/api/models/:name/versions/:v` and `/api/models/:model/versions/:version` compare equal. */
const shape = (path: string) => path.replace(/:[A-Za-z0-9_]+/g, ':');

// ---------- the instance: seeded, or a real home ----------

interface Bench {
  name: string;
  context: ApiContext;
  ids: BenchIds;
  seed: BenchFigure[];
  close: () => Promise<void>;
}

async function timed<T>(what: string, figures: BenchFigure[], work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  console.log(`seeded ${what} in ${seconds.toFixed(2)} s`);
  figures.push({ name: `seed_${what.split(' ')[0] ?? what}`, value: seconds, unit: 's' });
  return result;
}

/** The events of one run: start, then per step start, logs, materialization and success, then success. */
function runEvents(run: RunRecord, total: number): EventRecord[] {
  const events: EventRecord[] = [];
  const t = run.createdAt;
  events.push({ runId: run.runId, type: 'RUN_START', timestamp: t, message: 'Started the run' });
  for (let i = 0; events.length < total - 1; i++) {
    const stepKey = run.assetKeys[i % run.assetKeys.length] ?? 'processed';
    const kind = i % 4;
    if (kind === 0) {
      events.push({
        runId: run.runId,
        stepKey,
        type: 'STEP_START',
        timestamp: t + i,
        message: `Started ${stepKey}`,
      });
    } else if (kind === 1) {
      events.push({
        runId: run.runId,
        stepKey,
        type: 'LOG',
        timestamp: t + i,
        message: `Loaded 498,734 rows from flights@${run.runId.slice(0, 8)}`,
        level: 'INFO',
      });
    } else if (kind === 2) {
      events.push({
        runId: run.runId,
        stepKey,
        type: 'ASSET_MATERIALIZATION',
        timestamp: t + i,
        message: `Materialized ${stepKey}`,
        materialization: {
          assetKey: stepKey,
          codeVersion: 'v3',
          inputDataVersions: {},
          dataVersion: `sha256:${(i + t).toString(16).padStart(64, '0')}`,
          storagePath: `storage/${stepKey}/output.arrow`,
          metadata: { rows: 498_734 },
        },
      });
    } else {
      events.push({
        runId: run.runId,
        stepKey,
        type: 'STEP_SUCCESS',
        timestamp: t + i,
        message: `Finished ${stepKey}`,
        data: { durationMs: 1_203 },
      });
    }
  }
  events.push({ runId: run.runId, type: 'RUN_SUCCESS', timestamp: t + total, message: 'Finished the run' });
  return events;
}

/** The check evaluations the gate of a version's pipeline run recorded (the last one blocks). */
function checkEvents(run: RunRecord, passed: boolean, auc: number): EventRecord[] {
  const check = (checkName: string, ok: boolean, blocking: boolean, metadata: Record<string, unknown>) => ({
    runId: run.runId,
    stepKey: 'processed',
    type: 'ASSET_CHECK_EVALUATION' as const,
    timestamp: (run.endedAt ?? run.createdAt) - 100,
    message: `Check ${checkName} ${ok ? 'passed' : 'failed'}`,
    checkEvaluation: {
      assetKey: 'processed',
      checkName,
      passed: ok,
      severity: 'ERROR' as const,
      blocking,
      metadata,
    },
  });
  return [
    check('no_null_delays', true, true, { description: 'No null delays.', nulls: 0 }),
    check('row_count', true, false, { description: '498,734 rows (≥ 1,000).', rows: 498_734 }),
    check('not_worse_than_champion', passed, true, {
      description: `AUC ${auc.toFixed(3)} ${passed ? '≥' : '<'} champion − 0.002.`,
      auc,
      tolerance: 0.002,
    }),
  ];
}

async function seededBench(): Promise<Bench> {
  const runs = count('runs');
  const eventCount = count('events');
  const points = count('points');
  const versionCount = Math.min(count('versions'), runs);
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-api-bench-'));
  const instance = await Instance.open({ home, recoverDeadRuns: false });
  const dataRepository = new EmbeddedDataRepository({ home });
  const tracking = new LocalTrackingStore({ root: join(home, 'tracking') });
  const registry = new LocalModelRegistry({ root: join(home, 'tracking') });
  const sensor = dataCommitSensor({
    name: 'new_data',
    repository: 'flights',
    branch: 'main',
    job: 'process',
    dataRepository,
  });
  const { defs } = automationDefs({ sensors: [sensor] });
  const seed: BenchFigure[] = [];
  const started = performance.now();
  const ids: BenchIds = { sensor: 'new_data', repository: 'flights', branch: 'main', alias: 'champion' };

  const commits = await timed('data (1 repository, 12 commits, 2 branches)', seed, async () => {
    await dataRepository.createRepository({ name: 'flights' });
    const made: string[] = [];
    for (let month = 1; month <= 12; month++) {
      const name = `months/2001-${String(month).padStart(2, '0')}.csv`;
      const rows = Array.from({ length: 500 }, (_, r) => `2001-${month}-01,SFO,${(r * 7) % 90}`).join('\n');
      await dataRepository.putObject({
        repository: 'flights',
        branch: 'main',
        path: name,
        content: `date,origin,delay\n${rows}\n`,
      });
      made.push((await dataRepository.commit({ repository: 'flights', branch: 'main', message: name })).id);
      ids.objectPath = name;
    }
    await dataRepository.createBranch({ repository: 'flights', name: 'exp', source: 'main' });
    ids.commits = [made[0] ?? 'main', made.at(-1) ?? 'main'];
    return made;
  });
  // Each run is for the commit of its twelfth of the history, as a sensor on `main` would see them.
  const commitOf = (n: number) =>
    commits[Math.min(commits.length - 1, Math.floor((n * commits.length) / runs))];

  const records = await timed(`runs (${runs})`, seed, async () => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    const made: RunRecord[] = [];
    for (let n = 0; n < runs; n++) {
      const run: RunRecord = {
        runId: `run-${String(n).padStart(6, '0')}-${(n * 2654435761).toString(36)}`,
        jobName: 'process',
        selection: 'processed',
        assetKeys: ['processed'],
        status: n % 10 === 0 ? 'FAILURE' : 'SUCCESS',
        tags: {
          team: n % 2 === 0 ? 'ml' : 'data',
          [SENSOR_TAG]: 'new_data',
          [DATA_COMMIT_TAG]: commitOf(n) ?? `c${n}`,
          [DATA_REPOSITORY_TAG]: 'flights',
        },
        createdAt: base + n * 60_000,
        startedAt: base + n * 60_000 + 10,
        endedAt: base + n * 60_000 + 5_000,
        updatedAt: base + n * 60_000 + 5_000,
      };
      await instance.runs.addRun(run); // one transaction per run, as the launcher writes them
      made.push(run);
    }
    return made;
  });
  ids.runId = records.at(-1)?.runId;

  // A launching tick per run and, between launches, one coalesced SKIPPED tick (as the daemon
  // stores an idle sensor): the run's tick is found among 2 × runs ticks of the sensor.
  await timed(`ticks (${2 * runs})`, seed, async () => {
    for (const run of records) {
      const commitId = run.tags[DATA_COMMIT_TAG] ?? '';
      await instance.schedules.addTick({
        instigatorName: 'new_data',
        type: 'SENSOR',
        timestamp: run.createdAt - 1_000,
        status: 'SUCCESS',
        runKeys: [`${commitId}:${run.runId}`],
        runIds: [run.runId],
        cursor: commitId,
      });
      await instance.schedules.addTick({
        instigatorName: 'new_data',
        type: 'SENSOR',
        timestamp: run.createdAt + 30_000,
        status: 'SKIPPED',
        runKeys: [],
        runIds: [],
        skipReason: 'No new commit on flights/main',
        cursor: commitId,
        count: 1,
        lastTimestamp: run.createdAt + 30_000,
      });
    }
  });

  await timed(`events (${eventCount})`, seed, async () => {
    const perRun = Math.max(2, Math.floor(eventCount / runs));
    let batch: EventRecord[] = [];
    let written = 0;
    for (const run of records) {
      if (written >= eventCount) break;
      const events = runEvents(run, Math.min(perRun, eventCount - written));
      batch.push(...events);
      written += events.length;
      if (batch.length >= EVENT_BATCH) {
        await instance.events.appendEvents(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await instance.events.appendEvents(batch);
  });

  await timed(`metric (${points} points)`, seed, async () => {
    const experiment = await tracking.getOrCreateExperiment('flight-delays');
    ids.experimentId = experiment.experimentId;
    const run = await tracking.createRun({ experimentId: experiment.experimentId, name: 'train-long' });
    for (let from = 0; from < points; from += METRIC_BATCH) {
      const metrics = Array.from({ length: Math.min(METRIC_BATCH, points - from) }, (_, k) => {
        const step = from + k;
        return {
          key: 'loss',
          value: 1 / (step + 1) + 0.01 * Math.sin(step),
          step,
          timestamp: 1_767_225_600_000 + step,
        };
      });
      await tracking.logBatch(run.info.runId, { metrics });
    }
    await tracking.endRun(run.info.runId, 'FINISHED');
    ids.trainingRunId = run.info.runId;
    ids.metricKey = 'loss';
  });

  // The versions spread over the runs (every runs/versions-th run registers one); a third fail the
  // champion gate, the others move the alias, by their run, with a reason.
  await timed(`registry (${versionCount} versions over the runs, 20 other models)`, seed, async () => {
    const experiment = await tracking.getOrCreateExperiment('flight-delays');
    await registry.createRegisteredModel({ name: 'flight_delay' });
    const every = Math.floor(runs / versionCount);
    const gateEvents: EventRecord[] = [];
    let anyTrainingRun: string | undefined;
    for (let v = 1; v <= versionCount; v++) {
      const pipelineRun = records[v * every - 1];
      if (pipelineRun === undefined) break;
      const passed = v % 3 !== 0;
      const auc = 0.75 + (passed ? v : v - 2) / 10_000;
      const run = await tracking.createRun({
        experimentId: experiment.experimentId,
        name: `train-${v}`,
        tags: { [LineageTag.PIPELINE_RUN_ID]: pipelineRun.runId },
      });
      anyTrainingRun = run.info.runId;
      await tracking.logBatch(run.info.runId, {
        params: { lr: 0.1, trees: 100 + (v % 7), depth: 6 },
        metrics: [
          { key: 'auc', value: auc },
          { key: 'logloss', value: 0.5 - v / 10_000 },
        ],
      });
      await tracking.endRun(run.info.runId, 'FINISHED');
      const modelVersion = await registry.createModelVersion({
        name: 'flight_delay',
        runId: run.info.runId,
        tags: {
          [LineageTag.DATA_REPOSITORY]: 'flights',
          [LineageTag.DATA_COMMIT]: pipelineRun.tags[DATA_COMMIT_TAG] ?? '',
          [LineageTag.PIPELINE_RUN_ID]: pipelineRun.runId,
        },
      });
      gateEvents.push(...checkEvents(pipelineRun, passed, auc));
      if (passed) {
        await registry.setAlias({
          name: 'flight_delay',
          alias: 'champion',
          version: modelVersion.version,
          reason: `AUC ${auc.toFixed(4)} ≥ champion − 0.002`,
          by: stepMover({ runId: pipelineRun.runId, assetKey: 'processed' }),
        });
      }
      // The middle version: its run and tick are deep in the history, not among the newest.
      if (v === Math.ceil(versionCount / 2)) {
        ids.version = modelVersion.version;
        ids.registeringRunId = pipelineRun.runId;
      }
    }
    await instance.events.appendEvents(gateEvents);
    for (let m = 0; m < 20 && anyTrainingRun !== undefined; m++) {
      const name = `model_${String(m).padStart(2, '0')}`;
      await registry.createRegisteredModel({ name });
      await registry.createModelVersion({ name, runId: anyTrainingRun });
    }
    ids.model = 'flight_delay';
  });

  const total = (performance.now() - started) / 1000;
  console.log(`seeded everything in ${total.toFixed(2)} s`);
  seed.push({ name: 'seed_total', value: total, unit: 's' });

  return {
    name: 'api',
    context: { defs, instance, data: dataRepository, tracking, registry },
    ids,
    seed,
    close: async () => {
      await registry.close();
      await tracking.close();
      await dataRepository.close();
      await instance.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The first value of a list call, or undefined when it throws (the store is absent or empty). */
async function first<T>(list: () => Promise<readonly T[]>): Promise<T | undefined> {
  try {
    return (await list())[0];
  } catch {
    return undefined;
  }
}

async function instanceBench(home: string): Promise<Bench> {
  const defs: Definitions = await loadDefinitions({ path: resolve(args.defs) });
  const instance = await Instance.open({ home, recoverDeadRuns: false });
  const dataRepository: DataRepository = createDataRepository({ home: instance.home });
  const tracking = openTracking({ home: instance.home });
  const registry = openRegistry({ home: instance.home });
  const ids: BenchIds = {
    runId: (await first(() => instance.runs.listRuns({ limit: 1 })))?.runId,
    sensor: defs.sensors[0]?.name,
    schedule: defs.schedules[0]?.name,
  };
  ids.repository = (await first(async () => (await dataRepository.listRepositories()).results))?.name;
  if (ids.repository !== undefined) {
    const repository = ids.repository;
    const info = await dataRepository.getRepository(repository);
    ids.branch = info.defaultBranch;
    const log = await dataRepository.log({
      repository,
      ref: info.defaultBranch,
      firstParent: true,
      amount: 50,
    });
    const [newest, oldest] = [log.results[0], log.results.at(-1)];
    if (newest !== undefined && oldest !== undefined) ids.commits = [oldest.id, newest.id];
    const objects = await dataRepository.listObjects({ repository, ref: info.defaultBranch, amount: 1000 });
    const paths = objects.results.filter((entry) => entry.pathType === 'object').map((entry) => entry.path);
    ids.objectPath = paths.find((path) => path.endsWith('.parquet')) ?? paths[0];
  }
  const experiment = await first(() => tracking.listExperiments());
  ids.experimentId = experiment?.experimentId;
  if (experiment !== undefined) {
    const runs = await tracking.searchRuns({ experimentIds: [experiment.experimentId], maxResults: 50 });
    // The run with the longest metric history is the one worth measuring.
    let longest = 0;
    for (const run of runs) {
      for (const key of Object.keys(run.metrics)) {
        const history = await tracking.getMetricHistory(run.info.runId, key);
        if (history.length > longest) {
          longest = history.length;
          ids.trainingRunId = run.info.runId;
          ids.metricKey = key;
        }
      }
    }
    ids.trainingRunId ??= runs[0]?.info.runId;
  }
  const registered = await first(() => registry.searchRegisteredModels());
  if (registered !== undefined) {
    ids.model = registered.name;
    ids.version = registered.latestVersion;
    ids.alias = Object.keys(registered.aliases)[0];
    if (registered.latestVersion !== undefined) {
      const latest = await registry.getModelVersion(registered.name, registered.latestVersion);
      ids.registeringRunId = latest.tags[LineageTag.PIPELINE_RUN_ID];
    }
  }
  return {
    name: 'api-instance',
    context: { defs, instance, data: dataRepository, tracking, registry },
    ids,
    seed: [],
    close: async () => {
      await registry.close();
      await tracking.close();
      await dataRepository.close();
      await instance.close();
    },
  };
}

// ---------- measuring ----------

interface Outcome {
  row: RouteRow;
  url?: string;
  status: string;
  p50?: number;
  p95?: number;
}

async function request(app: Hono, url: string): Promise<{ status: number; body: string }> {
  const response = await app.request(url);
  return { status: response.status, body: await response.text() };
}

async function measure(app: Hono, row: RouteRow, ids: BenchIds, registered: Set<string>): Promise<Outcome> {
  if (!registered.has(shape(row.path))) return { row, status: 'not registered' };
  const url = row.url(ids);
  if (url === undefined) return { row, status: 'skipped: this instance has no id to fill the path with' };
  const probe = await request(app, url);
  if (probe.status !== 200) {
    const message = /"message":"([^"]*)"/.exec(probe.body)?.[1] ?? probe.body.slice(0, 120);
    return { row, url, status: `skipped: ${probe.status} ${message}` };
  }
  for (let i = 0; i < WARMUP; i++) await request(app, url);
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    await request(app, url);
    times.push(performance.now() - started);
  }
  return { row, url, status: 'ok', p50: percentile(times, 50), p95: percentile(times, 95) };
}

/**
 * The time from a data commit to the first stream chunk naming it, over `GET /api/stream`; a
 * reason instead when the route is not registered or nothing arrives in time.
 */
async function streamLatency(app: Hono, bench: Bench, registered: Set<string>): Promise<number | string> {
  if (!registered.has('/api/stream')) return 'not registered';
  // It commits: never into a real home (the stream-latency bench measures on a fresh one).
  if (args.instance !== undefined) return 'skipped: it would commit into the instance’s repository';
  const data = bench.context.data;
  const { repository, branch } = bench.ids;
  if (data === undefined || repository === undefined || branch === undefined)
    return 'skipped: no data repository';
  const controller = new AbortController();
  const response = await app.request('/api/stream?topics=commits', { signal: controller.signal });
  const reader = response.body?.getReader();
  if (response.status !== 200 || reader === undefined) return `skipped: ${response.status}`;
  const decoder = new TextDecoder();
  try {
    await data.putObject({ repository, branch, path: `bench/stream-${Date.now()}.txt`, content: 'x' });
    const started = performance.now();
    const commit = await data.commit({ repository, branch, message: 'bench: stream latency' });
    let seen = '';
    // Cancelling the reader ends a pending read (done), whatever the route does with the abort.
    const deadline = setTimeout(() => {
      controller.abort();
      reader.cancel().catch(() => undefined);
    }, STREAM_TIMEOUT_MS);
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return `no event naming the commit within ${STREAM_TIMEOUT_MS} ms`;
        seen += decoder.decode(chunk.value as Uint8Array, { stream: true });
        if (seen.includes(commit.id)) return performance.now() - started;
      }
    } catch {
      return `no event naming the commit within ${STREAM_TIMEOUT_MS} ms`;
    } finally {
      clearTimeout(deadline);
    }
  } finally {
    controller.abort();
    await reader.cancel().catch(() => undefined);
  }
}

const bench = args.instance === undefined ? await seededBench() : await instanceBench(resolve(args.instance));
try {
  const app = createApiApp(bench.context);
  const index = JSON.parse((await request(app, '/api')).body) as {
    routes: { method: string; path: string }[];
  };
  const gets = index.routes.filter((route) => route.method === 'GET').map((route) => route.path);
  const registered = new Set(gets.map(shape));
  console.log(`\n${REQUESTS} requests per route (after ${WARMUP} warm-up), through app.request()`);
  const outcomes: Outcome[] = [];
  const only = args.only;
  const selected = (name: string, path: string) =>
    only.length === 0 || only.some((text) => name.includes(text) || path.includes(text));
  if (only.length > 0) console.log(`only the rows whose name or path contains: ${only.join(', ')}`);
  for (const row of ROUTES.filter((r) => selected(nameOf(r), r.path))) {
    const outcome = await measure(app, row, bench.ids, registered);
    outcomes.push(outcome);
    const goal = `goal p50 ≤ ${GOAL_MS[row.goal]} ms`;
    const figures =
      outcome.p50 === undefined || outcome.p95 === undefined
        ? outcome.status
        : `p50 ${outcome.p50.toFixed(2)} ms  p95 ${outcome.p95.toFixed(2)} ms  (${goal}${outcome.p50 <= GOAL_MS[row.goal] ? '' : ', MISSED'})`;
    const query = outcome.url?.includes('?') === true ? '?…' : '';
    console.log(`  ${`GET ${row.path}${query}`.padEnd(58)} ${nameOf(row).padEnd(32)} ${figures}`);
  }
  const covered = new Set(ROUTES.map((row) => shape(row.path)));
  // The stream has its own figure below; the index and the OpenAPI document are not API data.
  const uncovered = gets.filter(
    (path) => !covered.has(shape(path)) && path !== '/api/openapi.json' && path !== '/api/stream',
  );
  if (uncovered.length > 0) console.log(`GET routes of the index no row measures: ${uncovered.join(', ')}`);

  const stream = selected('stream', '/api/stream')
    ? await streamLatency(app, bench, registered)
    : 'not selected (--only)';
  console.log(
    `  stream: commit → its event  ${typeof stream === 'number' ? `${stream.toFixed(1)} ms (goal ≤ 100 ms)` : stream}`,
  );

  const figures: BenchFigure[] = [...bench.seed];
  for (const outcome of outcomes) {
    if (outcome.p50 === undefined || outcome.p95 === undefined) continue;
    const name = nameOf(outcome.row);
    figures.push({
      name: `${name}_p50`,
      value: outcome.p50,
      unit: 'ms',
      goal: `<= ${GOAL_MS[outcome.row.goal]} ms`,
    });
    figures.push({ name: `${name}_p95`, value: outcome.p95, unit: 'ms' });
  }
  if (typeof stream === 'number')
    figures.push({ name: 'stream_commit_to_event', value: stream, unit: 'ms', goal: '<= 100 ms' });
  reportBench(bench.name, figures, {
    scenario: args.instance === undefined ? 'seeded' : `instance ${args.instance}`,
    runs: args.instance === undefined ? count('runs') : undefined,
    events: args.instance === undefined ? count('events') : undefined,
    metricPoints: args.instance === undefined ? count('points') : undefined,
    requestsPerRoute: REQUESTS,
    versions: args.instance === undefined ? count('versions') : undefined,
    only: only.length === 0 ? undefined : only,
    urls: Object.fromEntries(outcomes.filter((o) => o.url !== undefined).map((o) => [nameOf(o.row), o.url])),
    notMeasured: Object.fromEntries(
      outcomes.filter((o) => o.status !== 'ok').map((o) => [nameOf(o.row), o.status]),
    ),
    uncoveredRoutes: uncovered,
    loadAverage: loadavg(),
    cpus: cpus().length,
  });
} finally {
  await bench.close();
}
