/**
 * The contract every {@link TrackingStore} passes (embedded SQLite and MLflow server alike).
 * Every test uses its own experiment (unique name), so suites can share a server.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import type { SearchRunsQuery, TrackingStore } from '../../src/tracking/index.js';

/** Creates a store for one test; `cleanup` removes what it created locally. */
export type TrackingStoreFactory = () =>
  | Promise<{ store: TrackingStore; cleanup: () => void | Promise<void> }>
  | { store: TrackingStore; cleanup: () => void | Promise<void> };

/** Asserts that `promise` rejects with a LakeloopError of `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a ${code} error`).toBeDefined();
  expect(isLakeloopError(error) ? error.code : String(error)).toBe(code);
}

/** Registers the contract tests (call inside a describe block). */
export function trackingStoreContract(factory: TrackingStoreFactory): void {
  let store: TrackingStore;
  let cleanup: () => void | Promise<void>;
  let dir: string;
  const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

  beforeEach(async () => {
    ({ store, cleanup } = await factory());
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function newRun(tags?: Record<string, string>): Promise<{ runId: string; experimentId: string }> {
    const experiment = await store.getOrCreateExperiment(unique('exp'));
    const run = await store.createRun({
      experimentId: experiment.experimentId,
      name: 'train',
      ...(tags === undefined ? {} : { tags }),
    });
    return { runId: run.info.runId, experimentId: experiment.experimentId };
  }

  it('gets or creates experiments by name, idempotently, and lists them', async () => {
    const name = unique('exp');
    const first = await store.getOrCreateExperiment(name);
    const second = await store.getOrCreateExperiment(name);
    expect(second.experimentId).toBe(first.experimentId);
    expect(first.name).toBe(name);
    expect((await store.getExperiment(first.experimentId)).name).toBe(name);
    expect((await store.getExperimentByName(name)).experimentId).toBe(first.experimentId);
    expect((await store.listExperiments()).map((e) => e.name)).toContain(name);
  });

  it('rejects unknown experiments with NOT_FOUND', async () => {
    await expectCode(store.getExperimentByName(unique('missing')), 'NOT_FOUND');
    await expectCode(store.getExperiment('987654321'), 'NOT_FOUND');
    await expectCode(store.createRun({ experimentId: '987654321', name: 'x' }), 'NOT_FOUND');
  });

  it('creates a run RUNNING with its name and tags, and ends it', async () => {
    const { runId, experimentId } = await newRun({ team: 'ml' });
    const run = await store.getRun(runId);
    expect(run.info.status).toBe('RUNNING');
    expect(run.info.runName).toBe('train');
    expect(run.info.experimentId).toBe(experimentId);
    expect(run.info.endTime).toBeUndefined();
    expect(run.tags.team).toBe('ml');
    await store.endRun(runId, 'FINISHED', run.info.startTime + 1000);
    const ended = await store.getRun(runId);
    expect(ended.info.status).toBe('FINISHED');
    expect(ended.info.endTime).toBe(run.info.startTime + 1000);
    await expectCode(store.endRun(runId, 'RUNNING'), 'INVALID_ARGUMENT');
  });

  it('rejects unknown runs with NOT_FOUND', async () => {
    const missing = randomUUID().replaceAll('-', '');
    await expectCode(store.getRun(missing), 'NOT_FOUND');
    await expectCode(store.logMetric(missing, 'loss', 1), 'NOT_FOUND');
    await expectCode(store.endRun(missing, 'FINISHED'), 'NOT_FOUND');
  });

  it('keeps params immutable: same value is fine, a different one is a CONFLICT that writes nothing', async () => {
    const { runId } = await newRun();
    await store.logParams(runId, { lr: 0.1, depth: 6, fast: true });
    await store.logParams(runId, { lr: '0.1' });
    await expectCode(
      store.logBatch(runId, { params: { lr: 0.2 }, metrics: [{ key: 'auc', value: 0.5 }], tags: { t: 'x' } }),
      'CONFLICT',
    );
    const run = await store.getRun(runId);
    expect(run.params).toEqual({ depth: '6', fast: 'true', lr: '0.1' });
    expect(run.metrics.auc).toBeUndefined();
    expect(run.tags.t).toBeUndefined();
  });

  it('keeps the full metric history and the latest value by step', async () => {
    const { runId } = await newRun();
    await store.logBatch(runId, {
      metrics: [
        { key: 'loss', value: 0.9, step: 0, timestamp: 1000 },
        { key: 'loss', value: 0.5, step: 2, timestamp: 1002 },
        { key: 'loss', value: 0.7, step: 1, timestamp: 1003 },
      ],
    });
    await store.logMetric(runId, 'auc', 0.75);
    const history = await store.getMetricHistory(runId, 'loss');
    expect(history.map((m) => [m.step, m.value])).toEqual([
      [0, 0.9],
      [1, 0.7],
      [2, 0.5],
    ]);
    const run = await store.getRun(runId);
    expect(run.metrics).toEqual({ auc: 0.75, loss: 0.5 });
    expect(await store.getMetricHistory(runId, 'never-logged')).toEqual([]);
  });

  it('accepts NaN and ±Infinity metric values, as MLflow does', async () => {
    const { runId } = await newRun();
    await store.logBatch(runId, {
      metrics: [
        { key: 'odd', value: Number.NaN, step: 0, timestamp: 1 },
        { key: 'odd', value: Number.POSITIVE_INFINITY, step: 1, timestamp: 2 },
        { key: 'odd', value: Number.NEGATIVE_INFINITY, step: 2, timestamp: 3 },
      ],
    });
    const values = (await store.getMetricHistory(runId, 'odd')).map((m) => m.value);
    expect(values[0]).toBeNaN();
    expect(values.slice(1)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect((await store.getRun(runId)).metrics.odd).toBe(Number.NEGATIVE_INFINITY);
  });

  it('splits oversized batches instead of rejecting them', async () => {
    const { runId } = await newRun();
    const metrics = Array.from({ length: 2500 }, (_, i) => ({
      key: 'curve',
      value: i / 10,
      step: i,
      timestamp: 5,
    }));
    const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, String(i)]));
    const tags = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`t${i}`, String(i)]));
    await store.logBatch(runId, { metrics, params, tags });
    const run = await store.getRun(runId);
    expect(Object.keys(run.params)).toHaveLength(150);
    expect(Object.keys(run.tags).filter((k) => /^t\d+$/.test(k))).toHaveLength(150);
    const history = await store.getMetricHistory(runId, 'curve');
    expect(history).toHaveLength(2500);
    expect(history.at(-1)?.value).toBe(249.9);
  });

  it('rejects invalid keys and values before writing anything', async () => {
    const { runId } = await newRun();
    await expectCode(
      store.logBatch(runId, {
        metrics: [
          { key: 'ok', value: 1 },
          { key: '../escape', value: 2 },
        ],
      }),
      'INVALID_ARGUMENT',
    );
    await expectCode(store.logBatch(runId, { metrics: [{ key: 'bad key!', value: 1 }] }), 'INVALID_ARGUMENT');
    await expectCode(store.logParams(runId, { long: 'x'.repeat(6001) }), 'INVALID_ARGUMENT');
    await expectCode(
      store.logBatch(runId, { metrics: [{ key: 'step', value: 1, step: 1.5 }] }),
      'INVALID_ARGUMENT',
    );
    expect((await store.getRun(runId)).metrics).toEqual({});
  });

  it('sets tags, overwriting earlier values', async () => {
    const { runId } = await newRun();
    await store.setTags(runId, { stage: 'a' });
    await store.setTags(runId, { stage: 'b', other: 'c' });
    const run = await store.getRun(runId);
    expect(run.tags.stage).toBe('b');
    expect(run.tags.other).toBe('c');
  });

  it('searches runs by tags, metric comparisons and status, ordered by a metric', async () => {
    const experiment = await store.getOrCreateExperiment(unique('search'));
    const ids: Record<string, string> = {};
    for (const [name, auc, kind] of [
      ['a', 0.6, 'gbdt'],
      ['b', 0.8, 'gbdt'],
      ['c', 0.7, 'logreg'],
    ] as const) {
      const run = await store.createRun({ experimentId: experiment.experimentId, name, tags: { kind } });
      ids[name] = run.info.runId;
      await store.logMetric(run.info.runId, 'auc', auc);
    }
    await store.endRun(ids.a ?? '', 'FINISHED');
    const gbdt = await store.searchRuns({ experimentIds: [experiment.experimentId], tags: { kind: 'gbdt' } });
    expect(gbdt.map((r) => r.info.runName).sort()).toEqual(['a', 'b']);
    const good = await store.searchRuns({
      experimentIds: [experiment.experimentId],
      metrics: [{ key: 'auc', comparator: '>=', value: 0.7 }],
      orderBy: { field: 'metric', key: 'auc' },
    });
    expect(good.map((r) => r.info.runName)).toEqual(['b', 'c']);
    const finished = await store.searchRuns({
      experimentIds: [experiment.experimentId],
      statuses: ['FINISHED'],
    });
    expect(finished.map((r) => r.info.runName)).toEqual(['a']);
    const ascending = await store.searchRuns({
      experimentIds: [experiment.experimentId],
      orderBy: { field: 'metric', key: 'auc' },
      ascending: true,
      maxResults: 2,
    });
    expect(ascending.map((r) => r.info.runName)).toEqual(['a', 'c']);
  });

  it('searches runs by params and tags with = != LIKE ILIKE, and by several statuses', async () => {
    const experiment = await store.getOrCreateExperiment(unique('params'));
    const ids: Record<string, string> = {};
    for (const [name, lr, team] of [
      ['a', '0.1', 'ML-core'],
      ['b', '0.01', 'ml-infra'],
      ['c', '0.1', 'data'],
    ] as const) {
      const run = await store.createRun({ experimentId: experiment.experimentId, name, tags: { team } });
      ids[name] = run.info.runId;
      await store.logParams(run.info.runId, { lr, optimizer: "adam's" });
    }
    await store.endRun(ids.a ?? '', 'FINISHED');
    await store.endRun(ids.b ?? '', 'FAILED');
    const names = async (query: Omit<SearchRunsQuery, 'experimentIds'>) =>
      (await store.searchRuns({ experimentIds: [experiment.experimentId], ...query }))
        .map((run) => run.info.runName)
        .sort();
    expect(await names({ params: [{ key: 'lr', comparator: '=', value: '0.1' }] })).toEqual(['a', 'c']);
    expect(await names({ params: [{ key: 'lr', comparator: '!=', value: '0.1' }] })).toEqual(['b']);
    // A run without the param never matches, not even !=.
    expect(await names({ params: [{ key: 'missing', comparator: '!=', value: 'x' }] })).toEqual([]);
    expect(await names({ params: [{ key: 'lr', comparator: 'LIKE', value: '0.0%' }] })).toEqual(['b']);
    expect(await names({ params: [{ key: 'optimizer', comparator: '=', value: "adam's" }] })).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(await names({ tagFilters: [{ key: 'team', comparator: 'ILIKE', value: 'ml-%' }] })).toEqual([
      'a',
      'b',
    ]);
    expect(
      await names({
        tagFilters: [{ key: 'team', comparator: '!=', value: 'data' }],
        params: [{ key: 'lr', comparator: '=', value: '0.1' }],
      }),
    ).toEqual(['a']);
    expect(await names({ statuses: ['FINISHED', 'FAILED'] })).toEqual(['a', 'b']);
  });

  it('pages through a search with page tokens, without gaps or repeats', async () => {
    const experiment = await store.getOrCreateExperiment(unique('pages'));
    for (let index = 0; index < 5; index++) {
      await store.createRun({
        experimentId: experiment.experimentId,
        name: `r${index}`,
        startTime: 1_700_000_000_000 + index * 1000,
      });
    }
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await store.searchRunsPage({
        experimentIds: [experiment.experimentId],
        maxResults: 2,
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...page.runs.map((run) => run.info.runName));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== undefined && pages < 10);
    expect(seen).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);
    expect(pages).toBe(3);
    await expectCode(
      store.searchRunsPage({ experimentIds: [experiment.experimentId], pageToken: 'not-a-token' }),
      'INVALID_ARGUMENT',
    );
  });

  it('records input datasets (the data commit)', async () => {
    const { runId } = await newRun();
    await store.logInputs(runId, [
      {
        name: 'flights',
        digest: 'c0ffee12',
        sourceType: 'lakeloop-data',
        source: 'lakeloop://flights/c0ffee12',
        tags: { 'mlflow.data.context': 'training' },
      },
    ]);
    const run = await store.getRun(runId);
    expect(run.inputs).toHaveLength(1);
    expect(run.inputs[0]).toMatchObject({
      name: 'flights',
      digest: 'c0ffee12',
      source: 'lakeloop://flights/c0ffee12',
      tags: { 'mlflow.data.context': 'training' },
    });
  });

  it('logs, lists and downloads artifact files and folders', async () => {
    const { runId } = await newRun();
    const file = join(dir, 'report.txt');
    writeFileSync(file, 'hello');
    mkdirSync(join(dir, 'model', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'model', 'MLmodel'), 'flavors: {}\n');
    writeFileSync(join(dir, 'model', 'sub', 'weights.bin'), Buffer.from([1, 2, 3, 4]));
    await store.logArtifact(runId, file);
    await store.logArtifact(runId, file, 'reports/daily');
    await store.logArtifact(runId, join(dir, 'model'), 'model');
    const root = await store.listArtifacts(runId);
    expect(root.map((a) => [a.path, a.isDir])).toEqual([
      ['model', true],
      ['report.txt', false],
      ['reports', true],
    ]);
    const model = await store.listArtifacts(runId, 'model');
    expect(model).toEqual([
      { path: 'model/MLmodel', isDir: false, fileSize: 12 },
      { path: 'model/sub', isDir: true, fileSize: undefined },
    ]);
    const out = join(dir, 'out');
    const local = await store.downloadArtifacts(runId, { path: 'model', destination: out });
    expect(readFileSync(join(local, 'sub', 'weights.bin'))).toEqual(Buffer.from([1, 2, 3, 4]));
    const single = await store.downloadArtifacts(runId, {
      path: 'reports/daily/report.txt',
      destination: out,
    });
    expect(readFileSync(single, 'utf8')).toBe('hello');
    await expectCode(store.downloadArtifacts(runId, { path: 'nope.txt', destination: out }), 'NOT_FOUND');
  });

  it('rejects artifact paths with .. or absolute paths, writing nothing', async () => {
    const { runId } = await newRun();
    const file = join(dir, 'x.txt');
    writeFileSync(file, 'x');
    await expectCode(store.logArtifact(runId, file, '../escape'), 'INVALID_ARGUMENT');
    await expectCode(store.logArtifact(runId, file, 'a/../../b'), 'INVALID_ARGUMENT');
    await expectCode(store.logArtifact(runId, file, '/etc'), 'INVALID_ARGUMENT');
    await expectCode(store.listArtifacts(runId, '../other-run'), 'INVALID_ARGUMENT');
    await expectCode(store.logArtifact(runId, join(dir, 'missing.txt')), 'NOT_FOUND');
    expect(await store.listArtifacts(runId)).toEqual([]);
  });
}
