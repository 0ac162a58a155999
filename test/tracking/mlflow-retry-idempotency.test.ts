/**
 * Retries never duplicate what a create made (issue #11, finding 8). A fault-injecting proxy in
 * front of the real MLflow server lets the server handle a request, then drops the response or
 * answers 500: the client cannot tell whether the create took effect, and must find out instead
 * of creating a second run or model version.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import { MlflowModelRegistry, MlflowTrackingStore } from '../../src/tracking/index.js';
import { startFaultProxy } from './fault-proxy.js';
import type { Fault, FaultProxy } from './fault-proxy.js';
import { describeWithMlflow } from './mlflow-test-server.js';

const noSleep = (): Promise<void> => Promise.resolve();

describeWithMlflow('MLflow creates under dropped responses and 500s after the fact', (uri) => {
  const proxies: FaultProxy[] = [];
  afterEach(async () => {
    for (const proxy of proxies.splice(0)) await proxy.close();
  });

  /** A proxy breaking the `nth` request to the endpoint ending with `suffix`. */
  async function proxyBreaking(suffix: string, fault: Fault, nth = 1): Promise<FaultProxy> {
    const proxy = await startFaultProxy(uri, (request, n) =>
      request.path.endsWith(suffix) && n === nth ? fault : 'pass',
    );
    proxies.push(proxy);
    return proxy;
  }

  const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
  const direct = new MlflowTrackingStore({ url: uri });

  it('model-versions/create with a dropped response yields exactly one version', async () => {
    const experiment = await direct.getOrCreateExperiment(unique('retry-mv'));
    const run = await direct.createRun({ experimentId: experiment.experimentId, name: 'train' });
    const name = unique('retry-model');
    await new MlflowModelRegistry({ url: uri }).createRegisteredModel({ name });

    const proxy = await proxyBreaking('/model-versions/create', 'drop-response');
    const registry = new MlflowModelRegistry({ url: proxy.url, sleep: noSleep });
    const version = await registry.createModelVersion({ name, runId: run.info.runId });

    const versions = await new MlflowModelRegistry({ url: uri }).searchModelVersions({ name });
    expect(versions.map((v) => v.version)).toEqual([version.version]);
    expect(version.runId).toBe(run.info.runId);
    expect(proxy.count('/model-versions/create')).toBe(1);
  });

  it('runs/create answered 500 after the server created the run yields exactly one run, no ghost RUNNING run', async () => {
    const experiment = await direct.getOrCreateExperiment(unique('retry-run'));
    const proxy = await proxyBreaking('/runs/create', 'error-after-forward');
    const store = new MlflowTrackingStore({ url: proxy.url, sleep: noSleep });

    const run = await store.createRun({ experimentId: experiment.experimentId, name: 'train' });
    await store.endRun(run.info.runId, 'FINISHED');

    const runs = await direct.searchRuns({ experimentIds: [experiment.experimentId] });
    expect(runs.map((r) => r.info.runId)).toEqual([run.info.runId]);
    expect(runs.filter((r) => r.info.status === 'RUNNING')).toEqual([]);
    expect(proxy.count('/runs/create')).toBe(1);
  });

  it('sends runs/create again when the failed attempt never reached the server', async () => {
    const experiment = await direct.getOrCreateExperiment(unique('retry-resend'));
    const proxy = await proxyBreaking('/runs/create', 'error-before-forward');
    const store = new MlflowTrackingStore({ url: proxy.url, sleep: noSleep });

    const run = await store.createRun({ experimentId: experiment.experimentId, name: 'train' });

    const runs = await direct.searchRuns({ experimentIds: [experiment.experimentId] });
    expect(runs.map((r) => r.info.runId)).toEqual([run.info.runId]);
    expect(proxy.count('/runs/create')).toBe(2);
  });

  it('registered-models/create and experiments/create with dropped responses return what they created', async () => {
    const modelProxy = await proxyBreaking('/registered-models/create', 'drop-response');
    const name = unique('retry-registered');
    const model = await new MlflowModelRegistry({
      url: modelProxy.url,
      sleep: noSleep,
    }).createRegisteredModel({
      name,
      description: 'mine',
    });
    expect(model).toMatchObject({ name, description: 'mine' });
    expect(modelProxy.count('/registered-models/create')).toBe(1);

    const experimentProxy = await proxyBreaking('/experiments/create', 'drop-response');
    const experimentName = unique('retry-experiment');
    const experiment = await new MlflowTrackingStore({
      url: experimentProxy.url,
      sleep: noSleep,
    }).getOrCreateExperiment(experimentName);
    expect((await direct.getExperimentByName(experimentName)).experimentId).toBe(experiment.experimentId);
  });

  it('retries log-batch after a 500 that followed the write, storing every point once', async () => {
    const experiment = await direct.getOrCreateExperiment(unique('retry-batch'));
    const run = await direct.createRun({ experimentId: experiment.experimentId, name: 'train' });
    const proxy = await proxyBreaking('/runs/log-batch', 'error-after-forward');
    const store = new MlflowTrackingStore({ url: proxy.url, sleep: noSleep });
    const points = Array.from({ length: 50 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1), step }));

    await store.logBatch(run.info.runId, { metrics: points, params: { lr: 0.1 }, tags: { team: 'ml' } });

    expect(await direct.getMetricHistory(run.info.runId, 'loss')).toHaveLength(points.length);
    expect(proxy.count('/runs/log-batch')).toBe(2);
  });

  it('does not retry a non-idempotent POST without a lookup after a 500 that may have taken effect', async () => {
    const proxy = await proxyBreaking('/experiments/create', 'error-after-forward');
    const store = new MlflowTrackingStore({ url: proxy.url, sleep: noSleep });
    const error: unknown = await store.client
      .post('experiments/create', { name: unique('retry-raw') }, (await import('zod')).z.object({}).loose())
      .catch((caught: unknown) => caught);
    expect(isLakeloopError(error, 'UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/not retried because it may have taken effect/);
    expect(proxy.count('/experiments/create')).toBe(1);
  });
});
