/** MetricBuffer: batched writes, and failed writes kept and reported, never dropped. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { isLakeloopError } from '../../src/errors.js';
import { LocalTrackingStore, MetricBuffer } from '../../src/tracking/index.js';

let root: string;
let store: LocalTrackingStore;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  store = new LocalTrackingStore({ root });
});
afterEach(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

it('writes every point in batches of maxPoints and on flush', async () => {
  const experiment = await store.getOrCreateExperiment('buffered');
  const { info } = await store.createRun({ experimentId: experiment.experimentId });
  const clock = manualClock(1_000);
  const buffer = new MetricBuffer({ store, runId: info.runId, maxPoints: 1000, clock });
  const spy = { calls: 0 };
  const logBatch = store.logBatch.bind(store);
  store.logBatch = async (...args) => {
    spy.calls += 1;
    await logBatch(...args);
  };
  for (let i = 0; i < 2500; i++) {
    clock.advance(1);
    buffer.log('loss', 1 / (i + 1), i);
  }
  await buffer.close();
  expect(spy.calls).toBe(3);
  expect(buffer.pending).toBe(0);
  const history = await store.getMetricHistory(info.runId, 'loss');
  expect(history).toHaveLength(2500);
  expect(history[2499]).toEqual({ key: 'loss', value: 1 / 2500, step: 2499, timestamp: 3_500 });
  expect(() => {
    buffer.log('loss', 1);
  }).toThrow(/closed/);
});

it('keeps the points of a failed write and reports the failure loudly', async () => {
  const buffer = new MetricBuffer({ store, runId: 'no-such-run', maxPoints: 10 });
  for (let i = 0; i < 10; i++) buffer.log('loss', i, i);
  await Promise.resolve();
  const flushError: unknown = await buffer.flush().catch((e: unknown) => e);
  expect(isLakeloopError(flushError, 'NOT_FOUND')).toBe(true);
  expect((flushError as Error).message).toContain('10 points are kept in the buffer');
  expect(buffer.pending).toBe(10);
  expect(() => {
    buffer.log('loss', 11, 11);
  }).toThrow(/kept in the buffer/);
});
