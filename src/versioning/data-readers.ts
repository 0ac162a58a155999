/**
 * Readers of `lakefs://<repository>/<ref>/<path>` URIs: `readTable` (Parquet, CSV, JSON lines via
 * DuckDB; one object, a prefix or a glob), `readText`, `readJson` and the streaming `openData`.
 * The ref is resolved to a commit once per call, and everything is read at that commit.
 *
 * @example
 * ```ts
 * const table = await readTable(data, 'lakefs://flights/main/months/', { columns: ['delay', 'distance'], where: 'distance > 500' });
 * table.columns.delay; // Float64Array (BIGINT arrives as DOUBLE)
 * const config = await readJson(data, 'lakefs://flights/main/config.json');
 * ```
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { isLakeloopError, LakeloopError } from '../errors.js';
import type { DataRepository } from './data-repository.js';
import { resolveCommit, resolveDataFiles } from './data-file-set.js';
import { formatDataUri, parseDataUri } from './data-uri.js';
import { copyResultColumns, numericProjection, quoteIdentifier } from './duckdb-columns.js';
import type { TableColumns } from './duckdb-columns.js';

/** File formats {@link readTable} reads. */
export type TableFormat = 'parquet' | 'csv' | 'json';

/** The table formats, for validation and help. */
export const TABLE_FORMATS = ['parquet', 'csv', 'json'] as const satisfies readonly TableFormat[];

/** Options of {@link readTable}. */
export interface ReadTableOptions {
  /** Columns to read, in this order. Default: all. */
  columns?: readonly string[];
  /** A DuckDB SQL condition on the rows (trusted code, like the rest of a pipeline), e.g. `"delay > 15 AND origin = 'SFO'"`. */
  where?: string;
  /** At most this many rows. */
  limit?: number;
  /** Default: from the file extension (`.parquet`; `.csv`/`.tsv`; `.json`/`.jsonl`/`.ndjson`; each optionally `.gz`). */
  format?: TableFormat;
  /** Keep downloaded files here by checksum (e.g. `lakeloopDataCacheDir(home)`). Default: temp files removed after the read. */
  cacheDir?: string;
}

/** What {@link readTable} returns: columns cheap for ML, plus where they came from. */
export interface DataTable extends TableColumns {
  /** The commit every file was read at. */
  readonly commitId: string;
  /** Immutable URIs (`lakefs://<repo>/<commitId>/<path>`) of the files read, in path order. */
  readonly uris: readonly string[];
  /** Each column's DuckDB type in the source (e.g. `BIGINT`, `TIMESTAMP`), before conversion. */
  readonly types: Record<string, string>;
  /** Row objects (allocates one per row: for small tables and tests). */
  toRows(): Record<string, unknown>[];
}

/** The format a path's extension names, or undefined. */
export function tableFormatOf(path: string): TableFormat | undefined {
  const name = path.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (name.endsWith('.parquet') || name.endsWith('.pq')) return 'parquet';
  if (name.endsWith('.csv') || name.endsWith('.tsv')) return 'csv';
  if (name.endsWith('.json') || name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'json';
  return undefined;
}

/**
 * Reads Parquet, CSV or JSON (lines or an array) at a URI into typed columns: DOUBLE/FLOAT as
 * Float64Array/Float32Array, 8–32-bit integers and BOOLEAN as the matching typed arrays, BIGINT,
 * HUGEINT and DECIMAL as Float64Array, DATE/TIMESTAMP as Float64Array epoch milliseconds, text as
 * `string[]`, anything else as JS values. A prefix (`…/months/`) or glob (`…/2001-0*.parquet`)
 * reads every matching file of the format as one table (columns united by name).
 *
 * @throws LakeloopError `NOT_FOUND` (unknown repository, ref or path), `INVALID_ARGUMENT` (bad URI,
 * unsupported format, several formats under a prefix, an unreadable file or a bad column/where).
 */
export async function readTable(
  data: DataRepository,
  uri: string,
  options: ReadTableOptions = {},
): Promise<DataTable> {
  checkLimit(options.limit, uri);
  const parsed = parseDataUri(uri);
  const single = parsed.path !== '' && !parsed.path.endsWith('/') && !/[*?[]/.test(parsed.path);
  const wanted = options.format;
  if (wanted !== undefined && !(TABLE_FORMATS as readonly string[]).includes(wanted)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Unsupported format ${JSON.stringify(wanted)}: use ${TABLE_FORMATS.join(', ')}.`,
      {
        details: { uri, format: wanted },
      },
    );
  }
  if (single && wanted === undefined && tableFormatOf(parsed.path) === undefined) throw unsupported(uri);
  await using files = await resolveDataFiles(data, uri, {
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    accept: (path) =>
      wanted === undefined ? tableFormatOf(path) !== undefined : tableFormatOf(path) === wanted,
  });
  const formats = new Set(files.files.map((file) => wanted ?? tableFormatOf(file.path)));
  const [format] = formats;
  if (format === undefined) throw unsupported(uri);
  if (formats.size > 1) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${uri} holds files of several formats (${[...formats].join(', ')}); pass { format } to read one of them, or a glob such as ${formatDataUri({ ...parsed, path: `${parsed.path}*.parquet` })}.`,
      { details: { uri, formats: [...formats] } },
    );
  }
  const source = readerCall(
    format,
    files.files.map((file) => file.localPath),
  );
  const select = options.columns === undefined ? '*' : options.columns.map(quoteIdentifier).join(', ');
  const inner = `SELECT ${select} FROM ${source}${options.where === undefined ? '' : ` WHERE ${options.where}`}${options.limit === undefined ? '' : ` LIMIT ${options.limit}`}`;
  const connection = await (await sharedDuckDb()).connect();
  try {
    const described = await query(connection, `DESCRIBE ${inner}`, uri, format);
    const types: Record<string, string> = {};
    for (const row of await described.getRowObjectsJS()) {
      const { column_name: name, column_type: type } = row;
      if (typeof name === 'string' && typeof type === 'string') types[name] = type;
    }
    const projection = Object.entries(types).map(([name, type]) => numericProjection(name, type));
    const result = await query(connection, `SELECT ${projection.join(', ')} FROM (${inner})`, uri, format);
    const columns = copyResultColumns(result);
    return {
      ...columns,
      commitId: files.commitId,
      uris: files.files.map((file) => file.uri),
      types,
      toRows: () => toRows(columns),
    };
  } finally {
    connection.closeSync();
  }
}

/** Options of {@link readText} and {@link readJson}. */
export interface ReadObjectOptions {
  /** Default `'utf8'`. */
  encoding?: BufferEncoding;
}

/** The object at a URI as text (read at the commit its ref resolves to). */
export async function readText(
  data: DataRepository,
  uri: string,
  options: ReadObjectOptions = {},
): Promise<string> {
  const stream = await openData(data, uri);
  if (options.encoding === undefined || options.encoding === 'utf8' || options.encoding === 'utf-8')
    return text(stream);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString(options.encoding);
}

/** The object at a URI parsed as JSON; INVALID_ARGUMENT when it is not JSON. */
export async function readJson<T = unknown>(
  data: DataRepository,
  uri: string,
  options: ReadObjectOptions = {},
): Promise<T> {
  const content = await readText(data, uri, options);
  try {
    return JSON.parse(content) as T;
  } catch (error) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${uri} is not valid JSON (${(error as Error).message}); read it with readText instead.`,
      {
        cause: error,
        details: { uri },
      },
    );
  }
}

/**
 * A stream of the object's bytes at the commit its ref resolves to now (use `Readable.toWeb` for a
 * web `ReadableStream`).
 */
export async function openData(data: DataRepository, uri: string): Promise<Readable> {
  const parsed = parseDataUri(uri);
  if (parsed.path === '' || parsed.path.endsWith('/') || /[*?[]/.test(parsed.path)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${uri} names several objects (a prefix or a glob); give one object's path, or use readTable to read them as one table.`,
      { details: { uri } },
    );
  }
  const commit = await resolveCommit(data, parsed, uri);
  try {
    return await data.getObject({ repository: parsed.repository, ref: commit.id, path: parsed.path });
  } catch (error) {
    if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    const folder = parsed.path.slice(0, parsed.path.lastIndexOf('/') + 1);
    throw new LakeloopError(
      'NOT_FOUND',
      `No object at ${uri} (commit ${commit.id.slice(0, 12)}). List what is there with \`lakeloop data ls ${formatDataUri({ ...parsed, path: folder })}\`.`,
      { cause: error, details: { uri, commitId: commit.id } },
    );
  }
}

function readerCall(format: TableFormat, paths: readonly string[]): string {
  const list = `[${paths.map((path) => `'${path.replace(/'/g, "''")}'`).join(', ')}]`;
  switch (format) {
    case 'parquet':
      return `read_parquet(${list}, union_by_name = true)`;
    case 'csv':
      return `read_csv(${list}, union_by_name = true)`;
    case 'json':
      return `read_json_auto(${list}, union_by_name = true)`;
  }
}

async function query(connection: DuckDBConnection, sql: string, uri: string, format: TableFormat) {
  try {
    return await connection.run(sql);
  } catch (error) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Cannot read ${uri} as ${format}: ${(error as Error).message.split('\n')[0] ?? ''}. Check the columns, the where condition and the file's format.`,
      { cause: error, details: { uri, format } },
    );
  }
}

function unsupported(uri: string): LakeloopError {
  return new LakeloopError(
    'INVALID_ARGUMENT',
    `Cannot read ${uri} as a table: its format is not one of ${TABLE_FORMATS.join(', ')} (by extension: .parquet, .csv, .tsv, .json, .jsonl, .ndjson, optionally .gz). Pass { format } if the file has another name, or read it with readText/openData.`,
    { details: { uri } },
  );
}

function checkLimit(limit: number | undefined, uri: string): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid limit ${String(limit)} for ${uri}: give a whole number ≥ 0.`,
      {
        details: { uri, limit },
      },
    );
  }
}

function toRows(table: TableColumns): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let row = 0; row < table.rowCount; row++) {
    const out: Record<string, unknown> = {};
    for (const name of table.columnNames) {
      const valid = table.validity[name];
      out[name] = valid !== undefined && valid[row] === 0 ? null : table.columns[name]?.[row];
    }
    rows.push(out);
  }
  return rows;
}

let duckDb: Promise<DuckDBInstance> | undefined;

/** One in-memory DuckDB per process (creating one costs ~40 ms); each read gets its own connection. */
function sharedDuckDb(): Promise<DuckDBInstance> {
  duckDb ??= DuckDBInstance.create(':memory:', {
    // Spills go to the OS temp folder, not `.tmp` in the working directory.
    temp_directory: join(tmpdir(), 'lakeloop-duckdb'),
  }).catch((error: unknown) => {
    duckDb = undefined;
    throw error;
  });
  return duckDb;
}
