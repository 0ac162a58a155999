/**
 * Copies a DuckDB query result into columns cheap for ML: a typed array per numeric column, a
 * `string[]` per text column, read chunk by chunk over views of DuckDB's vector memory (no row
 * objects). `@duckdb/node-api`'s `getItem` tests validity with BigInt arithmetic (several times
 * slower on millions of values), so fixed-width columns are read through the very copy of
 * `@duckdb/node-bindings` node-api loads; without it, `getItem` is the fallback.
 *
 * @example
 * ```ts
 * const result = await connection.run('SELECT 1.5::DOUBLE AS x, 2::INTEGER AS n');
 * const { columns } = copyResultColumns(result); // { x: Float64Array [1.5], n: Int32Array [2] }
 * ```
 */
import { createRequire } from 'node:module';
import {
  DuckDBTypeId,
  JSDuckDBValueConverter,
  type DuckDBDataChunk,
  type DuckDBMaterializedResult,
} from '@duckdb/node-api';

/** A column of a {@link TableColumns}: typed for numbers, `string[]` for text, JS values otherwise. */
export type TableColumn =
  | Float64Array
  | Float32Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array
  | (string | null)[]
  | unknown[];

/** Columns copied out of a DuckDB result. */
export interface TableColumns {
  readonly rowCount: number;
  /** Column names in result order. */
  readonly columnNames: readonly string[];
  readonly columns: Record<string, TableColumn>;
  /**
   * Per column with NULLs, 1 where the row's value is present and 0 where it is NULL. Absent for a
   * column without NULLs. (Float columns also hold NaN at NULLs; integer columns hold 0.)
   */
  readonly validity: Record<string, Uint8Array>;
}

type TypedArrayConstructor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Int16ArrayConstructor
  | Int8ArrayConstructor
  | Uint32ArrayConstructor
  | Uint16ArrayConstructor
  | Uint8ArrayConstructor;

/** DuckDB types copied as typed arrays (after {@link numericProjection} cast the rest). */
const TYPED: Partial<Record<DuckDBTypeId, TypedArrayConstructor>> = {
  [DuckDBTypeId.DOUBLE]: Float64Array,
  [DuckDBTypeId.FLOAT]: Float32Array,
  [DuckDBTypeId.INTEGER]: Int32Array,
  [DuckDBTypeId.SMALLINT]: Int16Array,
  [DuckDBTypeId.TINYINT]: Int8Array,
  [DuckDBTypeId.UINTEGER]: Uint32Array,
  [DuckDBTypeId.USMALLINT]: Uint16Array,
  [DuckDBTypeId.UTINYINT]: Uint8Array,
  [DuckDBTypeId.BOOLEAN]: Uint8Array,
};

/**
 * A SQL expression reading `column` (of DuckDB type `type`, as DESCRIBE prints it) so that it
 * arrives as a type {@link copyResultColumns} copies into a typed array: 64-bit and wider integers
 * and decimals as DOUBLE (exact up to 2^53), dates and timestamps as DOUBLE epoch milliseconds.
 * Other types are read as they are.
 */
export function numericProjection(column: string, type: string): string {
  const quoted = quoteIdentifier(column);
  if (/^(BIGINT|UBIGINT|HUGEINT|UHUGEINT|DECIMAL)/.test(type))
    return `CAST(${quoted} AS DOUBLE) AS ${quoted}`;
  if (type === 'DATE') return `CAST(epoch_ms(CAST(${quoted} AS TIMESTAMP)) AS DOUBLE) AS ${quoted}`;
  if (type.startsWith('TIMESTAMP')) return `CAST(epoch_ms(${quoted}) AS DOUBLE) AS ${quoted}`;
  return quoted;
}

/** `"name"` with inner quotes doubled: a DuckDB identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Copies every column of a materialized DuckDB result into typed arrays (numbers) or arrays
 * (text, other values); the result can be released afterwards. For your own SQL over the files of
 * `resolveDataFiles`.
 *
 * @example
 * ```ts
 * const table = copyResultColumns(await connection.run('SELECT CAST(delay AS DOUBLE) AS delay, origin FROM f'));
 * table.columns.delay; // Float64Array (NaN at NULL); table.columns.origin: string[]
 * ```
 */
export function copyResultColumns(result: DuckDBMaterializedResult): TableColumns {
  const rowCount = result.rowCount;
  const columnNames = result.columnNames();
  const columns: Record<string, TableColumn> = {};
  const validity: Record<string, Uint8Array> = {};
  // Fetched once: each getChunk crosses into the native module and costs ~0.1 ms.
  const chunks = Array.from({ length: result.chunkCount }, (_, index) => result.getChunk(index));
  columnNames.forEach((name, index) => {
    const typeId = result.columnTypeId(index);
    const Typed = TYPED[typeId];
    const copied =
      Typed !== undefined
        ? copyTyped(chunks, index, rowCount, Typed)
        : copyValues(chunks, index, typeId === DuckDBTypeId.VARCHAR, rowCount);
    columns[name] = copied.values;
    if (copied.validity !== undefined) validity[name] = copied.validity;
  });
  return { rowCount, columnNames, columns, validity };
}

interface CopiedColumn {
  values: TableColumn;
  validity: Uint8Array | undefined;
}

function copyTyped(
  chunks: readonly DuckDBDataChunk[],
  column: number,
  rowCount: number,
  Typed: TypedArrayConstructor,
): CopiedColumn {
  const out = new Typed(rowCount);
  const isFloat = out instanceof Float64Array || out instanceof Float32Array;
  let validity: Uint8Array | undefined;
  let offset = 0;
  for (const chunk of chunks) {
    const rows = chunk.rowCount;
    const raw = rawVector(chunk, column, rows, out.BYTES_PER_ELEMENT);
    if (raw === undefined) {
      const vector = chunk.getColumnVector(column);
      for (let row = 0; row < rows; row++) {
        const value = vector.getItem(row);
        if (value === null) {
          validity ??= new Uint8Array(rowCount).fill(1);
          validity[offset + row] = 0;
          if (isFloat) out[offset + row] = Number.NaN;
        } else {
          out[offset + row] = Number(value);
        }
      }
    } else {
      // DuckDB's buffer is freed with the result and may be unaligned for a view: copy it.
      const bytes = raw.data.byteOffset % out.BYTES_PER_ELEMENT === 0 ? raw.data : raw.data.slice();
      out.set(new Typed(bytes.buffer as ArrayBuffer, bytes.byteOffset, rows), offset);
      if (raw.mask !== undefined) {
        const mask = raw.mask;
        for (let row = 0; row < rows; row++) {
          if (((mask[row >> 3] ?? 0) & (1 << (row & 7))) === 0) {
            validity ??= new Uint8Array(rowCount).fill(1);
            validity[offset + row] = 0;
            // The bytes under a NULL are undefined: make them NaN (floats) or 0 (integers).
            out[offset + row] = isFloat ? Number.NaN : 0;
          }
        }
      }
    }
    offset += rows;
  }
  return { values: out, validity };
}

function copyValues(
  chunks: readonly DuckDBDataChunk[],
  column: number,
  text: boolean,
  rowCount: number,
): CopiedColumn {
  // Filled by push: `new Array(n)` of a large n is a slow dictionary-mode array in V8.
  const out: unknown[] = [];
  const shortStrings = new Map<number, string>();
  let validity: Uint8Array | undefined;
  let offset = 0;
  for (const chunk of chunks) {
    const rows = chunk.rowCount;
    const values: unknown[] = text
      ? textValues(chunk, column, rows, shortStrings)
      : chunk.convertColumnValues(column, JSDuckDBValueConverter);
    for (let row = 0; row < rows; row++) {
      const value = values[row] ?? null;
      if (value === null) {
        validity ??= new Uint8Array(rowCount).fill(1);
        validity[offset + row] = 0;
      }
      out.push(value);
    }
    offset += rows;
  }
  return { values: out, validity };
}

/**
 * A VARCHAR column of one chunk. DuckDB keeps strings of up to 12 bytes inside the vector's
 * 16-byte entries (length, then the bytes); those that are ASCII (codes, categories: most of what
 * ML reads) are built here without a TextDecoder call each, the rest through node-api.
 */
function textValues(
  chunk: DuckDBDataChunk,
  column: number,
  rows: number,
  shortStrings: Map<number, string>,
): (string | null)[] {
  const raw = rawVector(chunk, column, rows, 16);
  if (raw === undefined) return chunk.getColumnVector(column).toArray() as (string | null)[];
  const { data, mask } = raw;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Array<string | null>(rows);
  let fallback: ReturnType<DuckDBDataChunk['getColumnVector']> | undefined;
  for (let row = 0; row < rows; row++) {
    if (mask !== undefined && ((mask[row >> 3] ?? 0) & (1 << (row & 7))) === 0) {
      out[row] = null;
      continue;
    }
    const entry = row * 16;
    const length = view.getUint32(entry, true);
    // Strings of up to 4 bytes (airport codes, flags) are interned by their bytes: one string each.
    const key = length <= 4 ? length * 0x1_0000_0000 + view.getUint32(entry + 4, true) : -1;
    let value: string | undefined = key < 0 ? undefined : shortStrings.get(key);
    if (value !== undefined) {
      out[row] = value;
      continue;
    }
    value = '';
    if (length <= 12) {
      for (let index = 0; index < length; index++) {
        const byte = data[entry + 4 + index] ?? 0;
        if (byte >= 0x80) {
          value = undefined;
          break;
        }
        value += String.fromCharCode(byte);
      }
    } else value = undefined;
    if (value === undefined) {
      fallback ??= chunk.getColumnVector(column);
      value = fallback.getItem(row) as string;
    }
    if (key >= 0 && shortStrings.size < 65_536) shortStrings.set(key, value);
    out[row] = value;
  }
  return out;
}

interface RawBindings {
  data_chunk_get_vector(chunk: unknown, columnIndex: number): unknown;
  vector_get_data(vector: unknown, byteCount: number): Uint8Array;
  vector_get_validity(vector: unknown, byteCount: number): Uint8Array | null | undefined;
}

let bindings: RawBindings | null | undefined;

/** The bindings node-api uses, or null when they cannot be loaded (then `getItem` is used). */
function rawBindings(): RawBindings | null {
  if (bindings !== undefined) return bindings;
  try {
    const nodeApiPath = createRequire(import.meta.url).resolve('@duckdb/node-api');
    const loaded = createRequire(nodeApiPath)('@duckdb/node-bindings') as Partial<RawBindings>;
    bindings =
      typeof loaded.data_chunk_get_vector === 'function' &&
      typeof loaded.vector_get_data === 'function' &&
      typeof loaded.vector_get_validity === 'function'
        ? (loaded as RawBindings)
        : null;
  } catch {
    bindings = null;
  }
  return bindings;
}

/** The bytes and validity mask of one chunk's fixed-width column, or undefined without bindings. */
function rawVector(
  chunk: DuckDBDataChunk,
  column: number,
  rows: number,
  width: number,
): { data: Uint8Array; mask: Uint8Array | undefined } | undefined {
  const raw = rawBindings();
  if (raw === null) return undefined;
  const vector = raw.data_chunk_get_vector(chunk.chunk, column);
  const data = raw.vector_get_data(vector, rows * width);
  const mask = raw.vector_get_validity(vector, Math.ceil(rows / 64) * 8);
  return { data, mask: mask === null || mask === undefined || mask.length === 0 ? undefined : mask };
}
