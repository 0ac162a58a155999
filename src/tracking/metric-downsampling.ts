/**
 * Downsampling of a metric history for charts, min/max per bucket: the first and last points are
 * kept, the points between are cut into equal-count buckets and each bucket keeps its lowest and
 * highest point (in step order). So the global minimum and maximum always survive, spikes show,
 * and the result has at most `maxPoints` points. A step range (`minStep`..`maxStep`, inclusive)
 * zooms: only its points are counted and downsampled. NaN values never win a bucket's min/max; a
 * bucket of NaN points only keeps one of them, so the chart still shows the gap.
 *
 * @example
 * ```ts
 * const history = await tracking.getMetricHistory(runId, 'loss'); // 100,000 points
 * const { points, totalPoints, downsampled } = downsampleMetric(history, { maxPoints: 1500 });
 * ```
 */
import { LakeloopError } from '../errors.js';
import type { Metric } from './tracking-types.js';
import type { TrackingStore } from './tracking-store.js';

/** Options of {@link downsampleMetric}. */
export interface DownsampleOptions {
  /** Most points returned (at least 4). Default {@link DEFAULT_MAX_POINTS}. */
  maxPoints?: number;
  /** Only points with `step >= minStep`. Default: from the first. */
  minStep?: number;
  /** Only points with `step <= maxStep`. Default: to the last. */
  maxStep?: number;
}

/** What {@link downsampleMetric} returns. */
export interface DownsampledMetric {
  /** The kept points, in the input's order. */
  points: Metric[];
  /** How many points the step range holds (before downsampling). */
  totalPoints: number;
  /** True when points were dropped. */
  downsampled: boolean;
}

/** Default most points: enough for a chart a few thousand pixels wide. */
export const DEFAULT_MAX_POINTS = 1500;
/** Fewest `maxPoints`: the first, the last, and one bucket's min and max. */
export const MIN_MAX_POINTS = 4;

/** `maxPoints` (default {@link DEFAULT_MAX_POINTS}) once checked: INVALID_ARGUMENT below the fewest. */
export function validMaxPoints(maxPoints: number | undefined): number {
  const points = maxPoints ?? DEFAULT_MAX_POINTS;
  if (!Number.isInteger(points) || points < MIN_MAX_POINTS) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `maxPoints must be a whole number of at least ${MIN_MAX_POINTS}; got ${points}.`,
    );
  }
  return points;
}

/** How many buckets `maxPoints` holds: two points a bucket, plus the first and the last. */
export function bucketCount(maxPoints: number): number {
  return Math.floor((maxPoints - 2) / 2);
}

/**
 * The position (in the step range, 0 = the first point) where `bucket` starts; bucket `buckets`
 * "starts" at the last point. Shared by every implementation so that they cut at the same places.
 */
export function bucketStart(bucket: number, interior: number, buckets: number): number {
  return 1 + Math.floor((bucket * interior) / buckets);
}

/** Downsamples `history` (ordered by step, as `getMetricHistory` returns it). */
export function downsampleMetric(
  history: readonly Metric[],
  options: DownsampleOptions = {},
): DownsampledMetric {
  const maxPoints = validMaxPoints(options.maxPoints);
  const { minStep, maxStep } = options;
  const points =
    minStep === undefined && maxStep === undefined
      ? history
      : history.filter(
          (point) =>
            (minStep === undefined || point.step >= minStep) &&
            (maxStep === undefined || point.step <= maxStep),
        );
  if (points.length <= maxPoints)
    return { points: [...points], totalPoints: points.length, downsampled: false };

  const last = points.length - 1;
  const interior = points.length - 2;
  const buckets = bucketCount(maxPoints);
  const kept: Metric[] = [points[0] as Metric];
  for (let bucket = 0; bucket < buckets; bucket++) {
    const from = bucketStart(bucket, interior, buckets);
    const to = bucketStart(bucket + 1, interior, buckets);
    let low = -1;
    let high = -1;
    for (let index = from; index < to; index++) {
      const value = (points[index] as Metric).value;
      if (Number.isNaN(value)) continue;
      if (low === -1 || value < (points[low] as Metric).value) low = index;
      if (high === -1 || value > (points[high] as Metric).value) high = index;
    }
    if (low === -1) {
      if (from < to) kept.push(points[from] as Metric); // only NaN here: keep the gap
      continue;
    }
    const [first, second] = low <= high ? [low, high] : [high, low];
    kept.push(points[first] as Metric);
    if (second !== first) kept.push(points[second] as Metric);
  }
  kept.push(points[last] as Metric);
  return { points: kept, totalPoints: points.length, downsampled: true };
}

/**
 * A store's metric history downsampled: through the store's own fast path when it has one
 * ({@link TrackingStore.getMetricHistorySampled}), else the whole history through
 * {@link downsampleMetric}. Same points either way.
 */
export async function sampledMetricHistory(
  store: TrackingStore,
  runId: string,
  key: string,
  options: DownsampleOptions = {},
): Promise<DownsampledMetric> {
  if (store.getMetricHistorySampled !== undefined) {
    return store.getMetricHistorySampled(runId, key, options);
  }
  return downsampleMetric(await store.getMetricHistory(runId, key), options);
}
