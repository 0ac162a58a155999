/** championGate / compareScores: the champion scored on the challenger's rows, tolerance, direction, no champion. */
import { describe, expect, it } from 'vitest';
import {
  championGate,
  compareScores,
  makeSyntheticData,
  rocAuc,
  trainGradientBoosting,
} from '../../src/ml/index.js';
import type { GateScorer } from '../../src/ml/index.js';

const train = makeSyntheticData({ rows: 3000, columns: 5, seed: 11 });
const test = makeSyntheticData({ rows: 1000, columns: 5, seed: 12 });

/** A trained model as a gate scorer (what loadModel's scorer is, structurally). */
async function scorer(
  trees: number,
  version: string,
): Promise<GateScorer<Float32Array> & { calls: Float32Array[] }> {
  const model = await trainGradientBoosting(train, { maxIterations: trees, maxLeaves: 15, threads: 1 });
  const calls: Float32Array[] = [];
  return {
    version,
    calls,
    predict: (rows) => {
      calls.push(rows);
      return Promise.resolve(model.predict(rows, rows.length / model.featureNames.length));
    },
  };
}

describe('compareScores', () => {
  const higher = { metric: 'auc', tolerance: 0.002, higherIsBetter: true };

  it('promotes a challenger within the tolerance of the champion and says why', () => {
    const verdict = compareScores({
      ...higher,
      challengerScore: 0.789,
      championScore: 0.79,
      championVersion: '3',
    });
    expect(verdict).toMatchObject({
      promote: true,
      rule: 'challenger >= champion - 0.002',
      championVersion: '3',
    });
    expect(verdict.delta).toBeCloseTo(-0.001, 12);
    expect(verdict.reason).toBe('auc 0.7890 >= champion v3 0.7900 - 0.002: promote.');
  });

  it('keeps the champion when the challenger is worse by more than the tolerance', () => {
    const verdict = compareScores({ ...higher, challengerScore: 0.787, championScore: 0.79 });
    expect(verdict.promote).toBe(false);
    expect(verdict.reason).toBe('auc 0.7870 < champion 0.7900 - 0.002: keep the champion.');
  });

  it('compares downwards when lower is better (log loss)', () => {
    const base = { metric: 'log_loss', tolerance: 0.01, higherIsBetter: false };
    expect(compareScores({ ...base, challengerScore: 0.445, championScore: 0.44 }).promote).toBe(true);
    const worse = compareScores({ ...base, challengerScore: 0.46, championScore: 0.44 });
    expect(worse).toMatchObject({ promote: false, rule: 'challenger <= champion + 0.01' });
  });

  it('promotes without a champion, refuses a NaN challenger and a bad tolerance', () => {
    expect(compareScores({ ...higher, challengerScore: 0.7, championScore: undefined })).toMatchObject({
      promote: true,
      championScore: undefined,
      delta: undefined,
      reason: 'No champion yet: promote (auc 0.7000).',
    });
    expect(compareScores({ ...higher, challengerScore: Number.NaN, championScore: 0.7 }).promote).toBe(false);
    expect(() =>
      compareScores({ ...higher, tolerance: -1, challengerScore: 0.7, championScore: 0.7 }),
    ).toThrow(/tolerance/);
  });
});

describe('championGate', () => {
  it('scores the champion once on the same rows and promotes the better challenger, not the worse', async () => {
    const strong = await scorer(40, '2');
    const weak = await scorer(1, '1');
    const promoted = await championGate({
      challenger: strong,
      champion: weak,
      rows: test.features,
      labels: test.labels,
    });
    expect(weak.calls).toEqual([test.features]);
    expect(promoted.promote).toBe(true);
    expect(promoted.metric).toBe('auc');
    expect(promoted.championScore).toBeCloseTo(
      rocAuc({ labels: test.labels, scores: await weak.predict(test.features) }),
      12,
    );
    expect(promoted.delta).toBeGreaterThan(0.01);

    const kept = await championGate({
      challenger: weak,
      champion: strong,
      rows: test.features,
      labels: test.labels,
    });
    expect(kept.promote).toBe(false);
    expect(kept.reason).toMatch(/keep the champion v2\.$/);
    // A tolerance as wide as the gap lets it through.
    const tolerant = await championGate({
      challenger: weak,
      champion: strong,
      rows: test.features,
      labels: test.labels,
      tolerance: Math.abs(kept.delta ?? 0) + 1e-9,
    });
    expect(tolerant.promote).toBe(true);
  });

  it('takes precomputed challenger scores, log loss and custom metrics; no champion promotes', async () => {
    const strong = await scorer(40, '2');
    const scores = await strong.predict(test.features);
    const first = await championGate({
      challenger: { scores },
      champion: undefined,
      rows: test.features,
      labels: test.labels,
    });
    expect(first).toMatchObject({ promote: true, championScore: undefined });
    const byLoss = await championGate({
      challenger: { scores },
      champion: await scorer(1, '1'),
      rows: test.features,
      labels: test.labels,
      metric: 'log_loss',
    });
    expect(byLoss).toMatchObject({ promote: true, metric: 'log_loss', rule: 'challenger <= champion + 0' });
    expect(byLoss.delta).toBeLessThan(0);
    const positives = await championGate({
      challenger: { scores: Array.from({ length: test.rows }, () => 0.9) },
      champion: strong,
      rows: test.features,
      labels: test.labels,
      metric: {
        name: 'mean_score',
        higherIsBetter: true,
        score: (_l, s) => Array.from(s).reduce((a, b) => a + b, 0) / s.length,
      },
    });
    expect(positives).toMatchObject({ promote: true, metric: 'mean_score' });
  });
});
