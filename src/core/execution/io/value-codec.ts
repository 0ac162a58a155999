/**
 * How the filesystem IO manager encodes values, chosen by the value's shape:
 *
 * - `bytes`: a `Uint8Array` (or `Buffer`) is stored as is (`value.bin`);
 * - `table`: any other typed array, or a plain object whose values are all typed arrays
 *   (columns, not Buffers), is stored in a compact binary format (`value.lltab`, below);
 * - `json`: plain JSON data that JSON round-trips exactly (`value.json`);
 * - `tree`: any other data (typed arrays nested in objects, Dates, Maps, Sets, bigints,
 *   `undefined`, NaN, ±Infinity, -0, sparse arrays...) in the `lltree` container (below).
 *
 * Anything else (functions, symbols, class instances, cycles) is refused when it is stored, with
 * the path inside the value, rather than stored lossily: a value must read back as what was
 * written, or re-execution and the multi-process executor compute on something else.
 *
 * The `lltab` format: the 8 bytes `LLTAB1\n\0`, a little-endian uint32 header length, the JSON
 * header `{ kind: 'array' | 'columns', columns: [{ name, type, length }] }` padded to 8 bytes,
 * then each column's raw little-endian bytes, each padded to 8 bytes. Reading maps the columns
 * without parsing (one copy at most).
 *
 * The `lltree` format: the same layout with the magic `LLTREE1\n` and the JSON skeleton
 * `{ sections: [byteLength, ...], value }` as header, followed by the sections. In the skeleton,
 * strings, booleans, null, finite numbers, arrays and plain objects are themselves; everything
 * else is an object with a `$` key: `{ $: 'binary', type, section }` (typed arrays, Buffer,
 * ArrayBuffer, DataView: the bytes are section `section`), `{ $: 'date', v: ms | null }`,
 * `{ $: 'map', v: [[key, value], ...] }`, `{ $: 'set', v: [...] }`, `{ $: 'bigint', v: '12' }`,
 * `{ $: 'number', v: 'NaN' | 'Infinity' | '-Infinity' | '-0' }`, `{ $: 'undefined' }`,
 * `{ $: 'hole' }` (a sparse array's missing item) and `{ $: 'object', v, proto? }` (a plain object
 * with a `$` key of its own, or with a null prototype when `proto` is null).
 *
 * @example
 * ```ts
 * const { format, bytes } = encodeValue({ delay: new Float32Array([1, 2]) }); // format 'table'
 * decodeValue(format, bytes); // { delay: Float32Array [1, 2] }
 * encodeValue({ train: { features: new Float32Array(4) }, at: new Date(0) }).format; // 'tree'
 * ```
 */
import { LakeloopError } from '../../../errors.js';

/** The encodings of the filesystem IO manager. */
export type ValueFormat = 'json' | 'bytes' | 'table' | 'tree';

/** File extension of each format. */
export const FORMAT_EXTENSIONS: Readonly<Record<ValueFormat, string>> = {
  json: '.json',
  bytes: '.bin',
  table: '.lltab',
  tree: '.lltree',
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

interface TypedArrayConstructor {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly prototype: TypedArray;
}

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

const TABLE_MAGIC = Buffer.from('LLTAB1\n\0', 'latin1');
const TREE_MAGIC = Buffer.from('LLTREE1\n', 'latin1');

interface ColumnHeader {
  name: string;
  type: string;
  length: number;
}

interface TableHeader {
  kind: 'array' | 'columns';
  columns: ColumnHeader[];
}

interface TreeHeader {
  sections: number[];
  value: unknown;
}

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

// The built-in class (a subclass such as Buffer reports its base), not `constructor.name`.
function typeName(array: TypedArray): string {
  return array[Symbol.toStringTag];
}

const pad8 = (n: number): number => (8 - (n % 8)) % 8;

/** Sets an own property, also for the key `__proto__` (which `=` would take as the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

// Deeper values are not JSON in practice; the bound keeps a cycle from recursing without end.
const JSON_MAX_DEPTH = 200;

/** True when `JSON.parse(JSON.stringify(value))` is exactly `value` (same types, keys, numbers). */
function isExactJson(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      break;
    case 'bigint':
    case 'undefined':
    case 'function':
    case 'symbol':
      return false;
  }
  if (value === null) return true;
  if (depth >= JSON_MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || !isExactJson(value[i], depth + 1)) return false;
    }
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  for (const key of Object.keys(value)) {
    if (!isExactJson((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/** A typed array of a built-in class (not Buffer, not a subclass): what an lltab column reads back as. */
function isColumn(value: unknown): value is TypedArray {
  return isTypedArray(value) && Object.getPrototypeOf(value) === TYPED_ARRAYS[typeName(value)]?.prototype;
}

/** The format a value is stored in (`tree` also for values that are then refused). */
export function formatOf(value: unknown): ValueFormat {
  if (value instanceof Uint8Array) return 'bytes';
  if (isColumn(value)) return 'table';
  // Only where lltab reads back the same value: other objects of arrays go to lltree.
  if (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.getOwnPropertySymbols(value).length === 0
  ) {
    const values = Object.values(value);
    if (values.length > 0 && values.every(isColumn)) return 'table';
  }
  return isExactJson(value) ? 'json' : 'tree';
}

/** Magic, uint32 header length, header, then the sections, each padded to 8 bytes. */
function container(magic: Buffer, header: unknown, sections: readonly Uint8Array[]): Uint8Array {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const parts: Uint8Array[] = [magic];
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  parts.push(length, headerBytes, Buffer.alloc(pad8(magic.length + 4 + headerBytes.length)));
  for (const section of sections) parts.push(section, Buffer.alloc(pad8(section.byteLength)));
  return Buffer.concat(parts);
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function encodeTable(columns: readonly [string, TypedArray][], kind: TableHeader['kind']): Uint8Array {
  const header: TableHeader = {
    kind,
    columns: columns.map(([name, array]) => ({ name, type: typeName(array), length: array.length })),
  };
  return container(
    TABLE_MAGIC,
    header,
    columns.map(([, array]) => bytesOf(array)),
  );
}

const SUPPORTED =
  'stored values must be data (plain objects, arrays, strings, numbers, bigints, booleans, null, ' +
  'undefined, Dates, Maps, Sets, typed arrays, ArrayBuffers, DataViews)';
const WHAT_TO_DO =
  'convert it to such data before returning it (a model: its toJSON()), or give the asset its own ' +
  'IO manager with defineAsset({ io }).';

function refuse(path: string, problem: string): LakeloopError {
  return new LakeloopError('INVALID_ARGUMENT', `${path} ${problem}; ${SUPPORTED}: ${WHAT_TO_DO}`, {
    details: { path },
  });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function propertyPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A Map key as it reads in a path: `"a"`, `3`, `2n`, or `#i` (the i-th key) for objects. */
function mapKeyText(key: unknown, index: number): string {
  switch (typeof key) {
    case 'string':
      return JSON.stringify(key);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(key);
    case 'bigint':
      return `${key}n`;
    case 'object':
      return key === null ? 'null' : `#${index}`;
    case 'function':
    case 'symbol':
      return `#${index}`;
  }
}

function classNameOf(value: object): string {
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  const name = proto?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'anonymous class';
}

/** Turns a value into the JSON skeleton of an `lltree` file, collecting its binary sections. */
class TreeEncoder {
  readonly sections: Uint8Array[] = [];
  // The objects on the path from the root to the current one, with their paths: a cycle is an
  // object inside itself. A shared (non-cyclic) object is fine and is stored once per reference.
  readonly #ancestors = new Map<object, string>();

  encode(value: unknown, path: string): unknown {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (Number.isFinite(value) && !Object.is(value, -0)) return value;
        return { $: 'number', v: Object.is(value, -0) ? '-0' : String(value) };
      case 'bigint':
        return { $: 'bigint', v: value.toString() };
      case 'undefined':
        return { $: 'undefined' };
      case 'function':
        throw refuse(path, 'is a function');
      case 'symbol':
        throw refuse(path, 'is a symbol');
      case 'object':
        break;
    }
    if (value === null) return null;
    const outer = this.#ancestors.get(value);
    if (outer !== undefined) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `${path} refers back to ${outer} (a cycle); stored values must be trees (an object may be ` +
          'referenced twice, but not from inside itself): break the cycle, e.g. store ids instead of parent links, ' +
          'or give the asset its own IO manager with defineAsset({ io }).',
        { details: { path } },
      );
    }
    this.#ancestors.set(value, path);
    try {
      return this.#encodeObject(value, path);
    } finally {
      this.#ancestors.delete(value);
    }
  }

  #encodeObject(value: object, path: string): unknown {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto === Array.prototype) {
      const array = value as unknown[];
      const out: unknown[] = [];
      for (let i = 0; i < array.length; i++) {
        out.push(i in array ? this.encode(array[i], `${path}[${i}]`) : { $: 'hole' });
      }
      return out;
    }
    if (proto === Object.prototype || proto === null) {
      const symbols = Object.getOwnPropertySymbols(value);
      if (symbols.length > 0) throw refuse(path, `has a symbol key (${String(symbols[0])})`);
      // A null-prototype skeleton object takes `__proto__` as an ordinary key.
      const out = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(value)) {
        out[key] = this.encode((value as Record<string, unknown>)[key], propertyPath(path, key));
      }
      if (proto === null) return { $: 'object', proto: null, v: out };
      return Object.hasOwn(out, '$') ? { $: 'object', v: out } : out;
    }
    if (proto === Date.prototype) {
      const ms = (value as Date).getTime();
      return { $: 'date', v: Number.isNaN(ms) ? null : ms };
    }
    if (proto === Map.prototype) {
      let i = 0;
      const entries: unknown[] = [];
      for (const [k, v] of value as Map<unknown, unknown>) {
        entries.push([
          this.encode(k, `${path}.keys()[${i}]`),
          this.encode(v, `${path}.get(${mapKeyText(k, i)})`),
        ]);
        i++;
      }
      return { $: 'map', v: entries };
    }
    if (proto === Set.prototype) {
      let i = 0;
      const items: unknown[] = [];
      for (const item of value as Set<unknown>) items.push(this.encode(item, `${path}.values()[${i++}]`));
      return { $: 'set', v: items };
    }
    if (Buffer.isBuffer(value) && proto === Buffer.prototype) return this.#section('Buffer', value);
    if (isColumn(value)) return this.#section(typeName(value), value);
    if (proto === DataView.prototype) return this.#section('DataView', value as DataView);
    if (proto === ArrayBuffer.prototype)
      return this.#section('ArrayBuffer', new Uint8Array(value as ArrayBuffer));
    if (value instanceof Promise) throw refuse(path, 'is a Promise (await it before returning the value)');
    throw refuse(path, `is a ${classNameOf(value)} instance`);
  }

  #section(type: string, view: ArrayBufferView): unknown {
    this.sections.push(bytesOf(view));
    return { $: 'binary', type, section: this.sections.length - 1 };
  }
}

/**
 * Encodes a value; throws INVALID_ARGUMENT, naming the path inside the value (`value.model.predict
 * is a function; ...`), for what cannot be stored exactly.
 */
export function encodeValue(value: unknown): { format: ValueFormat; bytes: Uint8Array } {
  const format = formatOf(value);
  switch (format) {
    case 'bytes':
      return { format, bytes: value as Uint8Array };
    case 'table':
      return isTypedArray(value)
        ? { format, bytes: encodeTable([['value', value]], 'array') }
        : { format, bytes: encodeTable(Object.entries(value as Record<string, TypedArray>), 'columns') };
    case 'json':
      return { format, bytes: Buffer.from(JSON.stringify(value), 'utf8') };
    case 'tree': {
      const encoder = new TreeEncoder();
      const skeleton = encoder.encode(value, 'value');
      const header: TreeHeader = {
        sections: encoder.sections.map((s) => s.byteLength),
        value: skeleton,
      };
      return { format, bytes: container(TREE_MAGIC, header, encoder.sections) };
    }
  }
}

function damaged(what: string): LakeloopError {
  return new LakeloopError(
    'INVALID_ARGUMENT',
    `The stored value is damaged (${what}); materialize the asset again.`,
  );
}

/** A container's header and its sections' data, offset after the header (8-byte aligned). */
function openContainer(
  bytes: Uint8Array,
  magic: Buffer,
  name: string,
): { header: unknown; data: Buffer; offset: number } {
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (source.length < 12 || !source.subarray(0, 8).equals(magic)) {
    throw damaged(`not an ${name} file: bad magic bytes`);
  }
  const headerLength = source.readUInt32LE(8);
  if (12 + headerLength > source.length) throw damaged(`${name} header past the end of the file`);
  const header = JSON.parse(source.subarray(12, 12 + headerLength).toString('utf8')) as unknown;
  // Typed arrays need aligned offsets: copy once when the file's buffer is not 8-byte aligned.
  const data = source.byteOffset % 8 === 0 ? source : Buffer.from(new Uint8Array(source));
  return { header, data, offset: 12 + headerLength + pad8(12 + headerLength) };
}

function typedArrayAt(data: Buffer, type: string, offset: number, length: number): TypedArray {
  const Ctor = TYPED_ARRAYS[type];
  if (Ctor === undefined) throw damaged(`unknown array type ${type}`);
  if (offset + length * Ctor.BYTES_PER_ELEMENT > data.length)
    throw damaged('section past the end of the file');
  return new Ctor(data.buffer as ArrayBuffer, data.byteOffset + offset, length);
}

function decodeTable(bytes: Uint8Array): unknown {
  const opened = openContainer(bytes, TABLE_MAGIC, 'lltab');
  const header = opened.header as TableHeader;
  let offset = opened.offset;
  const out: Record<string, TypedArray> = {};
  for (const column of header.columns) {
    const array = typedArrayAt(opened.data, column.type, offset, column.length);
    setOwn(out, column.name, array);
    offset += array.byteLength + pad8(array.byteLength);
  }
  return header.kind === 'array' ? out['value'] : out;
}

/** Rebuilds a value from an `lltree` skeleton; binary values are views into the file's bytes. */
class TreeDecoder {
  readonly #data: Buffer;
  readonly #sections: { offset: number; byteLength: number }[] = [];

  constructor(data: Buffer, offset: number, lengths: readonly number[]) {
    this.#data = data;
    for (const byteLength of lengths) {
      this.#sections.push({ offset, byteLength });
      offset += byteLength + pad8(byteLength);
    }
    if (offset > data.length) throw damaged('section past the end of the file');
  }

  decode(node: unknown): unknown {
    if (typeof node !== 'object' || node === null) return node;
    if (Array.isArray(node)) {
      if (!node.some(isHole)) return node.map((item) => this.decode(item));
      const out: unknown[] = new Array<unknown>(node.length);
      for (let i = 0; i < node.length; i++) if (!isHole(node[i])) out[i] = this.decode(node[i]);
      return out;
    }
    const tagged = node as Record<string, unknown>;
    if (!Object.hasOwn(tagged, '$')) return this.#decodeObject(tagged, {});
    switch (tagged['$']) {
      case 'undefined':
        return undefined;
      case 'number':
        return tagged['v'] === '-0' ? -0 : Number(tagged['v']);
      case 'bigint':
        return BigInt(tagged['v'] as string);
      case 'date':
        return new Date((tagged['v'] as number | null) ?? Number.NaN);
      case 'map':
        return new Map(
          (tagged['v'] as [unknown, unknown][]).map(([k, v]) => [this.decode(k), this.decode(v)]),
        );
      case 'set':
        return new Set((tagged['v'] as unknown[]).map((item) => this.decode(item)));
      case 'object':
        return this.#decodeObject(
          tagged['v'] as Record<string, unknown>,
          tagged['proto'] === null ? (Object.create(null) as Record<string, unknown>) : {},
        );
      case 'binary':
        return this.#binary(tagged['type'] as string, tagged['section'] as number);
      default:
        throw damaged(`unknown node ${JSON.stringify(tagged['$'])}; it may come from a newer lakeloop`);
    }
  }

  #decodeObject(node: Record<string, unknown>, out: Record<string, unknown>): unknown {
    for (const key of Object.keys(node)) setOwn(out, key, this.decode(node[key]));
    return out;
  }

  #binary(type: string, index: number): unknown {
    const section = this.#sections[index];
    if (section === undefined) throw damaged(`missing section ${index}`);
    const { offset, byteLength } = section;
    const data = this.#data;
    switch (type) {
      case 'Buffer':
        return Buffer.from(data.buffer, data.byteOffset + offset, byteLength);
      case 'DataView':
        return new DataView(data.buffer, data.byteOffset + offset, byteLength);
      case 'ArrayBuffer': // an ArrayBuffer cannot be a view: copy
        return data.buffer.slice(data.byteOffset + offset, data.byteOffset + offset + byteLength);
      default: {
        const size = TYPED_ARRAYS[type]?.BYTES_PER_ELEMENT ?? 1;
        if (byteLength % size !== 0) throw damaged(`section ${index} is not a whole ${type}`);
        return typedArrayAt(data, type, offset, byteLength / size);
      }
    }
  }
}

function isHole(node: unknown): boolean {
  return typeof node === 'object' && node !== null && (node as { $?: unknown }).$ === 'hole';
}

function decodeTree(bytes: Uint8Array): unknown {
  const opened = openContainer(bytes, TREE_MAGIC, 'lltree');
  const header = opened.header as TreeHeader;
  return new TreeDecoder(opened.data, opened.offset, header.sections).decode(header.value);
}

/** Decodes bytes stored in `format`. */
export function decodeValue(format: ValueFormat, bytes: Uint8Array): unknown {
  switch (format) {
    case 'bytes':
      return bytes;
    case 'table':
      return decodeTable(bytes);
    case 'tree':
      return decodeTree(bytes);
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

/**
 * Encodes an asset's value for an IO manager (`store` names it in the message); INVALID_ARGUMENT
 * naming the asset and what inside the value cannot be stored.
 */
export function encodeAssetValue(
  assetKey: string,
  value: unknown,
  store: string,
): { format: ValueFormat; bytes: Uint8Array } {
  try {
    return encodeValue(value);
  } catch (cause) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Asset "${assetKey}" returned a value the ${store} cannot store: ${(cause as Error).message}`,
      { cause, details: { assetKey } },
    );
  }
}
