/**
 * `importChunks`: splits a Parquet or CSV table by a date column into one Parquet file and one
 * commit per period (oldest first), simulating data that arrives month by month. Uses DuckDB
 * (`@duckdb/node-api`). Everything is validated before the first commit: a file that is not
 * Parquet/CSV, a missing column or a dirty branch changes nothing.
 *
 * @example
 * ```ts
 * const result = await importChunks({
 *   data, file: 'node_modules/vega-datasets/data/flights-3m.parquet', repository: 'flights', branch: 'main',
 *   column: 'date', by: 'month', path: 'flights', until: '2001-07-01',
 *   onProgress: (p) => console.log(`${p.done}/${p.total} ${p.chunk?.period ?? ''}`),
 * });
 * // 6 commits: flights/2001-01.parquet … flights/2001-06.parquet; result.rowsOutsideRange === 6
 * ```
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeloopError } from '../errors.js';
import { checkBranchName, checkObjectPath } from './data-names.js';
import type { DataRepository } from './data-repository.js';

/** Periods a table can be split by. */
export type ChunkPeriod = 'day' | 'month' | 'year';

/** The accepted periods, for validation and CLI help. */
export const CHUNK_PERIODS = ['day', 'month', 'year'] as const satisfies readonly ChunkPeriod[];

/** Options of {@link importChunks}. */
export interface ImportChunksOptions {
  /** Where to commit. */
  data: DataRepository;
  /** A local Parquet or CSV file. */
  file: string;
  repository: string;
  branch: string;
  /** The date/timestamp column to split by. */
  column: string;
  /** Default `'month'`. */
  by?: ChunkPeriod;
  /** Path prefix of the chunk files. Default: the file's name without extension. */
  path?: string;
  /** Only rows with `column >= from` (`YYYY-MM-DD[ HH:MM[:SS]]`). Default: no lower bound. */
  from?: string;
  /** Only rows with `column < until` (exclusive). Default: no upper bound. */
  until?: string;
  /** Called before the first chunk and after each commit. */
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Folder for the import's temporary folder (`lakeloop-import-*`, removed on success and on
   * failure; ones older than an hour, left by killed imports, are removed when an import starts).
   * Default: the system's temporary folder.
   */
  tempRoot?: string;
}

/** Progress of an import. */
export interface ImportProgress {
  done: number;
  total: number;
  /** The chunk just committed (absent in the first call). */
  chunk?: ImportedChunk;
}

/** One committed chunk. */
export interface ImportedChunk {
  /** `2001-01` for months, `2001-01-31` for days, `2001` for years. */
  period: string;
  rows: number;
  /** Object path in the repository. */
  path: string;
  /** The commit that added the chunk, or the branch head when the chunk was already there. */
  commitId: string;
  sizeBytes: number;
  /** `unchanged` when identical bytes were already committed at that path (re-runs are no-ops). */
  status: 'committed' | 'unchanged';
}

/** What {@link importChunks} did. */
export interface ImportChunksResult {
  chunks: ImportedChunk[];
  /** Rows of the file. */
  totalRows: number;
  /** Rows left out by `from`/`until`. */
  rowsOutsideRange: number;
  /** Rows whose date is null (never imported). */
  rowsWithoutDate: number;
  format: 'parquet' | 'csv';
}

/** Prefix of an import's temporary folder. */
export const IMPORT_TEMP_PREFIX = 'lakeloop-import-';

/** A temporary folder older than this belongs to an import that was killed: removed at the next import. */
export const STALE_IMPORT_TEMP_MS = 3_600_000;

/**
 * Removes the `lakeloop-import-*` folders under `root` last modified more than `olderThanMs` ago
 * (left by imports that were killed, which cannot clean up); returns the removed paths. A running
 * import touches its folder with every chunk, so only abandoned ones are that old.
 */
export function removeStaleImportFolders(
  root: string = tmpdir(),
  olderThanMs: number = STALE_IMPORT_TEMP_MS,
  now: number = Date.now(),
): string[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((name) => name.startsWith(IMPORT_TEMP_PREFIX));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(root, name);
    try {
      const stats = statSync(path);
      if (!stats.isDirectory() || now - stats.mtimeMs <= olderThanMs) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Removed by another import meanwhile, or not ours to remove: leave it.
    }
  }
  return removed;
}

const DATE_LITERAL = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$/;
const DATE_TYPES = /^(DATE|TIMESTAMP.*)$/;

/** Splits a table into one Parquet file and one commit per period, oldest first. */
export async function importChunks(options: ImportChunksOptions): Promise<ImportChunksResult> {
  const by = options.by ?? 'month';
  if (!(CHUNK_PERIODS as readonly string[]).includes(by)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid period ${JSON.stringify(by)}: use ${CHUNK_PERIODS.join(', ')}.`,
    );
  }
  checkBranchName(options.branch);
  const from = checkDate('from', options.from);
  const until = checkDate('until', options.until);
  const prefix = options.path ?? basename(options.file, extname(options.file));
  if (prefix !== '') checkObjectPath(prefix.replace(/\/+$/, ''));
  if (!existsSync(options.file) || !statSync(options.file).isFile()) {
    throw new LakeloopError(
      'NOT_FOUND',
      `No file at ${options.file}; give the path of a Parquet or CSV file.`,
      {
        details: { file: options.file },
      },
    );
  }
  // The branch must exist and be clean, so each chunk commit holds exactly its chunk.
  const dirty = await options.data.diffUncommitted({
    repository: options.repository,
    branch: options.branch,
    amount: 1,
  });
  if (dirty.results.length > 0) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `Branch "${options.branch}" of "${options.repository}" has uncommitted changes; commit or reset them before importing.`,
      { details: { repository: options.repository, branch: options.branch } },
    );
  }

  const tempRoot = options.tempRoot ?? tmpdir();
  removeStaleImportFolders(tempRoot);
  const workDir = mkdtempSync(join(tempRoot, IMPORT_TEMP_PREFIX));
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  try {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    // DuckDB spills large sorts to its temp directory (default `.tmp` in the working directory).
    await connection.run(`SET temp_directory = '${sqlString(join(workDir, 'duckdb'))}'`);
    const format = await openSource(connection, options.file);
    const timestamp = await timestampExpression(connection, options.column, options.file);
    const conditions = [
      ...(from === undefined ? [] : [`${timestamp} >= TIMESTAMP '${from}'`]),
      ...(until === undefined ? [] : [`${timestamp} < TIMESTAMP '${until}'`]),
    ];
    const inRange = conditions.length === 0 ? 'TRUE' : conditions.join(' AND ');
    const counts = await rows(
      connection,
      `SELECT count(*) AS total, count(*) FILTER (WHERE ${timestamp} IS NULL) AS nulls,
              count(*) FILTER (WHERE ${timestamp} IS NOT NULL AND NOT (${inRange})) AS outside
         FROM source`,
    );
    const periods = await rows(
      connection,
      `SELECT strftime(date_trunc('${by}', ${timestamp}), '%Y-%m-%d %H:%M:%S') AS start, count(*) AS n
         FROM source WHERE ${timestamp} IS NOT NULL AND ${inRange} GROUP BY 1 ORDER BY 1`,
    );
    const chunks: ImportedChunk[] = [];
    options.onProgress?.({ done: 0, total: periods.length });
    for (const row of periods) {
      const start = String(row.start);
      const period = label(by, start);
      const file = join(workDir, `${period}.parquet`);
      await connection.run(
        // A range predicate on the raw column lets DuckDB skip row groups by their min/max statistics.
        `COPY (SELECT * FROM source WHERE ${timestamp} >= TIMESTAMP '${start}'
                 AND ${timestamp} < TIMESTAMP '${start}' + INTERVAL 1 ${by.toUpperCase()} AND ${inRange})
           TO '${sqlString(file)}' (FORMAT parquet, COMPRESSION zstd)`,
      );
      const objectPath =
        prefix === '' ? `${period}.parquet` : `${prefix.replace(/\/+$/, '')}/${period}.parquet`;
      const rowCount = Number(row.n);
      const stat = await options.data.putObject({
        repository: options.repository,
        branch: options.branch,
        path: objectPath,
        content: createReadStream(file, { highWaterMark: 1 << 20 }),
        contentType: 'application/vnd.apache.parquet',
        metadata: { period, rows: String(rowCount) },
      });
      rmSync(file, { force: true });
      // Re-importing the same data is a no-op: an identical chunk is already committed.
      const changed = await options.data.diffUncommitted({
        repository: options.repository,
        branch: options.branch,
        prefix: objectPath,
        amount: 1,
      });
      const commitId =
        changed.results.length === 0
          ? (await options.data.getBranch({ repository: options.repository, branch: options.branch }))
              .commitId
          : (
              await options.data.commit({
                repository: options.repository,
                branch: options.branch,
                message: `Import ${period} of ${basename(options.file)} (${rowCount.toLocaleString('en-US')} rows)`,
                metadata: {
                  period,
                  by,
                  rows: String(rowCount),
                  column: options.column,
                  source: basename(options.file),
                  path: objectPath,
                },
              })
            ).id;
      const chunk: ImportedChunk = {
        period,
        rows: rowCount,
        path: objectPath,
        commitId,
        sizeBytes: stat.sizeBytes,
        status: changed.results.length === 0 ? 'unchanged' : 'committed',
      };
      chunks.push(chunk);
      options.onProgress?.({ done: chunks.length, total: periods.length, chunk });
    }
    const [count] = counts;
    return {
      chunks,
      totalRows: Number(count?.total ?? 0),
      rowsOutsideRange: Number(count?.outside ?? 0),
      rowsWithoutDate: Number(count?.nulls ?? 0),
      format,
    };
  } finally {
    try {
      connection?.closeSync();
      instance?.closeSync();
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
}

async function openSource(connection: DuckDBConnection, file: string): Promise<'parquet' | 'csv'> {
  const extension = extname(file).toLowerCase();
  const order: ('parquet' | 'csv')[] =
    extension === '.csv' || extension === '.tsv' || file.toLowerCase().endsWith('.csv.gz')
      ? ['csv']
      : extension === '.parquet'
        ? ['parquet']
        : ['parquet', 'csv'];
  let lastError: unknown;
  for (const format of order) {
    const reader = format === 'parquet' ? 'read_parquet' : 'read_csv_auto';
    try {
      await connection.run(`CREATE OR REPLACE VIEW source AS SELECT * FROM ${reader}('${sqlString(file)}')`);
      await connection.runAndReadAll('SELECT * FROM source LIMIT 1');
      return format;
    } catch (error) {
      lastError = error;
    }
  }
  throw new LakeloopError(
    'INVALID_ARGUMENT',
    `${file} is not a valid ${order.length === 1 ? (order[0] === 'csv' ? 'CSV' : 'Parquet') : 'Parquet or CSV'} file; nothing was imported.`,
    { cause: lastError, details: { file } },
  );
}

async function timestampExpression(
  connection: DuckDBConnection,
  column: string,
  file: string,
): Promise<string> {
  const columns = await rows(connection, 'DESCRIBE source');
  const found = columns.find((row) => row.column_name === column);
  if (found === undefined) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${file} has no column ${JSON.stringify(column)}; its columns are ${columns.map((row) => String(row.column_name)).join(', ')}.`,
      { details: { file, column } },
    );
  }
  const quoted = `"${column.replace(/"/g, '""')}"`;
  const type = String(found.column_type);
  if (type.startsWith('TIMESTAMP') && !type.includes('TIME ZONE')) return quoted;
  if (DATE_TYPES.test(type)) return `CAST(${quoted} AS TIMESTAMP)`;
  if (type === 'VARCHAR') {
    const [check] = await rows(
      connection,
      `SELECT count(*) FILTER (WHERE ${quoted} IS NOT NULL AND TRY_CAST(${quoted} AS TIMESTAMP) IS NULL) AS bad FROM source`,
    );
    if (Number(check?.bad ?? 0) === 0) return `TRY_CAST(${quoted} AS TIMESTAMP)`;
  }
  throw new LakeloopError(
    'INVALID_ARGUMENT',
    `Column ${JSON.stringify(column)} of ${file} is ${type}, not a date or timestamp; pick a date column.`,
    { details: { file, column, type } },
  );
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  // runAndReadAll materializes the result: no stream is left open when the next query runs.
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

function checkDate(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!DATE_LITERAL.test(value) || Number.isNaN(Date.parse(value.replace(' ', 'T')))) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid --${name} ${JSON.stringify(value)}: use YYYY-MM-DD.`,
      {
        details: { [name]: value },
      },
    );
  }
  return value.replace('T', ' ');
}

function label(by: ChunkPeriod, start: string): string {
  switch (by) {
    case 'year':
      return start.slice(0, 4);
    case 'month':
      return start.slice(0, 7);
    case 'day':
      return start.slice(0, 10);
  }
}

function sqlString(value: string): string {
  return value.replace(/'/g, "''");
}
