/**
 * Drift of served inputs against the training data, per feature: the population stability index
 * (PSI) of the served values on the training profile's decile bins, missing values as one more
 * bin. PSI because it needs only the small profile that travels with the model (no training rows,
 * which a KS test would), reads the same on continuous, discrete and encoded features (the bins
 * come from the training data), and has conventional thresholds: below 0.1 stable, 0.1–0.25 a
 * moderate shift, above 0.25 a major one. The mean shift (in training standard deviations) is
 * reported beside it, to tell in which direction a feature moved.
 *
 * @example
 * ```ts
 * const drift = inputDrift(profile, { hour: Float32Array.from(servedHours) });
 * drift.find((d) => d.feature === 'hour')?.psi; // 0.03
 * ```
 */
import { binOf } from '../tracking/model/training-profile.js';
import type { TrainingProfile } from '../tracking/model/training-profile.js';

/** Added to every bin's share so an empty bin does not make the index infinite. */
const EPSILON = 1e-4;

/** The drift of one feature. */
export interface FeatureDrift {
  feature: string;
  /** Population stability index over the training bins plus the missing bin. */
  psi: number;
  /** `stable` (< 0.1), `moderate` (0.1–0.25) or `shifted` (> 0.25). */
  level: 'stable' | 'moderate' | 'shifted';
  servedRows: number;
  servedMean: number;
  trainingMean: number;
  /** (served mean - training mean) / training std. */
  meanShift: number;
  servedMissing: number;
  trainingMissing: number;
}

/** The level of a PSI value. */
export function psiLevel(psi: number): FeatureDrift['level'] {
  return psi < 0.1 ? 'stable' : psi <= 0.25 ? 'moderate' : 'shifted';
}

/** Per-feature drift of `served` columns (NaN = missing) against `profile`; features without served values are left out. */
export function inputDrift(
  profile: TrainingProfile,
  served: Readonly<Record<string, ArrayLike<number> | undefined>>,
): FeatureDrift[] {
  const drift: FeatureDrift[] = [];
  for (const feature of profile.features) {
    const values = served[feature.name];
    if (values === undefined || values.length === 0) continue;
    const counts = new Array<number>(feature.edges.length + 1).fill(0);
    let missing = 0;
    let sum = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i] ?? Number.NaN;
      if (Number.isNaN(value)) {
        missing++;
        continue;
      }
      const bin = binOf(feature.edges, value);
      counts[bin] = (counts[bin] ?? 0) + 1;
      sum += value;
    }
    const total = values.length;
    const present = total - missing;
    // Shares of all rows: the training bins scaled by the present share, plus the missing bin.
    const expected = [...feature.fractions.map((f) => f * (1 - feature.missing)), feature.missing];
    const actual = [...counts.map((c) => c / total), missing / total];
    let psi = 0;
    for (let b = 0; b < expected.length; b++) {
      const e = (expected[b] ?? 0) + EPSILON;
      const a = (actual[b] ?? 0) + EPSILON;
      psi += (a - e) * Math.log(a / e);
    }
    const servedMean = present === 0 ? Number.NaN : sum / present;
    drift.push({
      feature: feature.name,
      psi,
      level: psiLevel(psi),
      servedRows: total,
      servedMean,
      trainingMean: feature.mean,
      meanShift: feature.std > 0 ? (servedMean - feature.mean) / feature.std : 0,
      servedMissing: missing / total,
      trainingMissing: feature.missing,
    });
  }
  return drift;
}
