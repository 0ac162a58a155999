/**
 * Metrics of binary classifiers: ROC AUC (ties averaged), log loss, accuracy, precision and recall
 * at a threshold, and a calibration table. Labels are 0/1; scores are probabilities of class 1.
 *
 * @example
 * ```ts
 * import { rocAuc, logLoss, calibrationTable } from 'lakeloop/ml';
 * const auc = rocAuc({ labels: test.labels, scores: model.predict(test.features, test.rows) });
 * ```
 */
import { LakeloopError } from '../errors.js';

/** Labels (0/1) and scores of the same rows. */
export interface ScoredLabels {
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
}

function check(input: ScoredLabels, needBoth: boolean): void {
  if (input.labels.length !== input.scores.length) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Got ${input.labels.length} labels and ${input.scores.length} scores; give one score per label.`,
    );
  }
  if (input.labels.length === 0)
    throw new LakeloopError('INVALID_ARGUMENT', 'Cannot compute a metric of zero rows.');
  let positives = 0;
  for (let i = 0; i < input.labels.length; i++) {
    const y = input.labels[i];
    if (y !== 0 && y !== 1) {
      throw new LakeloopError('INVALID_ARGUMENT', `Label ${String(y)} at row ${i} is not 0 or 1.`);
    }
    positives += y;
  }
  if (needBoth && (positives === 0 || positives === input.labels.length)) {
    throw new LakeloopError('INVALID_ARGUMENT', 'ROC AUC is undefined when only one class is present.');
  }
}

/** Area under the ROC curve; tied scores count one half (the Mann–Whitney statistic). */
export function rocAuc(input: ScoredLabels): number {
  check(input, true);
  const n = input.labels.length;
  const scores = Float64Array.from(input.scores);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const s = scores[order[i] ?? 0] ?? 0;
    while (j + 1 < n && scores[order[j + 1] ?? 0] === s) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (input.labels[order[k] ?? 0] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Options of {@link logLoss}. */
export interface LogLossOptions {
  /** Probabilities are clipped to [eps, 1 - eps]. Default 1e-15. */
  eps?: number;
}

/** Mean negative log-likelihood of the labels under the predicted probabilities. */
export function logLoss(input: ScoredLabels, options: LogLossOptions = {}): number {
  check(input, false);
  const eps = options.eps ?? 1e-15;
  let sum = 0;
  for (let i = 0; i < input.labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, input.scores[i] ?? 0));
    sum -= input.labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / input.labels.length;
}

/** Counts of a confusion matrix and the rates derived from it. */
export interface ThresholdMetrics {
  threshold: number;
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
  accuracy: number;
  /** TP / (TP + FP); 0 when nothing is predicted positive. */
  precision: number;
  /** TP / (TP + FN); 0 when there is no positive. */
  recall: number;
}

/** Options of {@link thresholdMetrics}. */
export interface ThresholdOptions {
  /** A row is predicted positive when its score is >= threshold. Default 0.5. */
  threshold?: number;
}

/** Accuracy, precision and recall when predicting positive at `score >= threshold`. */
export function thresholdMetrics(input: ScoredLabels, options: ThresholdOptions = {}): ThresholdMetrics {
  check(input, false);
  const threshold = options.threshold ?? 0.5;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < input.labels.length; i++) {
    const predicted = (input.scores[i] ?? 0) >= threshold;
    if (input.labels[i] === 1) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) {
      fp++;
    } else {
      tn++;
    }
  }
  return {
    threshold,
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
    accuracy: (tp + tn) / input.labels.length,
    precision: tp + fp === 0 ? 0 : tp / (tp + fp),
    recall: tp + fn === 0 ? 0 : tp / (tp + fn),
  };
}

/** Accuracy at a threshold (default 0.5). */
export function accuracy(input: ScoredLabels, options: ThresholdOptions = {}): number {
  return thresholdMetrics(input, options).accuracy;
}

/** One bin of a calibration table. */
export interface CalibrationBin {
  /** Bin edges: scores in (lower, upper] (the first bin includes 0), as scikit-learn. */
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability of the rows in the bin. */
  meanPredicted: number;
  /** Fraction of positives among them. */
  observedRate: number;
}

/** Options of {@link calibrationTable}. */
export interface CalibrationOptions {
  /** Number of equal-width bins over [0, 1]. Default 10. */
  bins?: number;
}

/**
 * Reliability table over equal-width probability bins; empty bins are left out (as
 * scikit-learn's `calibration_curve(strategy='uniform')`).
 */
export function calibrationTable(input: ScoredLabels, options: CalibrationOptions = {}): CalibrationBin[] {
  check(input, false);
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Calibration needs a positive integer number of bins, got ${bins}.`,
    );
  }
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < input.labels.length; i++) {
    const p = input.scores[i] ?? 0;
    // number of inner edges k/bins strictly below p (numpy searchsorted, side 'left')
    let b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    while (b > 0 && p <= b / bins) b--;
    while (b < bins - 1 && p > (b + 1) / bins) b++;
    count[b] = (count[b] ?? 0) + 1;
    sumP[b] = (sumP[b] ?? 0) + p;
    sumY[b] = (sumY[b] ?? 0) + (input.labels[i] ?? 0);
  }
  const table: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b] ?? 0;
    if (c === 0) continue;
    table.push({
      lower: b / bins,
      upper: (b + 1) / bins,
      count: c,
      meanPredicted: (sumP[b] ?? 0) / c,
      observedRate: (sumY[b] ?? 0) / c,
    });
  }
  return table;
}
