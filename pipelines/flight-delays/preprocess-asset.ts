/**
 * `preprocess`: the DuckDB feature engineering of `./features/` with a temporal split. Per-month
 * work (row features and key/fold aggregates) is cached under the instance home by the chunk's
 * checksum and the feature-set version, so a new month only builds itself; the training matrix
 * (out-of-fold target encodings over all training months) is assembled each run. The newest month
 * is the evaluation set; with a single month, its last `singleMonthHoldoutDays` days are.
 *
 * @example
 * ```ts
 * const run = await materialize(defs, { select: '+preprocess', instance });
 * ```
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defineAsset, output } from 'lakeloop';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  assembleTrainingSet,
  buildMonthAggregates,
  buildMonthFeatures,
  FEATURE_NAMES,
  FEATURE_SET_VERSION,
  monthRange,
  openFeatureDatabase,
} from './features/index.js';
import { writeAtomically } from './features/month-input.js';
import type { MonthFeatureFiles } from './features/index.js';
import type { LoadedChunk } from './load-data-asset.js';
import { loadData } from './load-data-asset.js';
import { flightResources, runConfigOf } from './flight-resources.js';

/** The value of `preprocess`: dense row-major float32 matrices ({@link FEATURE_NAMES} columns). */
export interface PreprocessedData {
  [column: string]: Float32Array | Uint8Array;
  trainFeatures: Float32Array;
  trainLabels: Uint8Array;
  testFeatures: Float32Array;
  testLabels: Uint8Array;
}

/** The evaluation split a run used. */
export interface SplitDescription {
  trainMonths: string[];
  /** `YYYY-MM`, or `YYYY-MM (last N days)` for the single-month split. */
  testLabel: string;
}

/** Where the per-month cache of a home lives. */
export function featureCacheDir(home: string): string {
  return join(home, 'pipelines', 'flight-delays', 'features');
}

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

interface MonthBuild {
  files: MonthFeatureFiles;
  hit: boolean;
  seconds: number;
}

/** Builds (or reuses) one month's feature and aggregate files. */
async function monthFiles(
  db: DuckDBConnection,
  chunk: LoadedChunk,
  options: { cacheRoot: string; folds: number },
): Promise<MonthBuild> {
  const started = performance.now();
  const key = `${chunk.month}-${chunk.checksum.replace(/[^\w.-]/g, '_').slice(0, 40)}-${FEATURE_SET_VERSION}-f${options.folds}`;
  const dir = join(options.cacheRoot, key);
  const files: MonthFeatureFiles = {
    month: chunk.month,
    featuresPath: join(dir, 'features.parquet'),
    aggregatesPath: join(dir, 'aggregates.parquet'),
  };
  const marker = join(dir, 'summary.json');
  if (existsSync(marker) && existsSync(files.featuresPath) && existsSync(files.aggregatesPath)) {
    return { files, hit: true, seconds: (performance.now() - started) / 1000 };
  }
  const features = await buildMonthFeatures({
    db,
    inputPath: chunk.localPath,
    outputPath: files.featuresPath,
    month: chunk.month,
    folds: options.folds,
  });
  const aggregates = await buildMonthAggregates({
    db,
    featuresPath: files.featuresPath,
    outputPath: files.aggregatesPath,
  });
  writeFileSync(marker, JSON.stringify({ features, aggregates, checksum: chunk.checksum }));
  return { files, hit: false, seconds: (performance.now() - started) / 1000 };
}

/** Splits one month's features at `days` before its end: training part (with aggregates) and test part. */
async function splitSingleMonth(
  db: DuckDBConnection,
  month: MonthFeatureFiles,
  days: number,
): Promise<{ train: MonthFeatureFiles; test: { month: string; featuresPath: string } }> {
  const dir = join(month.featuresPath, '..', `holdout-${days}d`);
  const train: MonthFeatureFiles = {
    month: month.month,
    featuresPath: join(dir, 'train.parquet'),
    aggregatesPath: join(dir, 'train-aggregates.parquet'),
  };
  const testPath = join(dir, 'test.parquet');
  const test = { month: `${month.month} (last ${days} days)`, featuresPath: testPath };
  if (existsSync(join(dir, 'done')) && existsSync(train.aggregatesPath) && existsSync(testPath)) {
    return { train, test };
  }
  const cutoff = `TIMESTAMP ${quote(monthRange(month.month).end)} - INTERVAL ${days} DAY`;
  const source = `read_parquet(${quote(month.featuresPath)})`;
  await writeAtomically(train.featuresPath, async (path) => {
    await db.run(`COPY (SELECT * FROM ${source} WHERE departure < ${cutoff} ORDER BY row_in_month)
                  TO ${quote(path)} (FORMAT parquet)`);
  });
  await writeAtomically(testPath, async (path) => {
    await db.run(`COPY (SELECT * FROM ${source} WHERE departure >= ${cutoff} ORDER BY row_in_month)
                  TO ${quote(path)} (FORMAT parquet)`);
  });
  await buildMonthAggregates({ db, featuresPath: train.featuresPath, outputPath: train.aggregatesPath });
  writeFileSync(join(dir, 'done'), '');
  return { train, test };
}

/** The split of a run over `months` (oldest first): the newest month is the evaluation set. */
export function planSplit(months: readonly string[], holdoutDays: number): SplitDescription {
  const newest = months.at(-1) ?? '';
  return months.length <= 1
    ? { trainMonths: [newest], testLabel: `${newest} (last ${holdoutDays} days)` }
    : { trainMonths: months.slice(0, -1), testLabel: newest };
}

/** The `preprocess` asset. */
export const preprocess = defineAsset({
  key: 'preprocess',
  deps: [loadData],
  group: 'flight_delays',
  codeVersion: `preprocess-v1+${FEATURE_SET_VERSION}`,
  description:
    'Per-month DuckDB features (cached by chunk checksum), out-of-fold encodings, temporal split (newest month = evaluation).',
  resources: { settings: flightResources.settings },
  compute: async (ctx, { load_data }) => {
    const config = runConfigOf(ctx);
    const cacheRoot = featureCacheDir(ctx.instanceHome);
    const started = performance.now();
    await using db = await openFeatureDatabase();
    const builds: MonthBuild[] = [];
    for (const chunk of load_data.chunks) {
      ctx.signal.throwIfAborted();
      const build = await monthFiles(db.connection, chunk, { cacheRoot, folds: config.folds });
      ctx.log.info(
        `${chunk.month}: ${build.hit ? 'cached' : `built in ${build.seconds.toFixed(2)} s`} (${chunk.rows.toLocaleString('en-US')} rows).`,
      );
      builds.push(build);
    }
    const monthsSeconds = (performance.now() - started) / 1000;
    const months = builds.map((b) => b.files);
    let trainMonths: MonthFeatureFiles[];
    let testMonth: { month: string; featuresPath: string };
    const newest = months.at(-1);
    if (newest === undefined) throw new Error('load_data returned no chunks'); // load_data refuses this
    if (months.length === 1) {
      const split = await splitSingleMonth(db.connection, newest, config.singleMonthHoldoutDays);
      trainMonths = [split.train];
      testMonth = split.test;
    } else {
      trainMonths = months.slice(0, -1);
      testMonth = newest;
    }
    const assembleStarted = performance.now();
    const set = await assembleTrainingSet({ db: db.connection, trainMonths, testMonth });
    const assembleSeconds = (performance.now() - assembleStarted) / 1000;
    const value: PreprocessedData = {
      trainFeatures: set.train.features,
      trainLabels: set.train.labels,
      testFeatures: set.test.features,
      testLabels: set.test.labels,
    };
    return output(value, {
      metadata: {
        feature_names: [...FEATURE_NAMES],
        feature_set_version: FEATURE_SET_VERSION,
        train_months: trainMonths.map((m) => m.month),
        test_month: testMonth.month,
        train_rows: set.train.rows,
        test_rows: set.test.rows,
        train_positive_rate: set.trainPositiveRate,
        months_built: builds.filter((b) => !b.hit).map((b) => b.files.month),
        months_cached: builds.filter((b) => b.hit).map((b) => b.files.month),
        month_seconds: Object.fromEntries(builds.map((b) => [b.files.month, round(b.seconds)])),
        months_seconds: round(monthsSeconds),
        assemble_seconds: round(assembleSeconds),
      },
    });
  },
});

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
