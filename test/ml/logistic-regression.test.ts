import { describe, expect, it } from 'vitest';
import {
  LogisticRegressionModel,
  makeSyntheticData,
  minimizeLbfgs,
  rocAuc,
  trainLogisticRegression,
  TrainingDataError,
} from '../../src/ml/index.js';

describe('logistic regression', () => {
  it('finds the coefficients scikit-learn finds (StandardScaler + LogisticRegression(C=0.5))', async () => {
    const data = makeSyntheticData({ rows: 2000, columns: 6, seed: 21 });
    const model = await trainLogisticRegression(data, { l2Regularization: 2, tolerance: 1e-9 });
    // Computed once with Debian's scikit-learn 1.2.1 on this exact data (written as float32 files):
    // LogisticRegression(C=0.5, tol=1e-10, max_iter=10000).fit(StandardScaler().fit_transform(X), y)
    const sklearnCoef = [
      0.37843525098557745, 2.5017747684039993, -0.918723679746444, 0.00947097884621341, 0.5766826285678172,
      -0.03237774053751804,
    ];
    sklearnCoef.forEach((c, j) => {
      expect(model.weights[j]).toBeCloseTo(c, 4);
    });
    expect(model.intercept).toBeCloseTo(-1.9782846467133364, 4);
    const auc = rocAuc({ labels: data.labels, scores: model.predict(data.features, data.rows) });
    expect(auc).toBeCloseTo(0.9239225019069411, 4);
  });

  it('round-trips through JSON and reports standardized weights as importance', async () => {
    const data = makeSyntheticData({ rows: 500, columns: 5, seed: 3 });
    const model = await trainLogisticRegression(data);
    const copy = LogisticRegressionModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(Array.from(copy.predict(data.features, data.rows))).toEqual(
      Array.from(model.predict(data.features, data.rows)),
    );
    const importance = model.featureImportance();
    expect(importance.featureNames).toEqual(data.featureNames);
    expect(importance.weight.every((w) => w >= 0)).toBe(true);
    expect(() => LogisticRegressionModel.fromJSON({ format: 'lakeloop.logistic-regression' })).toThrow(
      /Not a lakeloop/,
    );
  });

  it('gives the same fit on worker threads as on one thread', async () => {
    const data = makeSyntheticData({ rows: 60_000, columns: 8, seed: 4 });
    const one = await trainLogisticRegression(data, { threads: 1 });
    const two = await trainLogisticRegression(data, { threads: 2 });
    Array.from(one.weights).forEach((w, j) => {
      expect(two.weights[j]).toBeCloseTo(w, 6);
    });
    expect(two.intercept).toBeCloseTo(one.intercept, 6);
  });

  it('rejects NaN features, which it cannot route', async () => {
    const data = makeSyntheticData({ rows: 100, columns: 4, seed: 1, missingRate: 0.1 });
    await expect(trainLogisticRegression(data)).rejects.toMatchObject({ problem: 'NON_FINITE_FEATURE' });
  });

  it('rejects a wrong feature count at predict time', async () => {
    const data = makeSyntheticData({ rows: 100, columns: 4, seed: 1 });
    const model = await trainLogisticRegression(data);
    expect(() => model.predict(new Float32Array(10), 2)).toThrow(TrainingDataError);
    expect(() => model.predict(new Float32Array(10), 2)).toThrow(/trained on 4 features but got 5 per row/);
  });
});

describe('L-BFGS', () => {
  it('minimizes the Rosenbrock function', () => {
    const result = minimizeLbfgs({
      x0: Float64Array.from([-1.2, 1]),
      maxIterations: 500,
      gradientTolerance: 1e-10,
      evaluate: (x, grad) => {
        const a = x[0] ?? 0;
        const b = x[1] ?? 0;
        grad[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        grad[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
    });
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(result.x[1]).toBeCloseTo(1, 5);
  });
});
