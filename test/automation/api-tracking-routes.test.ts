/**
 * The tracking routes of the REST API through `app.request` (no socket), against a real embedded
 * tracking store in a temp folder: experiments (paged, by id or name), training runs searched with
 * MLflow filter strings (and their errors) and paged across a page boundary, a run with its data,
 * a metric history downsampled and zoomed, artifact listing and download (with the path checks),
 * 503 without a store. The filter-string search runs once more against the real MLflow server
 * (skipped locally without one, failing under CI=true, as every MLflow suite).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { manualClock } from '../../src/clock.js';
import { Instance } from '../../src/core/instance/instance.js';
import { createApiApp } from '../../src/server/api-app.js';
import { DOWNLOAD_TEMP_PREFIX } from '../../src/server/routes/tracking-routes.js';
import { LocalTrackingStore, MlflowTrackingStore } from '../../src/tracking/index.js';
import type { TrackingStore } from '../../src/tracking/index.js';
import { describeWithMlflow } from '../tracking/mlflow-test-server.js';
import { automationDefs } from './fixtures/automation-defs.js';

type Body = Record<string, unknown>;

interface RunSummary {
  info: { runId: string; runName: string; status: string };
  metrics: Record<string, number | string>;
  params: Record<string, string>;
}

/** Three finished-or-not runs in one experiment: a (lr 0.1, auc 0.9), b (lr 0.01, auc 0.6), c (lr 0.1, auc 0.75). */
async function seedRuns(tracking: TrackingStore, experimentName: string): Promise<Record<string, string>> {
  const experiment = await tracking.getOrCreateExperiment(experimentName);
  const ids: Record<string, string> = {};
  for (const [index, [name, lr, auc, team]] of (
    [
      ['a', '0.1', 0.9, 'ml'],
      ['b', '0.01', 0.6, 'ml'],
      ['c', '0.1', 0.75, 'data'],
    ] as const
  ).entries()) {
    const run = await tracking.createRun({
      experimentId: experiment.experimentId,
      name,
      tags: { team },
      startTime: 1_700_000_000_000 + index * 1000,
    });
    ids[name] = run.info.runId;
    await tracking.logBatch(run.info.runId, { params: { lr }, metrics: [{ key: 'auc', value: auc }] });
  }
  await tracking.endRun(ids.a ?? '', 'FINISHED');
  await tracking.endRun(ids.b ?? '', 'FINISHED');
  return ids;
}

function appFor(tracking: TrackingStore | undefined, instance: Instance): Hono {
  const { defs } = automationDefs();
  return createApiApp({ defs, instance, ...(tracking === undefined ? {} : { tracking }) });
}

async function getJson(app: Hono, path: string): Promise<{ status: number; body: Body }> {
  const response = await app.request(path);
  return { status: response.status, body: (await response.json()) as Body };
}

const q = encodeURIComponent;

describe('REST API: tracking routes on the embedded store', () => {
  let dir: string;
  let instance: Instance;
  let tracking: LocalTrackingStore;
  let app: Hono;
  const get = (path: string) => getJson(app, path);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    instance = await Instance.ephemeral({ clock: manualClock(Date.parse('2026-03-01T00:00:00Z')) });
    tracking = new LocalTrackingStore({
      root: join(dir, 'tracking'),
      clock: manualClock(Date.parse('2026-03-01T00:00:00Z')),
    });
    app = appFor(tracking, instance);
  });

  afterEach(async () => {
    await tracking.close();
    await instance.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists experiments by name in pages, and shows one by id or by name', async () => {
    for (const name of ['churn', 'flights', 'ads']) await tracking.getOrCreateExperiment(name);
    const first = await get('/api/experiments?limit=2');
    expect(first.status).toBe(200);
    expect((first.body['results'] as { name: string }[]).map((e) => e.name)).toEqual(['ads', 'churn']);
    expect(first.body).toMatchObject({ hasMore: true, nextOffset: 'churn' });
    const second = await get('/api/experiments?limit=2&after=churn');
    expect((second.body['results'] as { name: string }[]).map((e) => e.name)).toEqual(['flights']);
    expect(second.body).toMatchObject({ hasMore: false, nextOffset: '' });

    const flights = await tracking.getExperimentByName('flights');
    const byId = await get(`/api/experiments/${flights.experimentId}`);
    expect(byId.body['experiment']).toMatchObject({ name: 'flights', lifecycleStage: 'active' });
    const byName = await get('/api/experiments/flights');
    expect(byName.body['experiment']).toMatchObject({ experimentId: flights.experimentId });
    const missing = await get('/api/experiments/nope');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(JSON.stringify(missing.body)).toContain('GET /api/experiments');
  });

  it('searches training runs with an MLflow filter string, the status parameter and an order', async () => {
    await seedRuns(tracking, 'flights');
    const names = async (query: string) => {
      const { status, body } = await get(`/api/training-runs?experiment=flights&${query}`);
      expect(status, JSON.stringify(body)).toBe(200);
      return (body['results'] as RunSummary[]).map((run) => run.info.runName);
    };
    expect(await names(`filter=${q("metrics.auc > 0.7 and params.lr = '0.1'")}`)).toEqual(['c', 'a']);
    expect(await names(`filter=${q("params.lr != '0.1'")}`)).toEqual(['b']);
    expect(await names(`filter=${q("tags.team = 'ml' and attributes.status = 'FINISHED'")}`)).toEqual([
      'b',
      'a',
    ]);
    expect(await names(`filter=${q("params.lr LIKE '0.0%'")}`)).toEqual(['b']);
    expect(await names('status=RUNNING')).toEqual(['c']);
    // The status parameter and the filter's status clauses must both hold.
    expect(await names(`status=RUNNING&filter=${q("attributes.status = 'FINISHED'")}`)).toEqual([]);
    expect(await names(`orderBy=${q('metrics.auc ASC')}`)).toEqual(['b', 'c', 'a']);
    expect(await names('orderBy=start_time%20asc')).toEqual(['a', 'b', 'c']);
    // Without an experiment: every active one.
    await seedRuns(tracking, 'churn');
    const all = await get(`/api/training-runs?filter=${q("params.lr = '0.01'")}`);
    expect((all.body['results'] as RunSummary[]).map((run) => run.info.runName)).toEqual(['b', 'b']);
  });

  it('pages through training runs across a page boundary, with no gap and no repeat', async () => {
    const experiment = await tracking.getOrCreateExperiment('pages');
    for (let index = 0; index < 5; index++) {
      await tracking.createRun({
        experimentId: experiment.experimentId,
        name: `r${index}`,
        startTime: 1_700_000_000_000 + index,
      });
    }
    const seen: string[] = [];
    const tokens: unknown[] = [];
    let after: string | undefined;
    do {
      const page = await get(
        `/api/training-runs?experiment=pages&limit=2${after === undefined ? '' : `&after=${q(after)}`}`,
      );
      expect(page.status).toBe(200);
      const runs = page.body['results'] as RunSummary[];
      expect(runs.length).toBeLessThanOrEqual(2);
      seen.push(...runs.map((run) => run.info.runName));
      tokens.push(page.body['nextOffset']);
      after = page.body['hasMore'] === true ? (page.body['nextOffset'] as string) : undefined;
    } while (after !== undefined && tokens.length < 10);
    expect(seen).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);
    expect(tokens).toHaveLength(3);
    expect(tokens.at(-1)).toBe('');
    const bad = await get('/api/training-runs?experiment=pages&after=bogus');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    expect(JSON.stringify(bad.body)).toContain('Invalid page token');
  });

  it('refuses filter strings it does not support, naming the token and what is supported', async () => {
    await tracking.getOrCreateExperiment('flights');
    const or = await get(
      `/api/training-runs?experiment=flights&filter=${q('metrics.auc > 0.7 or metrics.auc < 0.1')}`,
    );
    expect(or).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    const message = (or.body['error'] as { message: string }).message;
    expect(message).toContain('at character 19 ("or")');
    expect(message).toContain('OR is not supported (MLflow does not support it either)');
    expect(message).toContain('supported: clauses joined by `and`');
    const numberParam = await get(`/api/training-runs?experiment=flights&filter=${q('params.lr = 0.1')}`);
    expect(JSON.stringify(numberParam.body)).toContain("params.lr = '0.1'");
    const attribute = await get(
      `/api/training-runs?experiment=flights&filter=${q("attributes.run_name = 'x'")}`,
    );
    expect(JSON.stringify(attribute.body)).toContain('only attributes.status is');
    const order = await get('/api/training-runs?experiment=flights&orderBy=params.lr');
    expect(order.status).toBe(400);
    expect(JSON.stringify(order.body)).toContain('order by start_time or metrics.<key>');
    expect((await get('/api/training-runs?experiment=flights&status=DONE')).status).toBe(400);
    expect((await get('/api/training-runs?experiment=flights&limit=0')).status).toBe(400);
    expect((await get('/api/training-runs?experiment=flights&nope=1')).status).toBe(400);
    expect((await get('/api/training-runs?experiment=missing')).status).toBe(404);
  });

  it('shows a training run with its metrics (NaN as "NaN"), params, tags and inputs', async () => {
    const experiment = await tracking.getOrCreateExperiment('flights');
    const run = await tracking.createRun({
      experimentId: experiment.experimentId,
      name: 'train',
      tags: { team: 'ml' },
    });
    await tracking.logBatch(run.info.runId, {
      params: { lr: 0.1 },
      metrics: [
        { key: 'auc', value: 0.8 },
        { key: 'loss', value: Number.NaN },
      ],
    });
    await tracking.logInputs(run.info.runId, [
      {
        name: 'flights',
        digest: 'c0ffee12',
        sourceType: 'lakeloop-data',
        source: 'lakeloop://flights/c0ffee12',
      },
    ]);
    const shown = await get(`/api/training-runs/${run.info.runId}`);
    expect(shown.status).toBe(200);
    expect(shown.body['run']).toMatchObject({
      info: {
        runId: run.info.runId,
        runName: 'train',
        status: 'RUNNING',
        experimentId: experiment.experimentId,
      },
      metrics: { auc: 0.8, loss: 'NaN' },
      params: { lr: '0.1' },
      tags: { team: 'ml' },
      inputs: [{ name: 'flights', digest: 'c0ffee12' }],
    });
    expect(await get('/api/training-runs/0123456789abcdef0123456789abcdef')).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND' } },
    });
    expect((await get('/api/training-runs/bad%20id')).status).toBe(400);
  });

  it('downsamples a long metric history keeping its extremes, and zooms into a step range', async () => {
    const experiment = await tracking.getOrCreateExperiment('flights');
    const run = await tracking.createRun({ experimentId: experiment.experimentId, name: 'train' });
    const count = 20_000;
    for (let from = 0; from < count; from += 1000) {
      await tracking.logBatch(run.info.runId, {
        metrics: Array.from({ length: 1000 }, (_, i) => {
          const step = from + i;
          const value = step === 12_345 ? 99 : step === 4321 ? -99 : Math.sin(step / 100);
          return { key: 'train/loss', value, step, timestamp: 1_000_000 + step };
        }),
      });
    }
    const base = `/api/training-runs/${run.info.runId}/metrics/${q('train/loss')}`;
    const whole = await get(base);
    expect(whole.status).toBe(200);
    const points = whole.body['points'] as { step: number; value: number; timestamp: number }[];
    expect(whole.body).toMatchObject({ key: 'train/loss', totalPoints: count, downsampled: true });
    expect(points.length).toBeLessThanOrEqual(1500);
    expect(points[0]).toEqual({ step: 0, value: 0, timestamp: 1_000_000 });
    expect(points.at(-1)?.step).toBe(count - 1);
    expect(points).toContainEqual({ step: 12_345, value: 99, timestamp: 1_012_345 });
    expect(points).toContainEqual({ step: 4321, value: -99, timestamp: 1_004_321 });

    const zoom = await get(`${base}?minStep=12000&maxStep=12999&maxPoints=100`);
    const zoomed = zoom.body['points'] as { step: number; value: number }[];
    expect(zoom.body).toMatchObject({ totalPoints: 1000, downsampled: true });
    expect(zoomed.length).toBeLessThanOrEqual(100);
    expect(zoomed.every((p) => p.step >= 12_000 && p.step <= 12_999)).toBe(true);
    expect(zoomed).toContainEqual(expect.objectContaining({ step: 12_345, value: 99 }));
    const close = await get(`${base}?minStep=100&maxStep=149`);
    expect(close.body).toMatchObject({ totalPoints: 50, downsampled: false });
    // A zoom past the last step is an empty answer, not a missing metric.
    const past = await get(`${base}?minStep=${count}`);
    expect(past).toMatchObject({ status: 200, body: { points: [], totalPoints: 0, downsampled: false } });

    const unknown = await get(`/api/training-runs/${run.info.runId}/metrics/auc`);
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).toContain('train/loss');
    expect((await get(`${base}?maxPoints=3`)).status).toBe(400);
    expect((await get(`${base}?minStep=10&maxStep=5`)).status).toBe(400);
  });

  it('lists artifacts and streams one file, refusing .., absolute paths and folders', async () => {
    const experiment = await tracking.getOrCreateExperiment('flights');
    const run = await tracking.createRun({ experimentId: experiment.experimentId, name: 'train' });
    const local = join(dir, 'out');
    mkdirSync(join(local, 'model'), { recursive: true });
    writeFileSync(join(local, 'metrics.json'), '{"auc":0.8}');
    writeFileSync(join(local, 'model', 'model ü.onnx'), Buffer.from([1, 2, 3, 4]));
    await tracking.logArtifact(run.info.runId, local);
    const runPath = `/api/training-runs/${run.info.runId}`;

    const root = await get(`${runPath}/artifacts`);
    expect(root.body).toEqual({
      path: '',
      files: [
        { path: 'metrics.json', isDir: false, fileSize: 11 },
        { path: 'model', isDir: true },
      ],
    });
    const model = await get(`${runPath}/artifacts?path=model`);
    expect(model.body['files']).toEqual([{ path: 'model/model ü.onnx', isDir: false, fileSize: 4 }]);

    const temps = () =>
      readdirSync(tmpdir())
        .filter((name) => name.startsWith(DOWNLOAD_TEMP_PREFIX))
        .sort();
    const before = temps();
    const json = await app.request(`${runPath}/artifacts/download?path=metrics.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(json.headers.get('content-disposition')).toBe(
      `attachment; filename="metrics.json"; filename*=UTF-8''metrics.json`,
    );
    expect(await json.text()).toBe('{"auc":0.8}');
    const onnx = await app.request(`${runPath}/artifacts/download?path=${q('model/model ü.onnx')}`);
    expect(onnx.headers.get('content-type')).toBe('application/octet-stream');
    expect(onnx.headers.get('content-disposition')).toBe(
      `attachment; filename="model _.onnx"; filename*=UTF-8''model%20%C3%BC.onnx`,
    );
    expect([...new Uint8Array(await onnx.arrayBuffer())]).toEqual([1, 2, 3, 4]);
    // The temporary copies are gone once the files are sent.
    expect(temps()).toEqual(before);

    for (const [path, code, text] of [
      ['../../etc/passwd', 'INVALID_ARGUMENT', '".."'],
      ['/etc/passwd', 'INVALID_ARGUMENT', 'absolute'],
      ['model', 'INVALID_ARGUMENT', 'is a folder'],
      ['missing.txt', 'NOT_FOUND', 'has no artifact'],
    ] as const) {
      const refused = await get(`${runPath}/artifacts/download?path=${q(path)}`);
      expect(refused.body, path).toMatchObject({ error: { code } });
      expect((refused.body['error'] as { message: string }).message).toContain(text);
    }
    expect((await get(`${runPath}/artifacts?path=${q('a/../..')}`)).status).toBe(400);
    expect((await get(`${runPath}/artifacts/download`)).status).toBe(400);
  });

  it('answers 503 without a tracking store, and lists the tracking routes in the index', async () => {
    const index = await get('/api');
    const routes = (index.body['routes'] as { method: string; path: string }[]).map(
      (r) => `${r.method} ${r.path}`,
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /api/experiments',
        'GET /api/experiments/:id',
        'GET /api/training-runs',
        'GET /api/training-runs/:id',
        'GET /api/training-runs/:id/metrics/:key',
        'GET /api/training-runs/:id/artifacts',
        'GET /api/training-runs/:id/artifacts/download',
      ]),
    );
    const none = await getJson(appFor(undefined, instance), '/api/training-runs');
    expect(none).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE' } } });
    expect(JSON.stringify(none.body)).toContain('no tracking store');
  });
});

describeWithMlflow('REST API: training-run search on the MLflow server', (uri) => {
  let instance: Instance;
  let tracking: MlflowTrackingStore;

  beforeEach(async () => {
    instance = await Instance.ephemeral({ clock: manualClock(Date.parse('2026-03-01T00:00:00Z')) });
    tracking = new MlflowTrackingStore({ url: uri });
  });
  afterEach(async () => {
    await tracking.close();
    await instance.close();
  });

  it('translates a filter string with params, metrics, tags and status into MLflow search, and pages', async () => {
    const name = `api-${randomUUID().slice(0, 8)}`;
    await seedRuns(tracking, name);
    const app = appFor(tracking, instance);
    const search = async (query: string) => {
      const { status, body } = await getJson(app, `/api/training-runs?experiment=${name}&${query}`);
      expect(status, JSON.stringify(body)).toBe(200);
      return {
        names: (body['results'] as RunSummary[]).map((run) => run.info.runName),
        next: body['nextOffset'],
      };
    };
    expect((await search(`filter=${q("params.lr = '0.1' and metrics.auc > 0.7")}`)).names).toEqual([
      'c',
      'a',
    ]);
    expect((await search(`filter=${q("params.lr != '0.1'")}`)).names).toEqual(['b']);
    expect(
      (await search(`filter=${q("tags.team = 'ml' and attributes.status != 'RUNNING'")}`)).names,
    ).toEqual(['b', 'a']);
    const first = await search('limit=2');
    expect(first.names).toEqual(['c', 'b']);
    expect(typeof first.next).toBe('string');
    const second = await search(`limit=2&after=${q(first.next as string)}`);
    expect(second).toEqual({ names: ['a'], next: '' });
  });
});
