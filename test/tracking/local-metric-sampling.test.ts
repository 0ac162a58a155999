/**
 * The embedded store's SQL downsampling gives exactly what `downsampleMetric` gives over the full
 * history: on many random series (sizes around the bucket boundaries, ties in step, timestamp and
 * value, NaN runs, ±Infinity, points logged out of order, zoom ranges) on a real store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalTrackingStore } from '../../src/tracking/local/local-tracking-store.js';
import { downsampleMetric, sampledMetricHistory } from '../../src/tracking/metric-downsampling.js';
import type { DownsampleOptions } from '../../src/tracking/metric-downsampling.js';
import type { MetricInput } from '../../src/tracking/tracking-types.js';
import { isLakeloopError } from '../../src/errors.js';
import { seededRandom } from '../../src/ml/seeded-random.js';

/** A random series of `size` points: repeated steps and timestamps, few distinct values, NaN runs. */
function series(next: () => number, size: number): MetricInput[] {
  const pick = <T>(options: readonly T[]): T => options[Math.floor(next() * options.length)] as T;
  const distinct = pick([2, 3, 10, 1000]);
  const points: MetricInput[] = [];
  let step = 0;
  let nanRun = 0;
  for (let i = 0; i < size; i++) {
    step += pick([0, 1, 1, 1, 2, 5]); // 0: a tie in step
    if (nanRun === 0 && next() < 0.03) nanRun = 1 + Math.floor(next() * 300);
    let value: number;
    if (nanRun > 0) {
      nanRun--;
      value = Number.NaN;
    } else {
      const r = next();
      value =
        r < 0.01
          ? Number.POSITIVE_INFINITY
          : r < 0.02
            ? Number.NEGATIVE_INFINITY
            : Math.floor(next() * distinct) / 4 - 1;
    }
    points.push({ key: 'm', value, step, timestamp: 1_000 + step * 3 + pick([0, 0, 1]) });
  }
  // Logged out of order, so insertion (rowid) order is not history order.
  for (let i = points.length - 1; i > 0; i--) {
    if (next() < 0.2) {
      const j = Math.floor(next() * (i + 1));
      [points[i], points[j]] = [points[j] as MetricInput, points[i] as MetricInput];
    }
  }
  return points;
}

describe('LocalTrackingStore.getMetricHistorySampled', () => {
  let dir: string;
  let store: LocalTrackingStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-sampling-'));
    store = new LocalTrackingStore({ root: dir });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function logged(points: readonly MetricInput[]): Promise<string> {
    const experiment = await store.getOrCreateExperiment('sampling');
    const run = await store.createRun({ experimentId: experiment.experimentId });
    for (let from = 0; from < points.length; from += 1000) {
      await store.logBatch(run.info.runId, { metrics: points.slice(from, from + 1000) });
    }
    return run.info.runId;
  }

  async function expectSame(runId: string, options: DownsampleOptions, label: string): Promise<void> {
    const expected = downsampleMetric(await store.getMetricHistory(runId, 'm'), options);
    const actual = await store.getMetricHistorySampled(runId, 'm', options);
    expect(actual, label).toEqual(expected);
  }

  it('equals downsampleMetric over the history on random series, sizes around the bucket boundaries', async () => {
    let cases = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const next = seededRandom(seed);
      const maxPoints = [4, 5, 6, 7, 10, 33, 100, 1500][seed % 8] as number;
      const buckets = Math.floor((maxPoints - 2) / 2);
      const size = [
        maxPoints - 1,
        maxPoints,
        maxPoints + 1,
        maxPoints + 2,
        2 + buckets * 3,
        2 + buckets * 3 + 1,
        Math.floor(next() * 3000),
        1 + Math.floor(next() * 200),
      ][Math.floor(next() * 8)] as number;
      const points = series(next, Math.max(1, size));
      const runId = await logged(points);
      const steps = points.map((p) => p.step ?? 0);
      const top = Math.max(...steps);
      const a = Math.floor(next() * top);
      const b = a + Math.floor(next() * (top - a + 1));
      for (const options of [
        { maxPoints },
        { maxPoints, minStep: a },
        { maxPoints, maxStep: b },
        { maxPoints, minStep: a, maxStep: b },
        { maxPoints, minStep: top + 1 },
      ]) {
        await expectSame(runId, options, `seed ${seed}, ${points.length} points, ${JSON.stringify(options)}`);
        cases++;
      }
    }
    expect(cases).toBe(300);
  });

  it('keeps the first of tied extremes and one point of an all-NaN bucket, as downsampleMetric does', async () => {
    // Every value equal, in steps that tie, logged newest first: the ties decide everything.
    const points: MetricInput[] = Array.from({ length: 40 }, (_, i) => ({
      key: 'm',
      value: i % 10 < 4 ? Number.NaN : 1,
      step: Math.floor(i / 3),
      timestamp: 5,
    })).reverse();
    const runId = await logged(points);
    for (const maxPoints of [4, 6, 8, 12]) await expectSame(runId, { maxPoints }, `maxPoints ${maxPoints}`);
    const sampled = await store.getMetricHistorySampled(runId, 'm', { maxPoints: 6 });
    expect(sampled.downsampled).toBe(true);
    expect(sampled.totalPoints).toBe(40);
  });

  it('goes through the fast path and refuses what downsampleMetric refuses', async () => {
    const runId = await logged(series(seededRandom(7), 500));
    await expect(sampledMetricHistory(store, runId, 'm', { maxPoints: 50 })).resolves.toEqual(
      downsampleMetric(await store.getMetricHistory(runId, 'm'), { maxPoints: 50 }),
    );
    const refusal = await store
      .getMetricHistorySampled(runId, 'm', { maxPoints: 3 })
      .catch((e: unknown) => e);
    expect(isLakeloopError(refusal) && refusal.code).toBe('INVALID_ARGUMENT');
    const unknown = await store.getMetricHistorySampled('nope', 'm').catch((e: unknown) => e);
    expect(isLakeloopError(unknown) && unknown.code).toBe('NOT_FOUND');
  });
});
