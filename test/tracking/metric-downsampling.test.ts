/**
 * Downsampling a metric history: short histories come back whole; long ones are bounded by
 * maxPoints, keep the first and last points and the global extremes (a single spike too), stay in
 * step order, zoom into a step range, and handle NaN and ±Infinity.
 */
import { describe, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import { downsampleMetric } from '../../src/tracking/metric-downsampling.js';
import type { Metric } from '../../src/tracking/tracking-types.js';

/** `count` points of a noisy decaying loss (deterministic), steps 0.. */
function history(
  count: number,
  value: (step: number) => number = (s) => 1 / (1 + s / 1000) + Math.sin(s * 12.9898) * 0.01,
): Metric[] {
  return Array.from({ length: count }, (_, step) => ({
    key: 'loss',
    value: value(step),
    step,
    timestamp: 1_000 + step,
  }));
}

function extremes(points: readonly Metric[]): { min: Metric; max: Metric } {
  const finite = points.filter((p) => !Number.isNaN(p.value));
  const min = finite.reduce((a, b) => (b.value < a.value ? b : a));
  const max = finite.reduce((a, b) => (b.value > a.value ? b : a));
  return { min, max };
}

describe('downsampleMetric', () => {
  it('returns a history within maxPoints whole, not downsampled', () => {
    const points = history(1500);
    const result = downsampleMetric(points);
    expect(result).toEqual({ points, totalPoints: 1500, downsampled: false });
  });

  it('bounds 100k points by maxPoints, keeping the first, the last and the global extremes in step order', () => {
    const points = history(100_000);
    // A spike and a dip a chart must not lose.
    points[31_337] = { ...(points[31_337] as Metric), value: 50 };
    points[77_777] = { ...(points[77_777] as Metric), value: -50 };
    for (const maxPoints of [1500, 1000, 101, 4]) {
      const result = downsampleMetric(points, { maxPoints });
      expect(result.downsampled).toBe(true);
      expect(result.totalPoints).toBe(100_000);
      expect(result.points.length).toBeLessThanOrEqual(maxPoints);
      expect(result.points.length).toBeGreaterThanOrEqual(Math.min(maxPoints, 4) - 1);
      expect(result.points[0]).toBe(points[0]);
      expect(result.points.at(-1)).toBe(points.at(-1));
      expect(result.points).toContain(points[31_337]);
      expect(result.points).toContain(points[77_777]);
      const steps = result.points.map((p) => p.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(new Set(steps).size).toBe(steps.length);
    }
    // Close to the budget, not far under it.
    expect(downsampleMetric(points).points.length).toBeGreaterThan(1400);
  });

  it('keeps each bucket extreme: the min and max of the downsample are those of the whole', () => {
    const points = history(20_000, (s) => Math.sin(s / 50) * (1 + s / 20_000));
    const result = downsampleMetric(points, { maxPoints: 300 });
    expect(extremes(result.points)).toEqual(extremes(points));
  });

  it('zooms into a step range, counting and downsampling only its points', () => {
    const points = history(100_000);
    const result = downsampleMetric(points, { minStep: 10_000, maxStep: 10_999, maxPoints: 200 });
    expect(result.totalPoints).toBe(1000);
    expect(result.points.length).toBeLessThanOrEqual(200);
    expect(result.points[0]?.step).toBe(10_000);
    expect(result.points.at(-1)?.step).toBe(10_999);
    expect(result.points.every((p) => p.step >= 10_000 && p.step <= 10_999)).toBe(true);
    const whole = downsampleMetric(points, { minStep: 50_000, maxStep: 50_099 });
    expect(whole).toMatchObject({ totalPoints: 100, downsampled: false });
    expect(downsampleMetric(points, { minStep: 200_000 })).toEqual({
      points: [],
      totalPoints: 0,
      downsampled: false,
    });
  });

  it('lets NaN win no bucket, keeps a gap of NaN only, and keeps ±Infinity as extremes', () => {
    const points = history(10_000, (s) => (s >= 4000 && s < 6000 ? Number.NaN : s % 7));
    points[100] = { ...(points[100] as Metric), value: Number.POSITIVE_INFINITY };
    points[9000] = { ...(points[9000] as Metric), value: Number.NEGATIVE_INFINITY };
    const result = downsampleMetric(points, { maxPoints: 100 });
    expect(result.points.length).toBeLessThanOrEqual(100);
    expect(result.points).toContain(points[100]);
    expect(result.points).toContain(points[9000]);
    const gap = result.points.filter((p) => Number.isNaN(p.value));
    expect(gap.length).toBeGreaterThan(0);
    expect(gap.every((p) => p.step >= 4000 && p.step < 6000)).toBe(true);
    // Buckets with some finite values keep finite ones only.
    expect(result.points.filter((p) => p.step < 3900 && Number.isNaN(p.value))).toEqual([]);
  });

  it('refuses a maxPoints below 4', () => {
    let error: unknown;
    try {
      downsampleMetric(history(10), { maxPoints: 3 });
    } catch (caught) {
      error = caught;
    }
    expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});
