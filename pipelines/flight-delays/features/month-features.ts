/**
 * Step 1 of the month-partitioned preprocessing: one month of raw flights -> one Parquet file of
 * row features, the label (`delay > 15`) and the row's fold id (a deterministic hash of the row).
 * Nothing here depends on other months, so a new month never recomputes an old one.
 *
 * @example
 * ```ts
 * await using features = await openFeatureDatabase();
 * const month = await buildMonthFeatures({
 *   db: features.connection,
 *   inputPath: 'node_modules/vega-datasets/data/flights-3m.parquet',
 *   outputPath: 'work/2001-01.features.parquet',
 *   month: '2001-01',
 * });
 * console.log(month.rows, month.positives);
 * ```
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeloopError } from 'lakeloop';
import { DEFAULT_FOLDS, DELAY_THRESHOLD_MINUTES } from './feature-schema.js';
import { flightInputSql } from './flight-input.js';
import { monthRange, parseMonth, writeAtomically } from './month-input.js';
import { sqlString } from './sql-text.js';

/** Options of {@link buildMonthFeatures}. */
export interface BuildMonthFeaturesOptions {
  /** An open DuckDB connection. */
  db: DuckDBConnection;
  /** Raw flights (.parquet, .json or .csv; see `flightInputSql`). May hold other months too. */
  inputPath: string;
  /** Where to write the month's Parquet file (replaced atomically). */
  outputPath: string;
  /** The month to build, `YYYY-MM`; rows whose departure falls in another month are ignored. */
  month: string;
  /** Number of folds of the out-of-fold target encodings (2..255). Default {@link DEFAULT_FOLDS}. */
  folds?: number;
}

/** What {@link buildMonthFeatures} wrote. */
export interface MonthFeaturesSummary {
  month: string;
  outputPath: string;
  /** Rows written. */
  rows: number;
  /** Rows with label 1. */
  positives: number;
  /** Rows of the input that belong to other months (ignored). */
  otherMonthRows: number;
}

/**
 * Builds one month's row features. Columns of the output: `month, row_in_month, row_hash, folds,
 * fold, label, departure, delay, distance, origin, destination, route, flight, hour, hour_sin,
 * hour_cos, day_of_week, day_of_month, log_distance` (features as FLOAT). `route` is
 * `origin-destination`, `flight` the scheduled flight `origin-destination HHMM`. Rows are sorted by departure, origin,
 * destination, distance, delay, so the output does not depend on the input's row order; the fold is
 * `hash(departure, origin, destination, distance) % folds` (independent of the label).
 *
 * @throws LakeloopError `INVALID_ARGUMENT` for a bad month, fold count or input file (missing or
 *   mistyped columns, unparsable dates, missing values, non-positive distances) or when the month
 *   has no rows; `NOT_FOUND` when the input file does not exist.
 */
export async function buildMonthFeatures(options: BuildMonthFeaturesOptions): Promise<MonthFeaturesSummary> {
  const { db, inputPath, outputPath } = options;
  const month = parseMonth(options.month);
  const folds = options.folds ?? DEFAULT_FOLDS;
  if (!Number.isInteger(folds) || folds < 2 || folds > 255) {
    throw new LakeloopError('INVALID_ARGUMENT', `folds must be an integer from 2 to 255, got ${folds}.`, {
      details: { folds },
    });
  }
  const input = await flightInputSql({ db, inputPath });
  const { start, end } = monthRange(month);
  const inMonth = `departure >= TIMESTAMP ${sqlString(start)} AND departure < TIMESTAMP ${sqlString(end)}`;

  const check = await db.runAndReadAll(
    `SELECT count(*) FILTER (WHERE departure IS NULL) AS bad_dates,
            count(*) FILTER (WHERE ${inMonth}) AS rows,
            count(*) FILTER (WHERE ${inMonth} AND delay > ${DELAY_THRESHOLD_MINUTES}) AS positives,
            count(*) FILTER (WHERE ${inMonth} AND delay IS NULL) AS null_delay,
            count(*) FILTER (WHERE ${inMonth} AND (distance IS NULL OR distance <= 0)) AS bad_distance,
            count(*) FILTER (WHERE ${inMonth} AND (origin IS NULL OR destination IS NULL
                                                   OR origin = '' OR destination = '')) AS bad_airport,
            count(*) AS total
     FROM (${input})`,
  );
  const counts = check.getRowObjectsJson()[0] ?? {};
  const count = (name: string): number => Number(counts[name] ?? 0);
  const problems: string[] = [];
  if (count('bad_dates') > 0) problems.push(`${count('bad_dates')} rows with a missing or unparsable date`);
  if (count('null_delay') > 0) problems.push(`${count('null_delay')} rows without a delay`);
  if (count('bad_distance') > 0)
    problems.push(`${count('bad_distance')} rows with a missing or non-positive distance`);
  if (count('bad_airport') > 0)
    problems.push(`${count('bad_airport')} rows without an origin or destination`);
  if (problems.length > 0) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Flight data file ${inputPath} is invalid for month ${month}: ${problems.join('; ')}. Fix or drop these rows.`,
      { details: { inputPath, month, problems } },
    );
  }
  const rows = count('rows');
  if (rows === 0) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Flight data file ${inputPath} has no flights in month ${month}; check the file and the month.`,
      { details: { inputPath, month } },
    );
  }

  // The fold hashes the row's schedule (not its label), so relabelling a row never moves it.
  const rowKey = 'departure, origin, destination, distance';
  const rowOrder = `${rowKey}, delay`;
  const featuresSql = `
    SELECT ${sqlString(month)} AS month,
           CAST(row_number() OVER (ORDER BY ${rowOrder}) - 1 AS UINTEGER) AS row_in_month,
           hash(${rowKey}) AS row_hash,
           CAST(${folds} AS UTINYINT) AS folds,
           CAST(hash(${rowKey}) % ${folds} AS UTINYINT) AS fold,
           CAST(delay > ${DELAY_THRESHOLD_MINUTES} AS UTINYINT) AS label,
           departure, delay, distance, origin, destination,
           origin || '-' || destination AS route,
           origin || '-' || destination || ' ' || strftime(departure, '%H%M') AS flight,
           CAST(hour(departure) AS FLOAT) AS hour,
           CAST(sin(2 * pi() * (hour(departure) + minute(departure) / 60.0) / 24) AS FLOAT) AS hour_sin,
           CAST(cos(2 * pi() * (hour(departure) + minute(departure) / 60.0) / 24) AS FLOAT) AS hour_cos,
           CAST(isodow(departure) - 1 AS FLOAT) AS day_of_week,
           CAST(day(departure) AS FLOAT) AS day_of_month,
           CAST(ln(distance) AS FLOAT) AS log_distance
    FROM (${input}) WHERE ${inMonth}
    ORDER BY row_in_month`;
  await writeAtomically(outputPath, async (temporaryPath) => {
    await db.run(
      `COPY (${featuresSql}) TO ${sqlString(temporaryPath)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
    );
  });
  return { month, outputPath, rows, positives: count('positives'), otherMonthRows: count('total') - rows };
}
