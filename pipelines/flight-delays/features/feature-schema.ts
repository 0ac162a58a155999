/**
 * The flight-delay feature set: the names and order of the model's input columns, the shared data
 * shapes and the defaults every step of the feature engineering uses.
 *
 * @example
 * ```ts
 * import { FEATURE_NAMES } from './feature-schema.js';
 * console.log(FEATURE_NAMES.length); // 14
 * ```
 */

/**
 * The model's input columns, in the order of the row-major feature matrix.
 *
 * - `hour`: departure hour of day (0..23); `hour_sin`/`hour_cos`: the time of day (hours + minutes/60)
 *   on the unit circle, so 23:59 and 00:00 are neighbours.
 * - `day_of_week`: ISO day of week minus one (0 = Monday .. 6 = Sunday); `day_of_month`: 1..31.
 * - `log_distance`: natural log of the distance in miles.
 * - `*_freq`: share of the training rows with that origin / destination / route / scheduled flight
 *   (0 when unseen).
 * - `*_te`: smoothed target encoding (rate of `delay > 15`), out-of-fold on training rows and over all
 *   training rows for the test month.
 *
 * The `flight` key is origin, destination and departure time of day (`LAX-BNA 0655`), meant as the
 * scheduled flight. Caveat: the data's `date` is the ACTUAL departure (schedule + departure delay),
 * so the key is the scheduled flight only when it left on time, and its target encoding carries the
 * departure delay (docs/flight-delays-features.md, "Caveat"): a nowcast feature at departure time.
 */
export const FEATURE_NAMES = [
  'hour',
  'hour_sin',
  'hour_cos',
  'day_of_week',
  'day_of_month',
  'log_distance',
  'origin_freq',
  'destination_freq',
  'route_freq',
  'flight_freq',
  'origin_te',
  'destination_te',
  'route_te',
  'flight_te',
] as const;

/** One feature name. */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/**
 * The categorical keys that get frequency and target encodings: columns of the month feature files.
 * `route` is `origin-destination`; `flight` is the scheduled flight, `origin-destination HHMM` (12
 * characters for 3-letter airports: DuckDB keeps strings of up to 12 bytes inline, which made the
 * assembly's sums over ~2M (key, fold) rows about 25% cheaper than with `HH:MM`).
 */
export const ENCODED_KEYS = ['origin', 'destination', 'route', 'flight'] as const;

/** One encoded key. */
export type EncodedKey = (typeof ENCODED_KEYS)[number];

/**
 * A dense, row-major feature matrix with binary labels: the shape `lakeloop/ml` trains on.
 * Feature `j` of row `i` is `features[i * columns + j]`.
 */
export interface TabularData {
  /** Row-major float32 values, `rows * columns` long. */
  features: Float32Array;
  /** Number of rows. */
  rows: number;
  /** Number of columns (features). */
  columns: number;
  /** Column names, `columns` long. */
  featureNames: string[];
  /** 1 when the flight was delayed by more than 15 minutes, else 0. */
  labels: Uint8Array;
}

/** Where one month's feature engineering outputs live. */
export interface MonthFeatureFiles {
  /** The month, `YYYY-MM`. */
  month: string;
  /** Parquet file written by `buildMonthFeatures`. */
  featuresPath: string;
  /** Parquet file written by `buildMonthAggregates`. */
  aggregatesPath: string;
}

/** Default number of folds of the out-of-fold target encodings. */
export const DEFAULT_FOLDS = 5;

/** Default smoothing strength (pseudo-rows at the prior rate) of the target encodings. */
export const DEFAULT_SMOOTHING = 20;

/** Delay threshold in minutes: the label is `delay > DELAY_THRESHOLD_MINUTES`. */
export const DELAY_THRESHOLD_MINUTES = 15;

/**
 * Changes whenever the meaning of the feature files changes, so caches built by an older version
 * are not reused (the pipeline can put it into its code version).
 */
export const FEATURE_SET_VERSION = 'flight-features-v4';
