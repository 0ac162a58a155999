/**
 * Seeded synthetic tabular data for tests, benchmarks and examples: a nonlinear binary (or
 * regression) problem with a few informative columns, some noise columns and optional missing
 * values.
 *
 * @example
 * ```ts
 * const { train, test } = { train: makeSyntheticData({ rows: 10_000, seed: 1 }), test: makeSyntheticData({ rows: 2_000, seed: 2 }) };
 * ```
 */
import { seededRandom } from './seeded-random.js';
import type { TabularData } from './tabular-data.js';

/** Options of {@link makeSyntheticData}. */
export interface SyntheticDataOptions {
  rows: number;
  /** Feature columns (>= 4). Default 20. */
  columns?: number;
  /** Seed. Default 0. */
  seed?: number;
  /** Fraction of feature values replaced by NaN. Default 0. */
  missingRate?: number;
  /** `'binary'` (labels 0/1, about 20% positive) or `'regression'`. Default `'binary'`. */
  task?: 'binary' | 'regression';
}

/** Generates a seeded synthetic data set. */
export function makeSyntheticData(options: SyntheticDataOptions): TabularData {
  const { rows } = options;
  const columns = Math.max(4, options.columns ?? 20);
  const random = seededRandom(options.seed ?? 0);
  const missing = options.missingRate ?? 0;
  const features = new Float32Array(rows * columns);
  const labels = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * columns;
    for (let f = 0; f < columns; f++) {
      // mix of continuous, integer-valued and skewed columns
      const u = random();
      features[base + f] = f % 3 === 0 ? Math.floor(u * 24) : f % 3 === 1 ? u * 2 - 1 : -Math.log(1 - u);
    }
    const x0 = features[base] ?? 0;
    const x1 = features[base + 1] ?? 0;
    const x2 = features[base + 2] ?? 0;
    const x4 = features[base + 4] ?? 0;
    const signal = Math.sin(x0 / 3) + 1.5 * x1 * x1 - 0.8 * x2 + (x4 > 0.3 ? 0.7 : -0.2) + 0.3 * x0 * x1;
    const noise = (random() + random() + random() - 1.5) * 1.2;
    if (options.task === 'regression') {
      labels[i] = signal + noise;
    } else {
      labels[i] = signal + noise > 1.2 ? 1 : 0;
    }
    if (missing > 0) {
      for (let f = 0; f < columns; f++) if (random() < missing) features[base + f] = Number.NaN;
    }
  }
  return {
    features,
    rows,
    columns,
    featureNames: Array.from({ length: columns }, (_, f) => `x${f}`),
    labels,
  };
}
