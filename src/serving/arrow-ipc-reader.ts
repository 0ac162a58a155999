/**
 * A minimal reader of the Arrow IPC streaming format (`application/vnd.apache.arrow.stream`), for
 * bulk prediction requests: a schema message, then record batches of numeric columns (float16 is
 * refused; float32/64, signed and unsigned ints of 8–64 bits; nulls = missing), uncompressed, no
 * dictionaries. Columns are matched to the signature by name, in any order. Why not the
 * `apache-arrow` package: 21.2 unpacks to 5.8 MB (plus flatbuffers, tslib, json-with-bigint) and
 * has `@types/node` 25 as a runtime dependency (this project pins 20), for what is ~250 lines
 * here — flatbuffer tables read by offset, then typed-array views. Tested against pyarrow's writer.
 *
 * @example
 * ```ts
 * const { matrix, rows } = decodeArrowRequest(bytes, model); // bytes: an Arrow IPC stream
 * ```
 */
import { LakeloopError } from '../errors.js';
import { MAX_ROWS } from './request-body.js';
import type { DecodedRequest, SignatureView } from './request-body.js';

/** Message header types (Arrow's `MessageHeader` union). */
const SCHEMA = 1;
const DICTIONARY_BATCH = 2;
const RECORD_BATCH = 3;
/** Field type ids (Arrow's `Type` union). */
const TYPE_INT = 2;
const TYPE_FLOATING_POINT = 3;

interface ColumnType {
  name: string;
  kind: 'int' | 'float';
  bits: number;
  signed: boolean;
}

function invalid(message: string, details: Record<string, unknown> = {}): LakeloopError {
  return new LakeloopError('INVALID_ARGUMENT', `Arrow IPC body: ${message}`, { details });
}

/** Read access to a flatbuffer (little-endian). */
class FlatBuffer {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  root(): number {
    return this.#u32(0);
  }
  /** The absolute position of field `index` of the table at `table`, or undefined when absent. */
  field(table: number, index: number): number | undefined {
    const vtable = table - this.view.getInt32(table, true);
    const size = this.view.getUint16(vtable, true);
    const slot = 4 + 2 * index;
    if (slot >= size) return undefined;
    const offset = this.view.getUint16(vtable + slot, true);
    return offset === 0 ? undefined : table + offset;
  }
  /** The table (or vector, string) an offset field points to. */
  indirect(position: number): number {
    return position + this.#u32(position);
  }
  u8(table: number, index: number, fallback = 0): number {
    const at = this.field(table, index);
    return at === undefined ? fallback : this.view.getUint8(at);
  }
  i16(table: number, index: number, fallback = 0): number {
    const at = this.field(table, index);
    return at === undefined ? fallback : this.view.getInt16(at, true);
  }
  i32(table: number, index: number, fallback = 0): number {
    const at = this.field(table, index);
    return at === undefined ? fallback : this.view.getInt32(at, true);
  }
  i64(table: number, index: number): number {
    const at = this.field(table, index);
    return at === undefined ? 0 : Number(this.view.getBigInt64(at, true));
  }
  /** A vector field: its element count and the position of its first element. */
  vector(table: number, index: number): { length: number; start: number } {
    const at = this.field(table, index);
    if (at === undefined) return { length: 0, start: 0 };
    const vector = this.indirect(at);
    return { length: this.#u32(vector), start: vector + 4 };
  }
  string(table: number, index: number): string {
    const at = this.field(table, index);
    if (at === undefined) return '';
    const start = this.indirect(at);
    return new TextDecoder().decode(this.bytes.subarray(start + 4, start + 4 + this.#u32(start)));
  }
  #u32(position: number): number {
    return this.view.getUint32(position, true);
  }
}

/** One message of the stream: its flatbuffer metadata and its body. */
interface Message {
  meta: FlatBuffer;
  table: number;
  headerType: number;
  header: number;
  body: Uint8Array;
}

function* messages(bytes: Uint8Array): Generator<Message> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 4 <= bytes.byteLength) {
    let length = view.getInt32(at, true);
    at += 4;
    if (length === -1) {
      // The continuation marker (IPC format >= 0.15) precedes the length.
      if (at + 4 > bytes.byteLength) break;
      length = view.getInt32(at, true);
      at += 4;
    }
    if (length === 0) return; // end of stream
    if (length < 0 || at + length > bytes.byteLength) throw invalid('truncated message metadata.');
    const meta = new FlatBuffer(bytes.subarray(at, at + length));
    at += length;
    const table = meta.root();
    const headerAt = meta.field(table, 2);
    const bodyLength = meta.i64(table, 3);
    if (at + bodyLength > bytes.byteLength) throw invalid('truncated message body.');
    yield {
      meta,
      table,
      headerType: meta.u8(table, 1),
      header: headerAt === undefined ? 0 : meta.indirect(headerAt),
      body: bytes.subarray(at, at + bodyLength),
    };
    at += bodyLength;
  }
}

function schemaColumns(message: Message): ColumnType[] {
  const { meta, header } = message;
  const fields = meta.vector(header, 1);
  const columns: ColumnType[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = meta.indirect(fields.start + 4 * i);
    const name = meta.string(field, 0);
    const typeType = meta.u8(field, 2);
    const typeAt = meta.field(field, 3);
    const type = typeAt === undefined ? 0 : meta.indirect(typeAt);
    if (meta.vector(field, 5).length > 0 || meta.field(field, 4) !== undefined) {
      throw invalid(`column "${name}" is nested or dictionary-encoded; send plain numeric columns.`, {
        field: name,
      });
    }
    if (typeType === TYPE_INT) {
      columns.push({ name, kind: 'int', bits: meta.i32(type, 0), signed: meta.u8(type, 1) === 1 });
    } else if (typeType === TYPE_FLOATING_POINT) {
      const precision = meta.i16(type, 0);
      if (precision === 0)
        throw invalid(`column "${name}" is float16; send float32 or float64.`, { field: name });
      columns.push({ name, kind: 'float', bits: precision === 1 ? 32 : 64, signed: true });
    } else {
      throw invalid(`column "${name}" is not numeric (Arrow type id ${typeType}); send numbers.`, {
        field: name,
      });
    }
  }
  return columns;
}

/** Decodes an Arrow IPC stream into the model's matrix (see the module comment). */
export function decodeArrowRequest(bytes: Uint8Array, model: SignatureView): DecodedRequest {
  let columns: ColumnType[] | undefined;
  let order: number[] = [];
  const batches: { message: Message; rows: number }[] = [];
  let total = 0;
  try {
    for (const message of messages(bytes)) {
      if (message.headerType === SCHEMA) {
        columns = schemaColumns(message);
        order = columns.map((column) => {
          const j = model.featureIndex.get(column.name);
          if (j === undefined) {
            throw invalid(
              `unknown field "${column.name}"; the model takes ${model.featureNames.join(', ')}.`,
              {
                field: column.name,
              },
            );
          }
          return j;
        });
        const names = new Set(columns.map((c) => c.name));
        const missing = model.featureNames.find((name) => !names.has(name));
        if (missing !== undefined) throw invalid(`missing field "${missing}".`, { field: missing });
      } else if (message.headerType === RECORD_BATCH) {
        if (columns === undefined) throw invalid('a record batch comes before the schema.');
        if (message.meta.field(message.header, 3) !== undefined)
          throw invalid('compressed record batches are not supported.');
        const rows = message.meta.i64(message.header, 0);
        total += rows;
        if (total > MAX_ROWS) throw invalid(`more than ${MAX_ROWS} rows; split the batch.`, { rows: total });
        batches.push({ message, rows });
      } else if (message.headerType === DICTIONARY_BATCH) {
        throw invalid('dictionary batches are not supported; send plain numeric columns.');
      }
    }
  } catch (error) {
    if (error instanceof LakeloopError) throw error;
    throw invalid(`not a readable Arrow IPC stream (${(error as Error).message}).`);
  }
  if (columns === undefined)
    throw invalid('no schema message; send an Arrow IPC *stream* (not the file format).');
  const width = model.featureNames.length;
  const matrix = new Float32Array(total * width);
  let row0 = 0;
  for (const { message, rows } of batches) {
    const { meta, header, body } = message;
    const buffers = meta.vector(header, 2);
    const buffer = (i: number): Uint8Array => {
      const at = buffers.start + 16 * i;
      const offset = Number(meta.view.getBigInt64(at, true));
      const length = Number(meta.view.getBigInt64(at + 8, true));
      if (offset + length > body.byteLength) throw invalid('a buffer lies outside its message body.');
      return body.subarray(offset, offset + length);
    };
    columns.forEach((column, c) => {
      const validity = buffer(2 * c);
      const values = buffer(2 * c + 1);
      const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
      const j = order[c] ?? 0;
      const size = column.bits / 8;
      if (values.byteLength < rows * size)
        throw invalid(`column "${column.name}" holds fewer values than rows.`);
      for (let r = 0; r < rows; r++) {
        const valid = validity.byteLength === 0 || ((validity[r >> 3] ?? 0) & (1 << (r & 7))) !== 0;
        matrix[(row0 + r) * width + j] = valid ? readNumber(view, r * size, column) : Number.NaN;
      }
    });
    row0 += rows;
  }
  return { matrix, rows: total, single: false };
}

function readNumber(view: DataView, at: number, column: ColumnType): number {
  if (column.kind === 'float')
    return column.bits === 32 ? view.getFloat32(at, true) : view.getFloat64(at, true);
  switch (column.bits) {
    case 8:
      return column.signed ? view.getInt8(at) : view.getUint8(at);
    case 16:
      return column.signed ? view.getInt16(at, true) : view.getUint16(at, true);
    case 32:
      return column.signed ? view.getInt32(at, true) : view.getUint32(at, true);
    default:
      return Number(column.signed ? view.getBigInt64(at, true) : view.getBigUint64(at, true));
  }
}
