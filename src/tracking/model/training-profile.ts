/**
 * A per-feature profile of a model's training data — decile bin edges, the share of training rows
 * in each bin, the share missing, mean and standard deviation — small enough to travel with the
 * model (`training_profile.json` in the model folder, which MLflow ignores), so the serving side
 * can tell how far served inputs drift from what the model learned on without the training data.
 *
 * @example
 * ```ts
 * const profile = computeTrainingProfile({ features, rows, featureNames });
 * binOf(profile.features[0].edges, 7); // the bin a value of 7 falls in
 * ```
 */
import { LakeloopError } from '../../errors.js';

/** The file name in the model folder. */
export const TRAINING_PROFILE_FILE = 'training_profile.json';

/** Bins per feature (deciles; ties merge bins). */
export const PROFILE_BINS = 10;

/** At most this many (evenly spaced) rows are profiled: deciles need no more. */
export const PROFILE_MAX_ROWS = 100_000;

/** One feature's profile. */
export interface FeatureProfile {
  name: string;
  /** Ascending cut points; a value falls in bin `i` = the number of edges <= value. */
  edges: number[];
  /** Share of the non-missing training rows in each bin (`edges.length + 1` bins). */
  fractions: number[];
  /** Share of training rows missing (NaN). */
  missing: number;
  mean: number;
  std: number;
}

/** The profile of a training matrix. */
export interface TrainingProfile {
  version: 1;
  /** Rows profiled (an even sample of at most {@link PROFILE_MAX_ROWS}). */
  rows: number;
  features: FeatureProfile[];
}

/** Options of {@link computeTrainingProfile}. */
export interface ComputeTrainingProfileOptions {
  /** Row-major training matrix (NaN = missing). */
  features: Float32Array;
  rows: number;
  featureNames: readonly string[];
}

/** The bin `value` falls in for `edges` (binary search; NaN is not binned: check first). */
export function binOf(edges: readonly number[], value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((edges[mid] ?? 0) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Profiles every feature of a training matrix (see the module comment). */
export function computeTrainingProfile(options: ComputeTrainingProfileOptions): TrainingProfile {
  const columns = options.featureNames.length;
  if (columns === 0 || options.features.length !== options.rows * columns) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `A training matrix of ${options.features.length} values is not ${options.rows} rows of ${columns} features.`,
    );
  }
  const step = Math.max(1, Math.ceil(options.rows / PROFILE_MAX_ROWS));
  const sampled = Math.ceil(options.rows / step);
  const features = options.featureNames.map((name, j): FeatureProfile => {
    const values: number[] = [];
    for (let r = 0; r < options.rows; r += step) {
      const value = options.features[r * columns + j] ?? Number.NaN;
      if (!Number.isNaN(value)) values.push(value);
    }
    values.sort((a, b) => a - b);
    const edges: number[] = [];
    for (let q = 1; q < PROFILE_BINS; q++) {
      const edge = values[Math.floor((q * values.length) / PROFILE_BINS)];
      // Strictly increasing cut points: a tie (a discrete feature) merges two bins.
      if (edge !== undefined && (edges.length === 0 || edge > (edges.at(-1) ?? edge))) edges.push(edge);
    }
    const counts = new Array<number>(edges.length + 1).fill(0);
    let sum = 0;
    for (const value of values) {
      counts[binOf(edges, value)] = (counts[binOf(edges, value)] ?? 0) + 1;
      sum += value;
    }
    const mean = values.length === 0 ? Number.NaN : sum / values.length;
    let squares = 0;
    for (const value of values) squares += (value - mean) ** 2;
    return {
      name,
      edges,
      fractions: counts.map((count) => (values.length === 0 ? 0 : count / values.length)),
      missing: sampled === 0 ? 0 : (sampled - values.length) / sampled,
      mean,
      std: values.length === 0 ? Number.NaN : Math.sqrt(squares / values.length),
    };
  });
  return { version: 1, rows: sampled, features };
}

/** Parses a `training_profile.json` text; undefined when it is not one. */
export function parseTrainingProfile(text: string): TrainingProfile | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<TrainingProfile>;
    if (parsed.version !== 1 || !Array.isArray(parsed.features)) return undefined;
    return parsed as TrainingProfile;
  } catch {
    return undefined;
  }
}
