import { describe, expect, it } from 'vitest';
import { accuracy, calibrationTable, logLoss, rocAuc, thresholdMetrics } from '../../src/ml/index.js';
import { isLakeloopError } from '../../src/errors.js';

// The 40-row case and its expected values were computed once with Debian's scikit-learn 1.2.1:
//   labels = [(i * 7 + 3) % 5 < 2 and 1 or 0 for i in range(40)]
//   scores = [round(((i * 37) % 41) / 41, 2) for i in range(40)]
//   roc_auc_score, log_loss, accuracy/precision/recall_score of (p >= t), calibration_curve(n_bins=5)
const labels = Array.from({ length: 40 }, (_, i) => ((i * 7 + 3) % 5 < 2 ? 1 : 0));
const scores = Array.from({ length: 40 }, (_, i) => Math.round((((i * 37) % 41) / 41) * 100) / 100);
// [round(s, 1) for s in scores] (Python rounding), 11 distinct values
const tiedScores = [
  0.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1,
  0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2,
];

describe('classification metrics', () => {
  it('computes ROC AUC by hand on a tiny case, ties counting one half', () => {
    // positives {0.8, 0.4}, negatives {0.4, 0.1}: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4 -> 1/2) (0.4>0.1)
    expect(rocAuc({ labels: [1, 1, 0, 0], scores: [0.8, 0.4, 0.4, 0.1] })).toBeCloseTo(3.5 / 4, 15);
    expect(rocAuc({ labels: [0, 1], scores: [0.2, 0.9] })).toBe(1);
    expect(rocAuc({ labels: [1, 0], scores: [0.2, 0.9] })).toBe(0);
    expect(rocAuc({ labels: [1, 0, 1, 0], scores: [0.5, 0.5, 0.5, 0.5] })).toBe(0.5);
  });

  it('matches scikit-learn on 40 rows, with and without ties', () => {
    expect(rocAuc({ labels, scores })).toBeCloseTo(0.5833333333333333, 12);
    expect(rocAuc({ labels, scores: tiedScores })).toBeCloseTo(0.5794270833333333, 12);
    expect(logLoss({ labels, scores })).toBeCloseTo(0.7944883897128425, 9);
  });

  it('computes log loss by hand and clips certain mistakes', () => {
    expect(logLoss({ labels: [1, 0], scores: [0.8, 0.25] })).toBeCloseTo(
      -(Math.log(0.8) + Math.log(0.75)) / 2,
      15,
    );
    expect(logLoss({ labels: [1], scores: [0] })).toBeCloseTo(-Math.log(1e-15), 9);
  });

  it('computes accuracy, precision and recall at a threshold as scikit-learn does', () => {
    const half = thresholdMetrics({ labels, scores });
    expect(half.accuracy).toBe(0.5);
    expect(half.precision).toBeCloseTo(0.4, 15);
    expect(half.recall).toBeCloseTo(0.5, 15);
    const low = thresholdMetrics({ labels, scores }, { threshold: 0.3 });
    expect(low.accuracy).toBe(0.5);
    expect(low.precision).toBeCloseTo(0.42857142857142855, 15);
    expect(low.recall).toBeCloseTo(0.75, 15);
    expect(low.truePositives + low.falsePositives + low.trueNegatives + low.falseNegatives).toBe(40);
    expect(accuracy({ labels: [1, 0, 1], scores: [0.9, 0.6, 0.4] })).toBeCloseTo(1 / 3, 15);
    expect(thresholdMetrics({ labels: [0, 0], scores: [0.1, 0.2] }).precision).toBe(0);
  });

  it('builds the calibration table of scikit-learn calibration_curve(n_bins=5)', () => {
    const table = calibrationTable({ labels, scores }, { bins: 5 });
    expect(table.map((b) => b.observedRate)).toEqual(
      [0.5, 0.0, 0.5, 0.4444444444444444, 0.5714285714285714].map((v) => expect.closeTo(v, 12) as unknown),
    );
    expect(table.map((b) => b.meanPredicted)).toEqual(
      [0.0975, 0.30500000000000005, 0.5, 0.7066666666666667, 0.9028571428571428].map(
        (v) => expect.closeTo(v, 12) as unknown,
      ),
    );
    expect(table.reduce((sum, b) => sum + b.count, 0)).toBe(40);
    expect(table[0]).toMatchObject({ lower: 0, upper: 0.2 });
  });

  it('rejects mismatched lengths, non-binary labels and single-class AUC', () => {
    expect(() => rocAuc({ labels: [1, 0], scores: [0.1] })).toThrow(/one score per label/);
    expect(() => logLoss({ labels: [2], scores: [0.1] })).toThrow(/not 0 or 1/);
    let caught: unknown;
    try {
      rocAuc({ labels: [1, 1], scores: [0.1, 0.2] });
    } catch (error) {
      caught = error;
    }
    expect(isLakeloopError(caught, 'INVALID_ARGUMENT')).toBe(true);
  });
});
