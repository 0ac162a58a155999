/**
 * A network failure during training never silently drops metrics: transient failures are
 * retried until the points are stored; a lasting failure fails the call loudly, saying how many
 * points were written. The server is real; only the network between is broken (a fault-injecting
 * wrapper around the real fetch).
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import { MlflowTrackingStore } from '../../src/tracking/index.js';
import { describeWithMlflow } from './mlflow-test-server.js';

function faultyFetch(failures: (url: string, call: number) => boolean): typeof fetch {
  let calls = 0;
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.includes('runs/log-batch')) {
      calls += 1;
      if (failures(url, calls)) throw new TypeError('fetch failed: connection reset (injected)');
    }
    return fetch(input, init);
  };
}

describeWithMlflow('MLflow backend under network failures', (uri) => {
  async function newRun(store: MlflowTrackingStore): Promise<string> {
    const experiment = await store.getOrCreateExperiment(`net-${randomUUID().slice(0, 8)}`);
    return (await store.createRun({ experimentId: experiment.experimentId, name: 'train' })).info.runId;
  }
  const points = Array.from({ length: 2500 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), step: i }));

  it('retries transient failures and stores every point', async () => {
    const store = new MlflowTrackingStore({
      url: uri,
      fetch: faultyFetch((_url, call) => call === 2 || call === 3),
      sleep: () => Promise.resolve(),
    });
    const runId = await newRun(store);
    await store.logBatch(runId, { metrics: points });
    expect(await store.getMetricHistory(runId, 'loss')).toHaveLength(points.length);
  });

  it('fails loudly with the number of points written when the server stays unreachable', async () => {
    const store = new MlflowTrackingStore({
      url: uri,
      fetch: faultyFetch((_url, call) => call > 1),
      sleep: () => Promise.resolve(),
    });
    const runId = await newRun(store);
    const error: unknown = await store.logBatch(runId, { metrics: points }).catch((e: unknown) => e);
    expect(isLakeloopError(error, 'UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('after 1000 of 2500 metric points were written');
    expect(await store.getMetricHistory(runId, 'loss')).toHaveLength(1000);
  });
});
