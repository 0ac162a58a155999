import { describe, expect, it } from 'vitest';
import { featureThresholds } from '../../src/ml/gbdt-kernels.js';
import type { GradientBoostingModel } from '../../src/ml/index.js';
import {
  logLoss,
  makeSyntheticData,
  rocAuc,
  trainGradientBoosting,
  type BoostingProgress,
  type TabularData,
} from '../../src/ml/index.js';

const train = makeSyntheticData({ rows: 20_000, seed: 31, missingRate: 0.05 });
const test = makeSyntheticData({ rows: 20_000, seed: 32, missingRate: 0.05 });

function scoreOf(model: GradientBoostingModel, data: TabularData) {
  const scores = model.predict(data.features, data.rows);
  return { auc: rocAuc({ labels: data.labels, scores }), logLoss: logLoss({ labels: data.labels, scores }) };
}

describe('gradient boosting', () => {
  it('reaches scikit-learn HistGradientBoostingClassifier quality with the same parameters', async () => {
    const model = await trainGradientBoosting(train, {
      maxIterations: 50,
      maxLeaves: 31,
      learningRate: 0.1,
      threads: 2,
    });
    const { auc, logLoss: loss } = scoreOf(model, test);
    // Computed once with Debian's scikit-learn 1.2.1 on this data (written as float32 files):
    // HistGradientBoostingClassifier(max_iter=50, max_leaf_nodes=31, learning_rate=0.1, early_stopping=False)
    expect(Math.abs(auc - 0.9712515901485713)).toBeLessThanOrEqual(0.002);
    expect(Math.abs(loss - 0.19721321001075562)).toBeLessThanOrEqual(0.005);
    expect(model.iterations).toBe(50);
  });

  it('is deterministic for a seed, and threads change nothing but float rounding', async () => {
    const params = { maxIterations: 15, seed: 7, validationFraction: 0.2, earlyStoppingRounds: 100 };
    const a = await trainGradientBoosting(train, { ...params, threads: 2 });
    const b = await trainGradientBoosting(train, { ...params, threads: 2 });
    expect(JSON.stringify(b.toJSON())).toBe(JSON.stringify(a.toJSON()));
    const single = await trainGradientBoosting(train, { ...params, threads: 1 });
    expect(Math.abs(scoreOf(single, test).auc - scoreOf(a, test).auc)).toBeLessThan(1e-3);
    expect(single.trees[0]?.feature).toEqual(a.trees[0]?.feature);
  });

  it('trains on three threads as on one: the middle part of each partition stages its rows', async () => {
    // 10,000 rows per thread at least (see trainGradientBoosting), so 30,000 for three
    const data = makeSyntheticData({ rows: 36_000, seed: 33, missingRate: 0.05 });
    const params = { maxIterations: 8, seed: 3 };
    const three = await trainGradientBoosting(data, { ...params, threads: 3 });
    const single = await trainGradientBoosting(data, { ...params, threads: 1 });
    expect(three.trees.map((tree) => Array.from(tree.feature))).toEqual(
      single.trees.map((tree) => Array.from(tree.feature)),
    );
    expect(three.trees.map((tree) => Array.from(tree.count))).toEqual(
      single.trees.map((tree) => Array.from(tree.count)),
    );
    expect(Math.abs(scoreOf(three, test).auc - scoreOf(single, test).auc)).toBeLessThan(1e-6);
  });

  it('respects maxLeaves and minSamplesLeaf in every tree', async () => {
    const model = await trainGradientBoosting(train, {
      maxIterations: 5,
      maxLeaves: 7,
      minSamplesLeaf: 300,
      threads: 1,
    });
    for (const tree of model.trees) {
      const leaves = Array.from(tree.feature.keys()).filter((n) => tree.feature[n] === -1);
      expect(leaves.length).toBeLessThanOrEqual(7);
      expect(leaves.length).toBeGreaterThan(1);
      for (const leaf of leaves) expect(tree.count[leaf]).toBeGreaterThanOrEqual(300);
      expect(leaves.reduce((sum, leaf) => sum + (tree.count[leaf] ?? 0), 0)).toBe(train.rows);
    }
  });

  it.each([
    ['left', (x: number) => x < 500],
    ['right', (x: number) => x >= 500],
  ] as const)('learns to send missing values %s, with the rows they resemble', async (side, positive) => {
    // Label 1 when positive(x0) or x0 is missing; the best split puts missing with the positives.
    const rows = 4000;
    const features = new Float32Array(rows * 2);
    const labels = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) {
      const x = (i * 7919) % 1000;
      const missing = i % 5 === 0;
      features[i * 2] = missing ? Number.NaN : x;
      features[i * 2 + 1] = (i * 104729) % 997;
      labels[i] = missing || positive(x) ? 1 : 0;
    }
    const model = await trainGradientBoosting(
      { features, rows, columns: 2, labels },
      { maxIterations: 20, learningRate: 0.5, threads: 1 },
    );
    const root = model.trees[0];
    expect(root?.feature[0]).toBe(0);
    expect(root?.missingLeft[0]).toBe(side === 'left' ? 1 : 0);
    const [pMissing, pLow, pHigh] = model.predict(Float32Array.from([Number.NaN, 5, 100, 5, 900, 5]), 3);
    expect(pMissing).toBeGreaterThan(0.95);
    expect(side === 'left' ? pHigh : pLow).toBeLessThan(0.05);
  });

  it('sends missing values to the larger side when training saw none', async () => {
    const rows = 2000;
    const features = Float32Array.from({ length: rows }, (_, i) => i);
    const labels = Uint8Array.from({ length: rows }, (_, i) => (i < 1500 ? 0 : 1));
    const model = await trainGradientBoosting(
      { features, rows, columns: 1, labels },
      { maxIterations: 5, threads: 1 },
    );
    expect(model.trees[0]?.missingLeft[0]).toBe(1);
    const [pMissing] = model.predict(Float32Array.from([Number.NaN]), 1);
    expect(pMissing).toBeLessThan(0.5);
  });

  it('stops early on a validation set and reports progress', async () => {
    const noisy = makeSyntheticData({ rows: 3000, seed: 5 });
    const validation = makeSyntheticData({ rows: 3000, seed: 6 });
    const progress: BoostingProgress[] = [];
    const model = await trainGradientBoosting(noisy, {
      maxIterations: 500,
      learningRate: 0.5,
      validation,
      earlyStoppingRounds: 5,
      threads: 1,
      onIteration: (p) => progress.push(p),
    });
    expect(model.iterations).toBeLessThan(500);
    expect(progress).toHaveLength(model.iterations);
    expect(progress.every((p) => p.validationLoss !== undefined && p.maxIterations === 500)).toBe(true);
    const best = Math.min(...progress.map((p) => p.validationLoss ?? Infinity));
    expect(progress.at(-1)?.validationLoss).toBeGreaterThanOrEqual(best);
  });

  it('stops early on a held-out fraction', async () => {
    const model = await trainGradientBoosting(makeSyntheticData({ rows: 3000, seed: 8 }), {
      maxIterations: 400,
      learningRate: 0.6,
      validationFraction: 0.25,
      threads: 1,
    });
    expect(model.iterations).toBeLessThan(400);
  });

  it('ranks informative features above noise by gain and split count', async () => {
    const model = await trainGradientBoosting(train, { maxIterations: 30, threads: 1 });
    const { gain, splitCount, featureNames } = model.featureImportance();
    expect(featureNames).toEqual(train.featureNames);
    const noise = [3, 5, 6, 7, 8, 9, 10].map((f) => gain[f] ?? 0);
    for (const informative of [0, 1, 2]) expect(gain[informative]).toBeGreaterThan(Math.max(...noise) * 3);
    expect(splitCount.reduce((a, b) => a + b, 0)).toBe(
      model.trees.reduce((sum, t) => sum + t.feature.filter((f) => f >= 0).length, 0),
    );
  });

  it('fits squared error', async () => {
    const reg = makeSyntheticData({ rows: 5000, seed: 9, task: 'regression' });
    const regTest = makeSyntheticData({ rows: 5000, seed: 10, task: 'regression' });
    const model = await trainGradientBoosting(reg, {
      objective: 'squaredError',
      maxIterations: 60,
      threads: 1,
    });
    const predictions = model.predict(regTest.features, regTest.rows);
    let mean = 0;
    for (const y of regTest.labels) mean += y / regTest.rows;
    let mse = 0;
    let variance = 0;
    regTest.labels.forEach((y, i) => {
      mse += ((predictions[i] ?? 0) - y) ** 2;
      variance += (y - mean) ** 2;
    });
    expect(mse / variance).toBeLessThan(0.5);
  });
});

/** Bin edges from every row (the data here is smaller than the binning sample). */
function binEdges(data: TabularData, maxBins = 255) {
  const thresholds = new Float32Array(data.columns * 255);
  const counts = new Int32Array(data.columns);
  const { features, columns, rows } = data;
  const sortedColumn = (f: number) =>
    Float32Array.from({ length: rows }, (_, i) => features[i * columns + f] ?? Number.NaN)
      .filter((x) => !Number.isNaN(x))
      .sort();
  featureThresholds({ columns, maxBins, thresholds, counts, sortedColumn });
  return { thresholds, counts };
}

describe('binning and histograms', () => {
  it('uses midpoints between distinct values, float32 edges and at most 255 bins', () => {
    const data: TabularData = {
      features: Float32Array.from([1, 0.1, 2, 0.2, 2, 0.3, 4, Number.NaN]),
      rows: 4,
      columns: 2,
      labels: Uint8Array.from([0, 1, 0, 1]),
    };
    const binning = binEdges(data);
    expect(Array.from(binning.counts)).toEqual([2, 2]);
    expect(Array.from(binning.thresholds.subarray(0, 2))).toEqual([1.5, 3]);
    expect(binning.thresholds[255]).toBe(Math.fround((Math.fround(0.1) + Math.fround(0.2)) / 2));
    const wide = makeSyntheticData({ rows: 5000, seed: 1 });
    const many = binEdges(wide, 255);
    expect(Math.max(...many.counts)).toBeLessThanOrEqual(254);
    expect(many.counts[1]).toBeGreaterThan(200);
    const few = binEdges(wide, 16);
    expect(Math.max(...few.counts)).toBeLessThanOrEqual(15);
  });
});
