import { describe, expect, it } from 'vitest';
import {
  Mt19937,
  numpyChoice,
  numpyPermutation,
  sklearnBinningSample,
  sklearnDerivedSeed,
} from '../../src/ml/numpy-random.js';

// Expected values printed once by Debian's numpy 1.24.2:
//   np.random.RandomState(s).randint(np.iinfo(np.uint32).max, dtype="u8")
//   np.random.RandomState(seed).choice(n, k, replace=False);  np.random.RandomState(7).permutation(10)
describe('numpy-compatible random draws', () => {
  it('seeds MT19937 as init_genrand does (reference outputs of the algorithm)', () => {
    // First outputs of the reference mt19937ar.c for seed 5489 (its default).
    const mt = new Mt19937(5489);
    expect([mt.nextUint32(), mt.nextUint32()]).toEqual([3499211612, 581869302]);
  });

  it('derives the seed scikit-learn uses for binning from random_state', () => {
    expect([0, 1, 2].map(sklearnDerivedSeed)).toEqual([2357136044, 1791095845, 1872583848]);
  });

  it('samples rows without replacement exactly as RandomState.choice does', () => {
    expect(Array.from(numpyChoice(10, 5, 2357136044))).toEqual([1, 3, 4, 7, 8]);
    expect(Array.from(numpyChoice(1_000_000, 4, 2357136044))).toEqual([261610, 334955, 833821, 867417]);
    expect(Array.from(numpyChoice(10, 5, 1791095845))).toEqual([0, 3, 5, 6, 8]);
    expect(Array.from(numpyPermutation(10, 7))).toEqual([8, 5, 0, 2, 1, 9, 7, 3, 6, 4]);
  });

  it('bins on every row when there are no more rows than the sample size', () => {
    expect(Array.from(sklearnBinningSample({ rows: 5, count: 200_000, seed: 3 }))).toEqual([0, 1, 2, 3, 4]);
    expect(sklearnBinningSample({ rows: 1_000_000, count: 4, seed: 0 })).toEqual(
      Uint32Array.from([261610, 334955, 833821, 867417]),
    );
  });
});
