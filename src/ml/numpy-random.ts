/**
 * The random draws scikit-learn's HistGradientBoosting makes for `random_state = seed`, reproduced
 * exactly: numpy's legacy `RandomState` (MT19937 seeded with `init_genrand`), its bounded integers
 * (masked rejection sampling) and `choice(n, k, replace=False)` (the first `k` of a Fisher–Yates
 * permutation). With them, lakeloop bins a large training set on the very rows scikit-learn would
 * sample for the same seed, so the two libraries' models can be compared (and migrated) seed for seed.
 *
 * @example
 * ```ts
 * const rows = sklearnBinningSample({ rows: 2_500_000, count: 200_000, seed: 0 });
 * ```
 */

const N = 624;
const M = 397;

/** Mersenne Twister MT19937, as numpy's legacy `RandomState(seed)` seeds and draws it. */
export class Mt19937 {
  readonly #state = new Uint32Array(N);
  #index = N;

  constructor(seed: number) {
    const mt = this.#state;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const previous = mt[i - 1] ?? 0;
      mt[i] = (Math.imul(1812433253, previous ^ (previous >>> 30)) + i) >>> 0;
    }
  }

  /** The next 32-bit output. */
  nextUint32(): number {
    if (this.#index >= N) this.#twist();
    let y = this.#state[this.#index++] ?? 0;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in 0..max (max < 2^32), by masked rejection like numpy's `random_interval`. */
  nextInterval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (;;) {
      const value = (this.nextUint32() & mask) >>> 0;
      if (value <= max) return value;
    }
  }

  #twist(): void {
    const mt = this.#state;
    for (let i = 0; i < N; i++) {
      const y = ((mt[i] ?? 0) & 0x80000000) | ((mt[(i + 1) % N] ?? 0) & 0x7fffffff);
      mt[i] = ((mt[(i + M) % N] ?? 0) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.#index = 0;
  }
}

/**
 * The seed scikit-learn derives from `random_state` for its binning and splits:
 * `RandomState(random_state).randint(2**32 - 1, dtype="u8")`.
 */
export function sklearnDerivedSeed(randomState: number): number {
  const mt = new Mt19937(randomState);
  for (;;) {
    const value = mt.nextUint32();
    if (value <= 0xfffffffe) return value;
  }
}

/** `RandomState(seed).permutation(rows)`: numpy's legacy Fisher–Yates shuffle from the last element. */
export function numpyPermutation(rows: number, seed: number): Uint32Array {
  const mt = new Mt19937(seed);
  const order = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  for (let i = rows - 1; i >= 1; i--) {
    const j = mt.nextInterval(i);
    const tmp = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = tmp;
  }
  return order;
}

/** `RandomState(seed).choice(rows, count, replace=False)`, sorted (order does not matter to quantiles). */
export function numpyChoice(rows: number, count: number, seed: number): Uint32Array {
  return numpyPermutation(rows, seed).slice(0, count).sort();
}

/** Options of {@link sklearnBinningSample}. */
export interface BinningSampleOptions {
  rows: number;
  /** Rows to sample (scikit-learn: 200,000). */
  count: number;
  /** scikit-learn's `random_state`. */
  seed: number;
}

/** The rows `HistGradientBoosting*(random_state=seed)` bins on: all of them when `rows <= count`. */
export function sklearnBinningSample(options: BinningSampleOptions): Uint32Array {
  const { rows, count, seed } = options;
  if (rows <= count) {
    // (a plain loop: `Uint32Array.from` with a mapping function took 6-17 ms for 200k rows)
    const all = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) all[i] = i;
    return all;
  }
  return numpyChoice(rows, count, sklearnDerivedSeed(seed));
}
