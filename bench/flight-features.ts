/**
 * The flight-delay feature matrices the ML benchmarks train on (BRIEF §3), built once with the
 * pipeline's DuckDB feature engineering and cached under `bench/data/flight-features/` (gitignored),
 * plus raw little-endian files for the Python baselines.
 *
 * - `small`: a seeded sample of 200,000 Jan–May training rows and 100,000 June test rows (encodings
 *   use every Jan–May row).
 * - `full`: all Jan–May rows (2,497,772) / all June rows (502,222).
 *
 * Files (`<size>-train-X.f32` row-major float32, `<size>-train-y.u8`, `<size>-test-X.f32`,
 * `<size>-test-y.u8`, `<size>-meta.json` = `{ rows, columns, featureNames, testRows, ... }`).
 * In Python: `np.fromfile('small-train-X.f32', '<f4').reshape(meta['rows'], meta['columns'])`.
 *
 * @example
 * ```ts
 * const { train, test } = await loadFlightFeatureMatrices({ size: 'small' });
 * await writeFlightFeatureFiles({ size: 'full', dir: '/tmp/flights' });
 * ```
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FEATURE_NAMES,
  FEATURE_SET_VERSION,
  assembleTrainingSet,
  buildMonthAggregates,
  buildMonthFeatures,
  openFeatureDatabase,
  type MonthFeatureFiles,
  type RowSample,
  type TabularData,
} from '../pipelines/flight-delays/features/index.js';

/** `small` (200k/100k sample) or `full` (2.5M/0.5M). */
export type FlightFeatureSize = 'small' | 'full';

/** Train (Jan–May) and test (June) matrices. */
export interface FlightFeatureMatrices {
  size: FlightFeatureSize;
  train: TabularData;
  test: TabularData;
  featureNames: string[];
}

/** Options of {@link loadFlightFeatureMatrices}. */
export interface LoadFlightFeatureMatricesOptions {
  size: FlightFeatureSize;
  /** Cache folder. Default `bench/data/flight-features`. */
  cacheDir?: string;
  /** Rebuild even when a cache of the current feature version exists. Default false. */
  refresh?: boolean;
}

/** Options of {@link writeFlightFeatureFiles}. */
export interface WriteFlightFeatureFilesOptions {
  size: FlightFeatureSize;
  /** Folder to write the raw files into (created if needed). */
  dir: string;
}

/** Metadata written next to the raw files. */
export interface FlightFeatureMeta {
  version: string;
  size: FlightFeatureSize;
  /** Training rows. */
  rows: number;
  columns: number;
  featureNames: string[];
  testRows: number;
  trainMonths: string[];
  testMonth: string;
}

const benchDir = dirname(fileURLToPath(import.meta.url));
/** The default cache folder. */
export const FLIGHT_FEATURES_CACHE_DIR = join(benchDir, 'data', 'flight-features');
const FLIGHTS_3M = resolve(benchDir, '..', 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');
const TRAIN_MONTHS = ['2001-01', '2001-02', '2001-03', '2001-04', '2001-05'];
const TEST_MONTH = '2001-06';
const SAMPLES: Record<FlightFeatureSize, RowSample | undefined> = {
  small: { trainRows: 200_000, testRows: 100_000, seed: 2001 },
  full: undefined,
};

/**
 * Loads the matrices from the cache, building them (about 10–20 s) when missing or stale: a cache is
 * stale when its `version` is not {@link FEATURE_SET_VERSION} or its `featureNames` are not
 * {@link FEATURE_NAMES}.
 */
export async function loadFlightFeatureMatrices(
  options: LoadFlightFeatureMatricesOptions,
): Promise<FlightFeatureMatrices> {
  const dir = options.cacheDir ?? FLIGHT_FEATURES_CACHE_DIR;
  const cached = options.refresh === true ? undefined : readCachedFlightFeatures(dir, options.size);
  if (cached !== undefined) return cached;
  const built = await buildMatrices(options.size, dir);
  writeFlightFeatureMatrices(dir, built);
  return built;
}

/** Writes the raw little-endian files (and meta) for `size` into `dir`; returns their paths. */
export async function writeFlightFeatureFiles(
  options: WriteFlightFeatureFilesOptions,
): Promise<Record<string, string>> {
  const matrices = await loadFlightFeatureMatrices({ size: options.size });
  return writeFlightFeatureMatrices(options.dir, matrices);
}

function filePaths(
  dir: string,
  size: FlightFeatureSize,
): Record<'trainX' | 'trainY' | 'testX' | 'testY' | 'meta', string> {
  return {
    trainX: join(dir, `${size}-train-X.f32`),
    trainY: join(dir, `${size}-train-y.u8`),
    testX: join(dir, `${size}-test-X.f32`),
    testY: join(dir, `${size}-test-y.u8`),
    meta: join(dir, `${size}-meta.json`),
  };
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('The raw feature files are little-endian; this machine is not.');
}

/**
 * Writes `m` as the raw files of its size into `dir` (meta last: its presence marks a complete set).
 *
 * @example
 * ```ts
 * writeFlightFeatureMatrices('/tmp/flights', await loadFlightFeatureMatrices({ size: 'small' }));
 * ```
 */
export function writeFlightFeatureMatrices(dir: string, m: FlightFeatureMatrices): Record<string, string> {
  assertLittleEndian();
  mkdirSync(dir, { recursive: true });
  const paths = filePaths(dir, m.size);
  const bytes = (a: Float32Array | Uint8Array): Uint8Array =>
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(paths.trainX, bytes(m.train.features));
  writeFileSync(paths.trainY, bytes(m.train.labels));
  writeFileSync(paths.testX, bytes(m.test.features));
  writeFileSync(paths.testY, bytes(m.test.labels));
  const meta: FlightFeatureMeta = {
    version: FEATURE_SET_VERSION,
    size: m.size,
    rows: m.train.rows,
    columns: m.train.columns,
    featureNames: m.featureNames,
    testRows: m.test.rows,
    trainMonths: TRAIN_MONTHS,
    testMonth: TEST_MONTH,
  };
  // meta last: its presence marks a complete set of files
  writeFileSync(paths.meta, `${JSON.stringify(meta, null, 2)}\n`);
  return paths;
}

/**
 * The cached matrices of `size` in `dir`, or `undefined` when missing or stale (another
 * {@link FEATURE_SET_VERSION} or other feature names than {@link FEATURE_NAMES}).
 *
 * @example
 * ```ts
 * const cached = readCachedFlightFeatures(FLIGHT_FEATURES_CACHE_DIR, 'small'); // undefined: rebuild
 * ```
 */
export function readCachedFlightFeatures(
  dir: string,
  size: FlightFeatureSize,
): FlightFeatureMatrices | undefined {
  const paths = filePaths(dir, size);
  if (!existsSync(paths.meta)) return undefined;
  const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as FlightFeatureMeta;
  // A cache of another feature set (older version, or other columns) is rebuilt, never read.
  if (meta.version !== FEATURE_SET_VERSION || meta.featureNames.join() !== FEATURE_NAMES.join()) {
    return undefined;
  }
  assertLittleEndian();
  const floats = (path: string): Float32Array => {
    const buffer = readFileSync(path);
    const copy = new Float32Array(buffer.byteLength / 4);
    new Uint8Array(copy.buffer).set(buffer);
    return copy;
  };
  const bytes = (path: string): Uint8Array => new Uint8Array(readFileSync(path));
  const table = (features: Float32Array, labels: Uint8Array, rows: number): TabularData => {
    if (features.length !== rows * meta.columns || labels.length !== rows) {
      throw new Error(`Cached flight features in ${dir} are inconsistent; rerun with refresh: true.`);
    }
    return { features, labels, rows, columns: meta.columns, featureNames: meta.featureNames };
  };
  return {
    size,
    train: table(floats(paths.trainX), bytes(paths.trainY), meta.rows),
    test: table(floats(paths.testX), bytes(paths.testY), meta.testRows),
    featureNames: meta.featureNames,
  };
}

async function buildMatrices(size: FlightFeatureSize, cacheDir: string): Promise<FlightFeatureMatrices> {
  await using database = await openFeatureDatabase();
  const db = database.connection;
  const monthsDir = join(cacheDir, 'months');
  const months: MonthFeatureFiles[] = [];
  for (const month of [...TRAIN_MONTHS, TEST_MONTH]) {
    const files: MonthFeatureFiles = {
      month,
      featuresPath: join(monthsDir, `${month}.features.parquet`),
      aggregatesPath: join(monthsDir, `${month}.aggregates.parquet`),
    };
    await buildMonthFeatures({ db, inputPath: FLIGHTS_3M, outputPath: files.featuresPath, month });
    await buildMonthAggregates({ db, featuresPath: files.featuresPath, outputPath: files.aggregatesPath });
    months.push(files);
  }
  const testMonth = months.at(-1);
  if (testMonth === undefined) throw new Error('unreachable: no months');
  const sample = SAMPLES[size];
  const set = await assembleTrainingSet({
    db,
    trainMonths: months.slice(0, -1),
    testMonth,
    ...(sample === undefined ? {} : { sample }),
  });
  return { size, train: set.train, test: set.test, featureNames: set.featureNames };
}

// `node --conditions=lakeloop-source --import tsx bench/flight-features.ts [small|full] [dir]` writes the files.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const size = (process.argv[2] ?? 'small') as FlightFeatureSize;
  const dir = process.argv[3] ?? FLIGHT_FEATURES_CACHE_DIR;
  const paths = await writeFlightFeatureFiles({ size, dir });
  console.log(JSON.stringify(paths, null, 2));
}
