/**
 * A bounded look at one object of a data repository, for the API and the UI: the first rows of a
 * Parquet or CSV object (read by DuckDB), the first 64 KiB of a text object, or only the size of a
 * binary one. Bounded in time and memory: one DuckDB instance per process with a memory limit and
 * one thread, every statement interrupted after a timeout, and bytes read only as far as needed —
 * the embedded backend's blob file is read in place; otherwise a Parquet object (whose footer is at
 * its end) is copied whole into a temporary file when it is at most `maxTableBytes`, a CSV object
 * only up to its first {@link CSV_PREFIX_BYTES}. Temporary files are always removed.
 *
 * @example
 * ```ts
 * const preview = await previewObject(data, { repository: 'flights', ref: 'main', path: 'months/2001-01.parquet' });
 * if (preview.kind === 'table') console.log(preview.columns, preview.rows.length, preview.totalRows);
 * ```
 */
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBMaterializedResult } from '@duckdb/node-api';
import { isLakeloopError, LakeloopError } from '../errors.js';
import type { DataRepository, ObjectAddress, ObjectStat } from './data-repository.js';
import { tableFormatOf } from './data-readers.js';
import { EmbeddedDataRepository } from './local/embedded-data-repository.js';

/** Most rows a table preview returns. */
export const MAX_PREVIEW_ROWS = 100;
/** How much of a text object a preview returns. */
export const TEXT_PREVIEW_BYTES = 64 * 1024;
/** How much of a CSV object is copied when it cannot be read in place (its first rows are in it). */
export const CSV_PREFIX_BYTES = 4 * 1024 * 1024;
/** Default of {@link ObjectPreviewOptions.maxTableBytes}. */
export const DEFAULT_MAX_TABLE_BYTES = 512 * 1024 * 1024;
/** Default of {@link ObjectPreviewOptions.timeoutMs}. */
export const DEFAULT_PREVIEW_TIMEOUT_MS = 5_000;
/** The memory limit of the preview's DuckDB instance (shared by concurrent previews). */
export const PREVIEW_MEMORY_LIMIT = '256MB';
/** Longest text of one cell; longer values end with `…`. */
export const MAX_CELL_CHARS = 1_000;

/** Options of {@link previewObject}. */
export interface ObjectPreviewOptions {
  /** Rows of a table, 1..{@link MAX_PREVIEW_ROWS}. Default {@link MAX_PREVIEW_ROWS}. */
  rows?: number;
  /**
   * Largest Parquet (or compressed CSV) object copied to a temporary file to be read; larger ones
   * are refused with INVALID_ARGUMENT. Not applied to a blob read in place. Default 512 MiB.
   */
  maxTableBytes?: number;
  /** Each DuckDB statement is interrupted after this long (TIMEOUT). Default 5000 ms. */
  timeoutMs?: number;
}

/** A column of a table preview, with its DuckDB type (e.g. `BIGINT`, `TIMESTAMP`, `INTEGER[]`). */
export interface PreviewColumn {
  name: string;
  type: string;
}

/** A JSON value of a preview cell. */
export type PreviewValue =
  null | boolean | number | string | PreviewValue[] | { [key: string]: PreviewValue };

/** What every preview says about the object. */
interface PreviewBase {
  path: string;
  /** The ref read (a branch includes its uncommitted changes). */
  ref: string;
  /** The object's size in bytes. */
  size: number;
  contentType: string;
}

/** The first rows of a Parquet or CSV object. */
export interface TablePreview extends PreviewBase {
  kind: 'table';
  format: 'parquet' | 'csv';
  columns: PreviewColumn[];
  /** Rows as arrays in column order; values JSON-safe (see {@link jsonSafeValue}). */
  rows: PreviewValue[][];
  /** True when the object has more rows than those returned. */
  truncated: boolean;
  /** The object's row count, when known without reading it all (Parquet: from its footer). */
  totalRows?: number;
}

/** The first {@link TEXT_PREVIEW_BYTES} of a text object (UTF-8). */
export interface TextPreview extends PreviewBase {
  kind: 'text';
  text: string;
  /** True when the object is longer than the text returned. */
  truncated: boolean;
}

/** An object that is neither a table nor UTF-8 text: only its size. */
export interface BinaryPreview extends PreviewBase {
  kind: 'binary';
}

/** What {@link previewObject} returns. */
export type ObjectPreview = TablePreview | TextPreview | BinaryPreview;

/**
 * Previews the object at `address` (a branch ref includes its uncommitted changes): a table for `.parquet`,
 * `.csv` and `.tsv` (optionally `.gz`), text when its first bytes are UTF-8 without NUL bytes,
 * binary otherwise.
 *
 * @throws LakeloopError `NOT_FOUND` (unknown repository, ref or path), `INVALID_ARGUMENT` (an
 * unreadable table, a Parquet object larger than `maxTableBytes`, rows out of range), `TIMEOUT`.
 */
export async function previewObject(
  data: DataRepository,
  address: ObjectAddress,
  options: ObjectPreviewOptions = {},
): Promise<ObjectPreview> {
  const rows = options.rows ?? MAX_PREVIEW_ROWS;
  if (!Number.isInteger(rows) || rows < 1 || rows > MAX_PREVIEW_ROWS) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid rows ${String(rows)}: give a whole number from 1 to ${MAX_PREVIEW_ROWS}.`,
    );
  }
  // Read at the ref as given: a branch shows its uncommitted changes too, as lakeFS does.
  const pinned = address;
  const stat = await statOrNotFound(data, address);
  const base: PreviewBase = {
    path: stat.path,
    ref: address.ref,
    size: stat.sizeBytes,
    contentType: stat.contentType,
  };
  const format = tableFormatOf(address.path);
  if (format === 'parquet' || format === 'csv') {
    return previewTable(data, pinned, stat, {
      base,
      format,
      rows,
      maxTableBytes: options.maxTableBytes ?? DEFAULT_MAX_TABLE_BYTES,
      timeoutMs: options.timeoutMs ?? DEFAULT_PREVIEW_TIMEOUT_MS,
    });
  }
  const head = await readHead(await data.getObject(pinned), TEXT_PREVIEW_BYTES + 1);
  const truncated = head.length > TEXT_PREVIEW_BYTES || stat.sizeBytes > TEXT_PREVIEW_BYTES;
  const text = decodeText(head.subarray(0, TEXT_PREVIEW_BYTES), truncated);
  return text === undefined ? { ...base, kind: 'binary' } : { ...base, kind: 'text', text, truncated };
}

async function statOrNotFound(data: DataRepository, address: ObjectAddress): Promise<ObjectStat> {
  try {
    return await data.statObject(address);
  } catch (error) {
    if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    // An unknown repository or ref is its own NOT_FOUND, which says so.
    await data.getCommit({ repository: address.repository, ref: address.ref });
    const folder = address.path.slice(0, address.path.lastIndexOf('/') + 1);
    throw new LakeloopError(
      'NOT_FOUND',
      `No object "${address.path}" in repository "${address.repository}" at ${address.ref}. List what is there with GET /api/data/repositories/${address.repository}/objects?ref=${address.ref}&prefix=${folder}.`,
      { cause: error, details: { repository: address.repository, ref: address.ref, path: address.path } },
    );
  }
}

interface TableRead {
  base: PreviewBase;
  format: 'parquet' | 'csv';
  rows: number;
  maxTableBytes: number;
  timeoutMs: number;
}

async function previewTable(
  data: DataRepository,
  pinned: ObjectAddress,
  stat: ObjectStat,
  read: TableRead,
): Promise<TablePreview> {
  const gzip = /\.gz$/i.test(pinned.path);
  const inPlace = data instanceof EmbeddedDataRepository ? (await data.blobPathOf(pinned)).path : undefined;
  let tempDir: string | undefined;
  try {
    let file = inPlace;
    let cut = false;
    if (file === undefined) {
      // A CSV's first rows are at its start; a Parquet footer is at its end, and gzip has no random access.
      const whole = read.format === 'parquet' || gzip;
      if (whole && stat.sizeBytes > read.maxTableBytes) {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          `Cannot preview "${pinned.path}": it is ${mebibytes(stat.sizeBytes)}, larger than the ${mebibytes(read.maxTableBytes)} a preview copies. Read it with readTable (lakeloop/data) instead, which streams it.`,
          { details: { path: pinned.path, sizeBytes: stat.sizeBytes, maxTableBytes: read.maxTableBytes } },
        );
      }
      tempDir = mkdtempSync(join(tmpdir(), 'lakeloop-preview-'));
      file = join(tempDir, 'object');
      const limit = whole ? Number.POSITIVE_INFINITY : CSV_PREFIX_BYTES;
      cut =
        (await copyHead(await data.getObject(pinned), file, limit, read.format === 'csv')) < stat.sizeBytes;
    }
    return await queryTable(file, { ...read, gzip, cut, path: pinned.path });
  } finally {
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  }
}

/**
 * The dialect of a `.csv` (comma) or `.tsv` (tab) object with RFC 4180 quoting. Giving it skips
 * DuckDB's dialect sniffer, ~15 of the ~17 ms a preview took; the header and the column types are
 * still detected.
 */
function csvDialect(path: string): string {
  const delimiter = /\.tsv(\.gz)?$/i.test(path) ? '\\t' : ',';
  return `delim = '${delimiter}', quote = '"', escape = '"'`;
}

async function queryTable(
  file: string,
  read: TableRead & { gzip: boolean; cut: boolean; path: string },
): Promise<TablePreview> {
  const literal = `'${file.replace(/'/g, "''")}'`;
  const source =
    read.format === 'parquet'
      ? `read_parquet(${literal})`
      : `read_csv(${literal}, ${csvDialect(read.path)}${read.gzip ? ", compression = 'gzip'" : ''})`;
  const connection = await (await previewDuckDb()).connect();
  const timer = setTimeout(() => {
    connection.interrupt();
  }, read.timeoutMs);
  try {
    const run = (sql: string) => runStatement(connection, sql, { ...read, file });
    const result = await run(`SELECT * FROM ${source} LIMIT ${read.rows + 1}`);
    const columns = result.columnNames().map((name, index) => ({
      name,
      type: result.columnType(index).toString(),
    }));
    const all = (await result.getRowsJS()).map((row) =>
      row.map((value, index) => jsonSafeValue(value, columns[index]?.type ?? '')),
    );
    const rows = all.slice(0, read.rows);
    let totalRows: number | undefined;
    if (read.format === 'parquet') {
      const meta = await run(`SELECT sum(num_rows) FROM parquet_file_metadata(${literal})`);
      totalRows = Number((await meta.getRowsJS())[0]?.[0] ?? rows.length);
    }
    const truncated = all.length > read.rows || read.cut || (totalRows ?? 0) > rows.length;
    return {
      ...read.base,
      kind: 'table',
      format: read.format,
      columns,
      rows,
      truncated,
      ...(totalRows === undefined ? {} : { totalRows }),
    };
  } finally {
    clearTimeout(timer);
    connection.closeSync();
  }
}

async function runStatement(
  connection: DuckDBConnection,
  sql: string,
  read: { format: 'parquet' | 'csv'; path: string; file: string; timeoutMs: number },
): Promise<DuckDBMaterializedResult> {
  try {
    return await connection.run(sql);
  } catch (error) {
    const message = (error as Error).message;
    if (/^INTERRUPT/i.test(message)) {
      throw new LakeloopError(
        'TIMEOUT',
        `Previewing "${read.path}" took longer than ${read.timeoutMs} ms and was stopped; read it with readTable (lakeloop/data) instead.`,
        { cause: error, details: { path: read.path } },
      );
    }
    // DuckDB names the local file; say the object's path instead (the file's location is ours).
    const first = (message.split('\n')[0] ?? '').replaceAll(read.file, read.path);
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Cannot preview "${read.path}" as ${read.format === 'parquet' ? 'Parquet' : 'CSV'}: ${first}. Check that the object is a valid ${read.format === 'parquet' ? 'Parquet' : 'CSV'} file (its format is taken from its extension).`,
      { cause: error, details: { path: read.path, format: read.format } },
    );
  }
}

/**
 * A DuckDB value (as `getRowsJS` gives it) as JSON: BIGINT-like integers as numbers when exact,
 * else decimal strings; DATE as `YYYY-MM-DD` and timestamps as ISO strings; NaN and ±Infinity as
 * strings; BLOBs as base64; text cut at {@link MAX_CELL_CHARS}; lists and structs element-wise.
 */
export function jsonSafeValue(value: unknown, type: string): PreviewValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value.toString();
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return cutText(value);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    const iso = value.toISOString();
    return type === 'DATE' ? iso.slice(0, 10) : iso;
  }
  if (value instanceof Uint8Array) {
    const bytes = Math.floor((MAX_CELL_CHARS * 3) / 4);
    const encoded = Buffer.from(value.subarray(0, bytes)).toString('base64');
    return value.length > bytes ? `${encoded}…` : encoded;
  }
  if (Array.isArray(value)) return value.map((item) => jsonSafeValue(item, ''));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonSafeValue(item, '')]));
  }
  return null; // functions and symbols: never in a DuckDB result
}

function cutText(text: string): string {
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS)}…` : text;
}

/** At most `limit` bytes from the start of a stream, which is then closed. */
async function readHead(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      const bytes = Buffer.from(chunk as Uint8Array);
      chunks.push(bytes);
      length += bytes.length;
      if (length >= limit) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

/**
 * Copies at most `limit` bytes of a stream into `file` (cut after the last newline when `lines` and
 * the stream is longer, so no partial row is read) and closes the stream; returns the bytes read.
 */
async function copyHead(stream: Readable, file: string, limit: number, lines: boolean): Promise<number> {
  const out = createWriteStream(file);
  let read = 0;
  try {
    for await (const chunk of stream) {
      let bytes = Buffer.from(chunk as Uint8Array);
      const room = limit - read;
      const last = bytes.length >= room;
      if (last) {
        bytes = bytes.subarray(0, room);
        if (lines) bytes = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
      }
      read += last ? room : bytes.length;
      if (!out.write(bytes)) await once(out, 'drain');
      if (last) break;
    }
  } finally {
    stream.destroy();
    out.end();
    await finished(out);
  }
  return read;
}

/**
 * `bytes` as UTF-8 text, or undefined when they are not text (a NUL byte, or invalid UTF-8 other
 * than a character cut at the end of a truncated read).
 */
function decodeText(bytes: Buffer, truncated: boolean): string | undefined {
  if (bytes.includes(0)) return undefined;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let drop = 0; drop <= (truncated ? 3 : 0) && drop < bytes.length + 1; drop++) {
    try {
      return decoder.decode(bytes.subarray(0, bytes.length - drop));
    } catch {
      // Try again without a trailing partial character.
    }
  }
  return undefined;
}

function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

let duckDb: Promise<DuckDBInstance> | undefined;

/** The previews' DuckDB instance: bounded memory, one thread, no extension downloads. */
function previewDuckDb(): Promise<DuckDBInstance> {
  duckDb ??= DuckDBInstance.create(':memory:', {
    memory_limit: PREVIEW_MEMORY_LIMIT,
    threads: '1',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    temp_directory: join(tmpdir(), 'lakeloop-duckdb'),
  }).catch((error: unknown) => {
    duckDb = undefined;
    throw error;
  });
  return duckDb;
}
