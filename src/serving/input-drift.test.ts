import { describe, expect, it } from 'vitest';
import { computeTrainingProfile } from '../tracking/model/training-profile.js';
import { seededRandom } from '../ml/seeded-random.js';
import { inputDrift } from './input-drift.js';

function column(rows: number, seed: number, shift = 0): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: rows }, () => random() * 10 + shift);
}

describe('inputDrift', () => {
  const training = column(20_000, 1);
  const profile = computeTrainingProfile({ features: training, rows: training.length, featureNames: ['x'] });

  it('profiles deciles: ten bins of a tenth each', () => {
    const [feature] = profile.features;
    expect(feature?.edges).toHaveLength(9);
    for (const fraction of feature?.fractions ?? []) expect(fraction).toBeCloseTo(0.1, 2);
    expect(feature?.mean).toBeCloseTo(5, 1);
  });

  it('reads the same distribution as stable and a shifted one as shifted', () => {
    const [same] = inputDrift(profile, { x: column(5_000, 2) });
    expect(same?.psi).toBeLessThan(0.02);
    expect(same?.level).toBe('stable');
    const [moved] = inputDrift(profile, { x: column(5_000, 3, 4) });
    expect(moved?.level).toBe('shifted');
    expect(moved?.meanShift).toBeGreaterThan(1);
  });

  it('counts missing values as their own bin', () => {
    const served = column(1_000, 4);
    served.fill(Number.NaN, 0, 500);
    const [half] = inputDrift(profile, { x: served });
    expect(half?.servedMissing).toBe(0.5);
    expect(half?.level).toBe('shifted');
  });

  it('merges tied edges of a discrete feature', () => {
    const discrete = Float32Array.from({ length: 1_000 }, (_, i) => i % 3);
    const [feature] = computeTrainingProfile({
      features: discrete,
      rows: 1_000,
      featureNames: ['d'],
    }).features;
    expect(feature?.edges).toEqual([0, 1, 2]); // ten deciles, three distinct values
    expect(
      inputDrift(
        { version: 1, rows: 1_000, features: feature === undefined ? [] : [feature] },
        { d: discrete },
      )[0]?.psi,
    ).toBeLessThan(0.001);
  });
});
