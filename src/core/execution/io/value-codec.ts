/**
 * How the filesystem IO manager encodes values, chosen by the value's shape:
 *
 * - `bytes`: a `Uint8Array` (or `Buffer`) is stored as is (`value.bin`);
 * - `table`: any other typed array, or a plain object whose values are all typed arrays
 *   (columns), is stored in a compact binary format (`value.lltab`, below);
 * - `json`: anything else (plain data) as JSON (`value.json`).
 *
 * The `lltab` format: the 8 bytes `LLTAB1\n\0`, a little-endian uint32 header length, the JSON
 * header `{ kind: 'array' | 'columns', columns: [{ name, type, length }] }` padded to 8 bytes,
 * then each column's raw little-endian bytes, each padded to 8 bytes. Reading maps the columns
 * without parsing (one copy at most).
 *
 * @example
 * ```ts
 * const { format, bytes } = encodeValue({ delay: new Float32Array([1, 2]) }); // format 'table'
 * decodeValue(format, bytes); // { delay: Float32Array [1, 2] }
 * ```
 */
import { LakeloopError } from '../../../errors.js';

/** The encodings of the filesystem IO manager. */
export type ValueFormat = 'json' | 'bytes' | 'table';

/** File extension of each format. */
export const FORMAT_EXTENSIONS: Readonly<Record<ValueFormat, string>> = {
  json: '.json',
  bytes: '.bin',
  table: '.lltab',
};

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

type TypedArrayConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => TypedArray;

const TYPED_ARRAYS: Readonly<Record<string, TypedArrayConstructor>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

const MAGIC = Buffer.from('LLTAB1\n\0', 'latin1');

interface ColumnHeader {
  name: string;
  type: string;
  length: number;
}

interface TableHeader {
  kind: 'array' | 'columns';
  columns: ColumnHeader[];
}

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function typeName(array: TypedArray): string {
  const name = array.constructor.name;
  return name === 'Buffer' ? 'Uint8Array' : name;
}

const pad8 = (n: number): number => (8 - (n % 8)) % 8;

/** The format a value is stored in. */
export function formatOf(value: unknown): ValueFormat {
  if (value instanceof Uint8Array) return 'bytes';
  if (isTypedArray(value)) return 'table';
  if (isPlainObject(value)) {
    const values = Object.values(value);
    if (values.length > 0 && values.every(isTypedArray)) return 'table';
  }
  return 'json';
}

function encodeTable(columns: readonly [string, TypedArray][], kind: TableHeader['kind']): Uint8Array {
  const header: TableHeader = {
    kind,
    columns: columns.map(([name, array]) => ({ name, type: typeName(array), length: array.length })),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const parts: Uint8Array[] = [MAGIC];
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  parts.push(length, headerBytes, Buffer.alloc(pad8(MAGIC.length + 4 + headerBytes.length)));
  for (const [, array] of columns) {
    parts.push(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
      Buffer.alloc(pad8(array.byteLength)),
    );
  }
  return Buffer.concat(parts);
}

/** Encodes a value; throws INVALID_ARGUMENT when it cannot be stored as JSON. */
export function encodeValue(value: unknown): { format: ValueFormat; bytes: Uint8Array } {
  const format = formatOf(value);
  switch (format) {
    case 'bytes':
      return { format, bytes: value as Uint8Array };
    case 'table':
      return isTypedArray(value)
        ? { format, bytes: encodeTable([['value', value]], 'array') }
        : { format, bytes: encodeTable(Object.entries(value as Record<string, TypedArray>), 'columns') };
    case 'json': {
      let text: unknown;
      try {
        text = JSON.stringify(value); // undefined for undefined and functions
      } catch (cause) {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          `The value cannot be stored as JSON (${(cause as Error).message}); return plain data, typed arrays, ` +
            'an object of typed-array columns or a Uint8Array, or give the asset its own IO manager.',
          { cause },
        );
      }
      return { format, bytes: Buffer.from(typeof text === 'string' ? text : 'null', 'utf8') };
    }
  }
}

function decodeTable(bytes: Uint8Array): unknown {
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (source.length < 12 || !source.subarray(0, 8).equals(MAGIC)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'Not an lltab file (bad magic bytes); the stored value is damaged.',
    );
  }
  const headerLength = source.readUInt32LE(8);
  const header = JSON.parse(source.subarray(12, 12 + headerLength).toString('utf8')) as TableHeader;
  // Typed arrays need aligned offsets: copy once when the file's buffer is not 8-byte aligned.
  const aligned = source.byteOffset % 8 === 0 ? source : Buffer.from(new Uint8Array(source));
  let offset = 12 + headerLength + pad8(12 + headerLength);
  const out: Record<string, TypedArray> = {};
  for (const column of header.columns) {
    const Ctor = TYPED_ARRAYS[column.type];
    if (Ctor === undefined)
      throw new LakeloopError('INVALID_ARGUMENT', `Unknown column type ${column.type} in lltab file.`);
    const array = new Ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset + offset, column.length);
    out[column.name] = array;
    offset += array.byteLength + pad8(array.byteLength);
  }
  return header.kind === 'array' ? out['value'] : out;
}

/** Decodes bytes stored in `format`. */
export function decodeValue(format: ValueFormat, bytes: Uint8Array): unknown {
  switch (format) {
    case 'bytes':
      return bytes;
    case 'table':
      return decodeTable(bytes);
    case 'json':
      return JSON.parse(
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
      ) as unknown;
  }
}

/** The format of a stored file, from its extension. */
export function formatOfPath(path: string): ValueFormat | undefined {
  for (const [format, ext] of Object.entries(FORMAT_EXTENSIONS))
    if (path.endsWith(ext)) return format as ValueFormat;
  return undefined;
}
