import { InferenceSession, Tensor } from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import {
  makeSyntheticData,
  modelFromJSON,
  trainGradientBoosting,
  trainLogisticRegression,
  type GradientBoostingModel,
  type LogisticRegressionModel,
} from '../../src/ml/index.js';

const ROWS = 100_000;

async function runOnnx(
  bytes: Uint8Array,
  features: Float32Array,
  rows: number,
  columns: number,
  threads?: number,
) {
  const session = await InferenceSession.create(
    bytes,
    threads === undefined ? {} : { intraOpNumThreads: threads },
  );
  try {
    const outputs = await session.run({ input: new Tensor('float32', features, [rows, columns]) });
    return { names: session.outputNames, outputs };
  } finally {
    await session.release();
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

function metadataOf(bytes: Uint8Array): Record<string, string> {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  return Object.fromEntries(model.metadataProps.map((p) => [String(p.key), String(p.value)]));
}

describe('ONNX export', () => {
  const train = makeSyntheticData({ rows: 20_000, seed: 11, missingRate: 0.05 });
  const test = makeSyntheticData({ rows: ROWS, seed: 12, missingRate: 0.05 });

  it('exports binary gradient boosting whose ONNX Runtime probabilities equal predict within 1e-6', async () => {
    const model: GradientBoostingModel = await trainGradientBoosting(train, {
      maxIterations: 60,
      threads: 2,
    });
    const bytes = model.toOnnx();
    const { names, outputs } = await runOnnx(bytes, test.features, test.rows, test.columns);
    expect(names).toEqual(['probability']);
    const probability = outputs.probability;
    expect(probability?.dims).toEqual([ROWS, 1]);
    expect(probability?.type).toBe('float32');
    const expected = model.predict(test.features, test.rows);
    expect(maxDiff(probability?.data as Float32Array, expected)).toBeLessThanOrEqual(1e-6);
    const single = await runOnnx(bytes, test.features, test.rows, test.columns, 1);
    expect(maxDiff(single.outputs.probability?.data as Float32Array, expected)).toBeLessThanOrEqual(1e-6);
    const meta = metadataOf(bytes);
    expect(JSON.parse(meta.feature_names ?? '[]')).toEqual(train.featureNames);
    expect(meta.objective).toBe('binary');
  });

  it('exports squared-error gradient boosting as `prediction`, bit-identical to single-threaded ONNX Runtime', async () => {
    const regTrain = makeSyntheticData({ rows: 20_000, seed: 13, task: 'regression', missingRate: 0.02 });
    const regTest = makeSyntheticData({ rows: ROWS, seed: 14, task: 'regression', missingRate: 0.02 });
    const model = await trainGradientBoosting(regTrain, {
      objective: 'squaredError',
      maxIterations: 40,
      threads: 1,
    });
    const expected = model.predict(regTest.features, regTest.rows);
    const single = await runOnnx(model.toOnnx(), regTest.features, regTest.rows, regTest.columns, 1);
    expect(single.names).toEqual(['prediction']);
    expect(single.outputs.prediction?.dims).toEqual([ROWS, 1]);
    expect(maxDiff(single.outputs.prediction?.data as Float32Array, expected)).toBe(0);
    // Multi-threaded ONNX Runtime sums chunks of trees per thread: at most a float32 rounding apart.
    const multi = await runOnnx(model.toOnnx(), regTest.features, regTest.rows, regTest.columns, 2);
    const data = multi.outputs.prediction?.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < ROWS; i++) {
      const e = expected[i] ?? 0;
      worst = Math.max(worst, Math.abs((data[i] ?? 0) - e) / Math.max(1, Math.abs(e)));
    }
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it('exports logistic regression whose ONNX Runtime probabilities equal predict within 1e-6', async () => {
    const clean = makeSyntheticData({ rows: 20_000, seed: 15 });
    const cleanTest = makeSyntheticData({ rows: ROWS, seed: 16 });
    const model: LogisticRegressionModel = await trainLogisticRegression(clean);
    const bytes = model.toOnnx();
    const { names, outputs } = await runOnnx(bytes, cleanTest.features, cleanTest.rows, cleanTest.columns);
    expect(names).toEqual(['probability']);
    expect(outputs.probability?.dims).toEqual([ROWS, 1]);
    const expected = model.predict(cleanTest.features, cleanTest.rows);
    expect(maxDiff(outputs.probability?.data as Float32Array, expected)).toBeLessThanOrEqual(1e-6);
    expect(JSON.parse(metadataOf(bytes).feature_names ?? '[]')).toEqual(clean.featureNames);
  });

  it('keeps a model restored from JSON identical, ONNX included', async () => {
    const model = await trainGradientBoosting(train, { maxIterations: 10, threads: 1 });
    const copy = modelFromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    const some = test.features.subarray(0, 1000 * test.columns);
    expect(copy.kind).toBe('gradientBoosting');
    expect(Array.from(copy.predict(some, 1000))).toEqual(Array.from(model.predict(some, 1000)));
    expect(copy.toOnnx()).toEqual(model.toOnnx());
  });
});
