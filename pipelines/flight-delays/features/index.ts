/**
 * Flight-delay feature engineering with DuckDB, partitioned by month: per-month row features and
 * per-month key/fold aggregates, assembled into train/test matrices with out-of-fold target
 * encodings.
 *
 * @example
 * ```ts
 * import { openFeatureDatabase, buildMonthFeatures, buildMonthAggregates, assembleTrainingSet } from './features/index.js';
 * await using features = await openFeatureDatabase();
 * const db = features.connection;
 * const months = [];
 * for (const month of ['2001-01', '2001-02', '2001-03']) {
 *   const files = { month, featuresPath: `work/${month}.features.parquet`, aggregatesPath: `work/${month}.aggregates.parquet` };
 *   await buildMonthFeatures({ db, inputPath: 'flights-3m.parquet', outputPath: files.featuresPath, month });
 *   await buildMonthAggregates({ db, featuresPath: files.featuresPath, outputPath: files.aggregatesPath });
 *   months.push(files);
 * }
 * const { train, test } = await assembleTrainingSet({ db, trainMonths: months.slice(0, 2), testMonth: months[2]! });
 * ```
 */
export * from './feature-schema.js';
export * from './feature-database.js';
export * from './flight-input.js';
export * from './month-features.js';
export * from './month-aggregates.js';
export * from './training-set-assembly.js';
export * from './tabular-reader.js';
export { parseMonth, monthRange, writeAtomically } from './month-input.js';
export { jsonText, sqlString, sqlStringList } from './sql-text.js';
