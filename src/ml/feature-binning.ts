/**
 * Quantile binning of float features into at most 255 bins per feature plus a missing-value bin
 * (255), the way histogram gradient boosting needs them. Thresholds are float32 so that
 * `value <= threshold` means the same thing in training, in `predict` and in ONNX Runtime.
 *
 * @example
 * ```ts
 * const binning = computeBinThresholds(data, { maxBins: 255, subsample: 200_000, seed: 0 });
 * // binning.thresholds[f * 255 + b] is the upper edge of bin b of feature f
 * ```
 */
import { featureThresholds } from './gbdt-kernels.js';
import { sklearnBinningSample } from './numpy-random.js';
import type { TabularData } from './tabular-data.js';

/** Per-feature bin edges. */
export interface BinThresholds {
  columns: number;
  /** 255 float32 slots per feature; the first `counts[f]` are used, increasing. */
  thresholds: Float32Array;
  /** Number of thresholds of each feature (non-missing bins = counts[f] + 1). */
  counts: Int32Array;
}

/** Options of {@link computeBinThresholds}. */
export interface BinningOptions {
  /** Maximum non-missing bins per feature, 2..255. Default 255. */
  maxBins?: number;
  /** Rows sampled to find the quantiles. Default 200,000 (as scikit-learn). */
  subsample?: number;
  /** Seed of the row sample, drawn as scikit-learn does for `random_state = seed`. Default 0. */
  seed?: number;
}

/** Rows scikit-learn samples to place bin edges. */
export const BINNING_SAMPLE_ROWS = 200_000;

/** Finds the bin edges of every feature (midpoints between distinct values, or quantiles). */
export function computeBinThresholds(data: TabularData, options: BinningOptions = {}): BinThresholds {
  const maxBins = Math.min(255, Math.max(2, Math.floor(options.maxBins ?? 255)));
  const { rows, columns, features } = data;
  const count = options.subsample ?? BINNING_SAMPLE_ROWS;
  const sample = sklearnBinningSample({ rows, count, seed: options.seed ?? 0 });
  const thresholds = new Float32Array(columns * 255);
  const counts = new Int32Array(columns);
  featureThresholds({ features, columns, sample, sampleRows: sample.length, maxBins, thresholds, counts });
  return { columns, thresholds, counts };
}
