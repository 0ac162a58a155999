/**
 * Quantile binning of float features into at most 255 bins per feature plus a missing-value bin
 * (255), the way histogram gradient boosting needs them. Thresholds are float32 so that
 * `value <= threshold` means the same thing in training, in `predict` and in ONNX Runtime.
 *
 * The edges are computed by `featureThresholds` (gbdt-kernels.ts, so that worker threads run it too)
 * from the rows `sklearnBinningSample` (numpy-random.ts) picks.
 *
 * @example
 * ```ts
 * const binning: BinThresholds = { columns, thresholds, counts };
 * // binning.thresholds[f * 255 + b] is the upper edge of bin b of feature f
 * ```
 */

/** Per-feature bin edges. */
export interface BinThresholds {
  columns: number;
  /** 255 float32 slots per feature; the first `counts[f]` are used, increasing. */
  thresholds: Float32Array;
  /** Number of thresholds of each feature (non-missing bins = counts[f] + 1). */
  counts: Int32Array;
}

/** Rows scikit-learn samples to place bin edges. */
export const BINNING_SAMPLE_ROWS = 200_000;
