/**
 * Step 2 of the month-partitioned preprocessing: one month's feature file -> a small Parquet file
 * of, per key (origin, destination, route, scheduled flight) and per fold, the row count and the positives. Summing
 * these over months gives every frequency and (out-of-fold) target encoding without re-reading the
 * rows of earlier months.
 *
 * @example
 * ```ts
 * const aggregates = await buildMonthAggregates({
 *   db: features.connection,
 *   featuresPath: 'work/2001-01.features.parquet',
 *   outputPath: 'work/2001-01.aggregates.parquet',
 * });
 * console.log(aggregates.keys); // about 19,000 (key, fold) rows for a full month
 * ```
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeloopError } from 'lakeloop';
import { ENCODED_KEYS } from './feature-schema.js';
import { writeAtomically } from './month-input.js';
import { jsonText, sqlString } from './sql-text.js';

/** Options of {@link buildMonthAggregates}. */
export interface BuildMonthAggregatesOptions {
  /** An open DuckDB connection. */
  db: DuckDBConnection;
  /** A Parquet file written by `buildMonthFeatures`. */
  featuresPath: string;
  /** Where to write the aggregates (replaced atomically). */
  outputPath: string;
}

/** What {@link buildMonthAggregates} wrote. */
export interface MonthAggregatesSummary {
  month: string;
  outputPath: string;
  /** Number of (key type, key, fold) rows written. */
  keys: number;
}

/**
 * Writes `month, folds, key_type, key, fold, rows, positives` with `key_type` one of
 * {@link ENCODED_KEYS} (`origin`, `destination`, `route`, `flight`).
 *
 * @throws LakeloopError `INVALID_ARGUMENT` when the features file cannot be read or holds several
 *   months.
 */
export async function buildMonthAggregates(
  options: BuildMonthAggregatesOptions,
): Promise<MonthAggregatesSummary> {
  const { db, featuresPath, outputPath } = options;
  const source = `read_parquet(${sqlString(featuresPath)})`;
  let months: string[];
  try {
    const reader = await db.runAndReadAll(`SELECT DISTINCT month FROM ${source}`);
    months = reader.getRowObjectsJson().map((row) => jsonText(row.month));
  } catch (error) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Cannot read month features file ${featuresPath}; build it with buildMonthFeatures first.`,
      { cause: error, details: { featuresPath } },
    );
  }
  const [month] = months;
  if (months.length !== 1 || month === undefined) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Month features file ${featuresPath} must hold exactly one month, found ${months.length}.`,
      { details: { featuresPath, months } },
    );
  }
  const perKey = ENCODED_KEYS.map(
    (key) =>
      `SELECT month, folds, ${sqlString(key)} AS key_type, ${key} AS key, fold,
              count(*) AS rows, CAST(sum(label) AS BIGINT) AS positives
       FROM ${source} GROUP BY ALL`,
  ).join(' UNION ALL ');
  await writeAtomically(outputPath, async (temporaryPath) => {
    await db.run(
      `COPY (SELECT * FROM (${perKey}) ORDER BY key_type, key, fold) TO ${sqlString(temporaryPath)} (FORMAT parquet)`,
    );
  });
  const written = await db.runAndReadAll(
    `SELECT count(*) AS keys FROM read_parquet(${sqlString(outputPath)})`,
  );
  return { month, outputPath, keys: Number(written.getRowObjectsJson()[0]?.keys ?? 0) };
}
