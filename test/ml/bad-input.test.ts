import { describe, expect, it } from 'vitest';
import {
  makeSyntheticData,
  trainGradientBoosting,
  trainLogisticRegression,
  TrainingDataError,
  type TabularData,
} from '../../src/ml/index.js';

const trainers = {
  gradientBoosting: (data: TabularData) => trainGradientBoosting(data, { maxIterations: 2, threads: 1 }),
  logisticRegression: (data: TabularData) => trainLogisticRegression(data),
};

function tiny(labels: number[]): TabularData {
  return {
    features: Float32Array.from(labels.flatMap((_, i) => [i, i % 3])),
    rows: labels.length,
    columns: 2,
    labels: Float32Array.from(labels),
  };
}

describe.each(Object.entries(trainers))('%s refuses bad training data', (_name, train) => {
  it('rejects an empty training set', async () => {
    const empty: TabularData = {
      features: new Float32Array(0),
      rows: 0,
      columns: 3,
      labels: new Uint8Array(0),
    };
    const error: unknown = await train(empty).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error).toMatchObject({ problem: 'EMPTY', code: 'INVALID_ARGUMENT' });
    expect((error as Error).message).toMatch(/is empty \(0 rows/);
  });

  it('rejects a single class', async () => {
    await expect(train(tiny([1, 1, 1, 1]))).rejects.toMatchObject({ problem: 'SINGLE_CLASS' });
    await expect(train(tiny([0, 0, 0]))).rejects.toThrow(/only class 0 in 3 rows/);
  });

  it('rejects NaN and infinite labels, naming the row', async () => {
    await expect(train(tiny([0, 1, Number.NaN, 1]))).rejects.toMatchObject({
      problem: 'NON_FINITE_LABEL',
      details: { row: 2 },
    });
    await expect(train(tiny([0, 1, 1, Number.POSITIVE_INFINITY]))).rejects.toThrow(/Infinity label at row 3/);
  });

  it('rejects labels other than 0/1 and mismatched shapes', async () => {
    await expect(train(tiny([0, 1, 2]))).rejects.toMatchObject({ problem: 'NON_BINARY_LABEL' });
    const data = tiny([0, 1, 0, 1]);
    await expect(train({ ...data, rows: 5 })).rejects.toMatchObject({ problem: 'SHAPE' });
    await expect(train({ ...data, featureNames: ['only-one'] })).rejects.toMatchObject({ problem: 'SHAPE' });
  });
});

describe('gradient boosting parameters and predict input', () => {
  it('rejects invalid parameters by name', async () => {
    const data = makeSyntheticData({ rows: 200, seed: 1 });
    await expect(trainGradientBoosting(data, { maxLeaves: 1 })).rejects.toThrow(/maxLeaves = 1 is invalid/);
    await expect(trainGradientBoosting(data, { learningRate: 0 })).rejects.toMatchObject({
      problem: 'BAD_PARAMETER',
    });
    await expect(trainGradientBoosting(data, { validationFraction: 1.5 })).rejects.toMatchObject({
      details: { parameter: 'validationFraction' },
    });
  });

  it('rejects a feature count at predict time that differs from training', async () => {
    const data = makeSyntheticData({ rows: 300, columns: 5, seed: 1 });
    const model = await trainGradientBoosting(data, { maxIterations: 3, threads: 1 });
    const error: unknown = (() => {
      try {
        model.predict(new Float32Array(12), 2);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ problem: 'FEATURE_COUNT', details: { expectedColumns: 5 } });
    expect((error as Error).message).toMatch(/trained on 5 features but got 6 per row/);
  });

  it('accepts regression labels of any finite value but still rejects NaN', async () => {
    const data = makeSyntheticData({ rows: 300, seed: 2, task: 'regression' });
    await expect(
      trainGradientBoosting(data, { objective: 'squaredError', maxIterations: 2, threads: 1 }),
    ).resolves.toBeDefined();
    const labels = Float32Array.from(data.labels);
    labels[7] = Number.NaN;
    await expect(
      trainGradientBoosting({ ...data, labels }, { objective: 'squaredError', threads: 1 }),
    ).rejects.toMatchObject({ problem: 'NON_FINITE_LABEL' });
  });
});
