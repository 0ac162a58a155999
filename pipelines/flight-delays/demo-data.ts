/**
 * The demo's data arriving month by month: vega-datasets' flights (flights-3m.parquet, or the
 * small flights-2k.json converted to Parquet once) committed to the data repository one month per
 * commit, as new data would arrive. The six flights stamped 2001-07-01 00:00 in flights-3m are left
 * out on purpose (`until 2001-07-01`): a seventh "month" of six rows would be a useless evaluation set.
 *
 * @example
 * ```ts
 * const source = await prepareSource({ dataset: 'flights-2k', workDir: '/tmp/work' });
 * await ensureRepository(data, 'flights');
 * for (const month of source.months) await importMonth({ data, source, month, repository: 'flights', branch: 'main', prefix: 'flights' });
 * ```
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { isLakeloopError, LakeloopError } from 'lakeloop';
import { importChunks } from 'lakeloop/data';
import type { DataRepository, ImportChunksResult } from 'lakeloop/data';
import { monthRange } from './features/index.js';
import type { FlightConfigOverrides } from './pipeline-config.js';

/** The datasets the demo can run on. */
export const DEMO_DATASETS = ['flights-3m', 'flights-2k'] as const;

/** One of {@link DEMO_DATASETS}. */
export type DemoDataset = (typeof DEMO_DATASETS)[number];

/** A prepared source file and the months it holds. */
export interface DemoSource {
  dataset: DemoDataset;
  /** A Parquet file with columns date (TIMESTAMP), delay, distance, origin, destination. */
  file: string;
  /** Months to import, oldest first (`YYYY-MM`). */
  months: string[];
}

/** The folder of vega-datasets' data files. */
export function vegaDataDir(): string {
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(entry), '..', 'data');
}

const MONTHS: Readonly<Record<DemoDataset, readonly string[]>> = {
  'flights-3m': ['2001-01', '2001-02', '2001-03', '2001-04', '2001-05', '2001-06'],
  'flights-2k': ['2001-01', '2001-02', '2001-03'],
};

/**
 * The demo's configuration per dataset: flights-2k (about 700 rows a month) gets a small model
 * (50 iterations, 8 leaves) and an AUC floor of 0.5; flights-3m the pipeline defaults.
 */
export function demoConfig(dataset: DemoDataset): FlightConfigOverrides {
  return dataset === 'flights-2k'
    ? { aucFloor: 0.5, gbdt: { maxIterations: 50, maxLeaves: 8, minSamplesLeaf: 20 } }
    : {};
}

/** Options of {@link prepareSource}. */
export interface PrepareSourceOptions {
  dataset: DemoDataset;
  /** Where a converted file is written (flights-2k only). */
  workDir: string;
}

/** Returns the Parquet source of a dataset (converting flights-2k.json to Parquet once). */
export async function prepareSource(options: PrepareSourceOptions): Promise<DemoSource> {
  const dir = vegaDataDir();
  const months = [...MONTHS[options.dataset]];
  switch (options.dataset) {
    case 'flights-3m':
      return { dataset: options.dataset, file: join(dir, 'flights-3m.parquet'), months };
    case 'flights-2k': {
      const file = join(options.workDir, 'flights-2k.parquet');
      if (!existsSync(file)) {
        mkdirSync(options.workDir, { recursive: true });
        const instance = await DuckDBInstance.create(':memory:');
        const connection = await instance.connect();
        try {
          const json = join(dir, 'flights-2k.json').replace(/'/g, "''");
          await connection.run(
            `COPY (SELECT strptime(date, '%Y/%m/%d %H:%M') AS date, CAST(delay AS BIGINT) AS delay,
                          CAST(distance AS BIGINT) AS distance, origin, destination
                   FROM read_json('${json}') ORDER BY date)
             TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`,
          );
        } finally {
          connection.closeSync();
          instance.closeSync();
        }
      }
      return { dataset: options.dataset, file, months };
    }
  }
}

/** Creates the repository unless it exists. */
export async function ensureRepository(data: DataRepository, repository: string): Promise<void> {
  try {
    await data.getRepository(repository);
  } catch (error) {
    if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    await data.createRepository({ name: repository });
  }
}

/** Options of {@link importMonth}. */
export interface ImportMonthOptions {
  data: DataRepository;
  source: DemoSource;
  /** `YYYY-MM`. */
  month: string;
  repository: string;
  branch: string;
  /** Object prefix of the chunk (`<prefix>/<month>.parquet`). */
  prefix: string;
}

/** Commits one month of the source as `<prefix>/<month>.parquet` (one commit). */
export async function importMonth(options: ImportMonthOptions): Promise<ImportChunksResult> {
  const { start, end } = monthRange(options.month);
  const result = await importChunks({
    data: options.data,
    file: options.source.file,
    repository: options.repository,
    branch: options.branch,
    column: 'date',
    by: 'month',
    path: options.prefix,
    from: start.slice(0, 10),
    until: end.slice(0, 10),
  });
  if (result.chunks.length !== 1) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `${options.source.file} has no flights in ${options.month}; nothing was committed.`,
      { details: { month: options.month } },
    );
  }
  return result;
}
