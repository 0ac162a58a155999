import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilesystemIoManager, isLakeloopError } from '../../src/index.js';
import { decodeValue, encodeValue } from '../../src/core/execution/io/value-codec.js';
import type { ValueFormat } from '../../src/index.js';
import type { TabularData } from '../../src/ml/index.js';
import { tempDir } from './core-test-helpers.js';

/** decode(encode(value)), through the bytes. */
function roundTrip(value: unknown): { format: ValueFormat; back: unknown } {
  const { format, bytes } = encodeValue(value);
  return { format, back: decodeValue(format, Buffer.from(bytes)) };
}

/** The error `encodeValue` throws for a value (fails the test when it does not throw). */
function refusal(value: unknown): Error {
  try {
    encodeValue(value);
  } catch (error) {
    expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
    return error as Error;
  }
  throw new Error('encodeValue did not refuse the value');
}

const hex = (view: ArrayBufferView | ArrayBuffer): string =>
  (ArrayBuffer.isView(view)
    ? Buffer.from(view.buffer, view.byteOffset, view.byteLength)
    : Buffer.from(view)
  ).toString('hex');

/**
 * A description that tells apart everything decode(encode(v)) must keep: types and prototypes,
 * key and entry order, -0, NaN, holes, `undefined` properties and typed arrays' exact bytes.
 */
function fingerprint(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? 'n:-0' : `n:${value}`;
    case 'string':
      return `s:${JSON.stringify(value)}`;
    case 'bigint':
      return `b:${value}`;
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'function':
    case 'symbol':
      return `?${typeof value}`;
    case 'object':
      break;
  }
  if (value === null) return 'null';
  const proto = Object.getPrototypeOf(value) as object | null;
  if (Array.isArray(value) && proto === Array.prototype) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(i in value ? fingerprint(value[i]) : '<hole>');
    return `[${items.join(',')}]`;
  }
  if (value instanceof Date) return `date:${value.getTime()}`;
  if (value instanceof Map) {
    return `map{${[...value].map(([k, v]) => `${fingerprint(k)}=>${fingerprint(v)}`).join(',')}}`;
  }
  if (value instanceof Set) return `set{${[...value].map(fingerprint).join(',')}}`;
  if (ArrayBuffer.isView(value)) return `${proto?.constructor.name ?? '?'}(${hex(value)})`;
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${hex(value)})`;
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record).map((k) => `${JSON.stringify(k)}:${fingerprint(record[k])}`);
    return `${proto === null ? 'null-proto' : ''}{${entries.join(',')}}`;
  }
  return `?${proto.constructor.name}`;
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = [
  ...Array.from('abcXYZ019 _-.$"\\/\n\t'),
  '\u0000',
  'é',
  'ß',
  '中',
  '文',
  '😀',
  '👩‍🔬',
  'e\u0301',
  '\u2028',
  '\ud800', // a lone surrogate: JSON escapes it, so it survives
  '\uffff',
];
const KEYS = ['$', '__proto__', '0', '10', '-1', 'constructor', 'toString', '', 'a b', 'features'];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  2 ** 53,
  -(2 ** 53) - 2,
  0.1,
];
const TYPED = [
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
] as const;

/** Random nested values of every kind the codec supports, reproducible from a seed. */
class ValueGenerator {
  readonly #random: () => number;

  constructor(seed: number) {
    this.#random = seeded(seed);
  }

  int(n: number): number {
    return Math.floor(this.#random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  string(): string {
    let out = '';
    for (let i = this.int(10); i > 0; i--) out += this.pick(CHARS);
    return out;
  }

  key(): string {
    return this.int(3) === 0 ? this.pick(KEYS) : this.string();
  }

  number(): number {
    switch (this.int(3)) {
      case 0:
        return this.pick(NUMBERS);
      case 1:
        return this.int(2_000_001) - 1_000_000;
      default:
        return (this.#random() - 0.5) * 10 ** (this.int(40) - 20);
    }
  }

  bigint(): bigint {
    const magnitude = BigInt(this.int(2 ** 31)) << BigInt(this.int(100));
    return this.int(2) === 0 ? magnitude : -magnitude;
  }

  bytes(length: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  /** A typed array with random bits (floats get NaN payloads too), sometimes a view at an offset. */
  binary(): unknown {
    const kind = this.int(TYPED.length + 3);
    const length = this.int(12);
    if (kind === TYPED.length) return Buffer.from(this.bytes(length));
    if (kind === TYPED.length + 1) return this.bytes(length).buffer;
    if (kind === TYPED.length + 2) return new DataView(this.bytes(length + 3).buffer, 3, length);
    const Ctor = TYPED[kind] as (typeof TYPED)[number];
    const skip = this.int(3) * Ctor.BYTES_PER_ELEMENT;
    const buffer = this.bytes(skip + length * Ctor.BYTES_PER_ELEMENT).buffer;
    return new Ctor(buffer, skip, length);
  }

  leaf(): unknown {
    switch (this.int(9)) {
      case 0:
        return this.string();
      case 1:
        return this.number();
      case 2:
        return this.bigint();
      case 3:
        return this.int(2) === 0;
      case 4:
        return null;
      case 5:
        return undefined;
      case 6:
        return this.int(8) === 0 ? new Date(Number.NaN) : new Date(this.int(2 ** 42) - 2 ** 40);
      default:
        return this.binary();
    }
  }

  value(depth: number): unknown {
    if (depth === 0) return this.leaf();
    switch (this.int(8)) {
      case 0:
        return this.leaf();
      case 1: {
        const out: unknown[] = [];
        for (let i = this.int(6); i > 0; i--) out.push(this.value(depth - 1));
        if (this.int(5) === 0) out.length += 2; // holes
        return out;
      }
      case 2:
      case 3: {
        const out: Record<string, unknown> =
          this.int(6) === 0 ? (Object.create(null) as Record<string, unknown>) : {};
        for (let i = this.int(6); i > 0; i--) {
          Object.defineProperty(out, this.key(), {
            value: this.value(depth - 1),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
      case 4: {
        const out = new Map<unknown, unknown>();
        for (let i = this.int(5); i > 0; i--) {
          out.set(this.int(3) === 0 ? this.value(depth - 1) : this.key(), this.value(depth - 1));
        }
        return out;
      }
      case 5: {
        const out = new Set<unknown>();
        for (let i = this.int(5); i > 0; i--) out.add(this.value(depth - 1));
        return out;
      }
      default: {
        const rows = this.int(4);
        const columns = 1 + this.int(3);
        const data: TabularData = {
          features: new Float32Array(this.bytes(rows * columns * 4).buffer),
          rows,
          columns,
          labels: this.int(2) === 0 ? new Uint8Array(this.bytes(rows)) : new Float32Array(rows),
        };
        if (this.int(2) === 0) data.featureNames = Array.from({ length: columns }, () => this.string());
        return { train: data, test: this.value(depth - 1) };
      }
    }
  }
}

describe('value codec', () => {
  let dir: ReturnType<typeof tempDir>;
  let io: FilesystemIoManager;
  beforeEach(() => {
    dir = tempDir();
    io = new FilesystemIoManager({ root: join(dir.path, 'storage') });
  });
  afterEach(() => {
    dir.remove();
  });

  it('round-trips an object of TabularData splits through the filesystem IO manager exactly', async () => {
    const train: TabularData = {
      features: Float32Array.from([30, 50_000, Number.NaN, 1.5]),
      rows: 2,
      columns: 2,
      featureNames: ['age', 'income'],
      labels: Uint8Array.from([0, 1]),
    };
    const test: TabularData = {
      features: Float32Array.from([41, 72_000]),
      rows: 1,
      columns: 2,
      labels: Float32Array.from([0.25]),
    };
    const stored = await io.write({ assetKey: 'split' }, { train, test });
    expect(stored.format).toBe('tree');
    expect(stored.storagePath.endsWith('.lltree')).toBe(true);
    const back = (await io.read(stored)) as { train: TabularData; test: TabularData };
    expect(back.train.features).toBeInstanceOf(Float32Array);
    expect(back.train.labels).toBeInstanceOf(Uint8Array);
    expect(back.test.labels).toBeInstanceOf(Float32Array);
    expect(back).toStrictEqual({ train, test });
    // Equal values get the same data version; storing what was read again changes nothing.
    expect((await io.write({ assetKey: 'split' }, back)).dataVersion).toBe(stored.dataVersion);
    // Binary sections, not JSON numbers: 4 bytes a feature plus a small skeleton.
    const large = await io.write(
      { assetKey: 'large-split' },
      { train: { ...train, features: new Float32Array(10_000) }, test },
    );
    expect(large.sizeBytes).toBeLessThan(40_000 + 1024);
  });

  it('prunes unreferenced lltree files like the other formats', async () => {
    const kept = await io.write({ assetKey: 'splits' }, { at: new Date(1) });
    const old = await io.write({ assetKey: 'splits' }, { at: new Date(2) });
    const result = await io.prune({ keep: [kept], writtenBefore: Date.now() + 60_000 });
    expect(result.deleted).toEqual([old.storagePath]);
    expect(await io.has(kept)).toBe(true);
  });

  it('keeps the bytes (and data versions) of plain JSON, typed arrays and columns', () => {
    const plain = { rows: [1, 2.5, -3], name: 'zoé 😀', nested: { ok: true, none: null }, list: [] };
    expect(encodeValue(plain)).toEqual({
      format: 'json',
      bytes: Buffer.from(JSON.stringify(plain), 'utf8'),
    });
    expect(encodeValue('text').format).toBe('json');
    expect(encodeValue(Float64Array.from([1])).format).toBe('table');
    expect(encodeValue({ a: Int32Array.from([1]), b: BigInt64Array.from([2n]) }).format).toBe('table');
    expect(encodeValue(Buffer.from('x')).format).toBe('bytes');
    // What JSON would change goes to lltree instead.
    const holey = [, 1]; // eslint-disable-line no-sparse-arrays
    for (const value of [undefined, { a: undefined }, [1, -0], Number.NaN, new Date(0), holey]) {
      expect(encodeValue(value).format).toBe('tree');
    }
  });

  it('still reads files written before lltree existed (JSON and lltab)', async () => {
    const folder = join(dir.path, 'storage', 'old');
    mkdirSync(folder, { recursive: true });
    const json = join(folder, 'value-0123456789abcdef0123456789abcdef.json');
    writeFileSync(json, '{"at":"2001-01-01T00:00:00.000Z","rows":[1,2]}');
    expect(await io.read({ assetKey: 'old', storagePath: json })).toEqual({
      at: '2001-01-01T00:00:00.000Z',
      rows: [1, 2],
    });
    // An lltab file laid out by hand as docs/core.md describes it.
    const header = Buffer.from(
      JSON.stringify({
        kind: 'columns',
        columns: [
          { name: 'delay', type: 'Float32Array', length: 3 },
          { name: 'hour', type: 'Int8Array', length: 2 },
        ],
      }),
      'utf8',
    );
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    const head = Buffer.concat([Buffer.from('LLTAB1\n\0', 'latin1'), length, header]);
    const delay = Buffer.from(Float32Array.from([1.5, -2, 3]).buffer);
    const lltab = Buffer.concat([
      head,
      Buffer.alloc((8 - (head.length % 8)) % 8),
      delay,
      Buffer.alloc(4),
      Buffer.from([7, 23]),
      Buffer.alloc(6),
    ]);
    const table = join(folder, 'value-00000000000000000000000000000000.lltab');
    writeFileSync(table, lltab);
    const back = (await io.read({ assetKey: 'old', storagePath: table })) as Record<string, unknown>;
    expect(back).toStrictEqual({ delay: Float32Array.from([1.5, -2, 3]), hour: Int8Array.from([7, 23]) });
    // The writer still produces exactly these bytes.
    expect(Buffer.from(encodeValue(back).bytes).equals(readFileSync(table))).toBe(true);
  });

  it('round-trips random nested values exactly and deterministically (property, 400 seeds)', () => {
    const formats = new Set<ValueFormat>();
    for (let seed = 1; seed <= 400; seed++) {
      const value = new ValueGenerator(seed).value(4);
      const encoded = encodeValue(value);
      formats.add(encoded.format);
      const back = decodeValue(encoded.format, Buffer.from(encoded.bytes));
      // A top-level Uint8Array is stored raw and reads back as a Buffer (its subclass).
      const expected = encoded.format === 'bytes' ? Buffer.from(value as Uint8Array) : value;
      expect(fingerprint(back), `seed ${seed}`).toBe(fingerprint(expected));
      // Equal values, equal bytes: the data version of a re-stored value does not move.
      const again = encodeValue(back);
      expect(again.format, `seed ${seed}`).toBe(encoded.format);
      expect(Buffer.from(again.bytes).equals(Buffer.from(encoded.bytes)), `seed ${seed}`).toBe(true);
    }
    expect([...formats].sort()).toEqual(['bytes', 'json', 'table', 'tree']);
  });

  it('round-trips the awkward corners', () => {
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const proto = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const shared = Float64Array.from([1, 2]);
    const cases: unknown[] = [
      { $: 'hole' },
      { $: 'binary', type: 'Float32Array', section: 0, n: 1n },
      [{ $: 'undefined' }, undefined],
      nullProto,
      { proto, at: new Date(0) },
      sparse,
      { twice: [shared, shared] }, // shared but not cyclic: fine
      new Map<unknown, unknown>([
        [{ k: 1 }, 'object key'],
        [Number.NaN, -0],
        [1n, new Set([undefined, null])],
      ]),
      { sub: new Float32Array(Float32Array.from([1, 2, 3, 4]).buffer, 4, 2) },
      { empty: new BigUint64Array(0), buf: Buffer.from('é'), max: BigUint64Array.from([2n ** 64n - 1n]) },
    ];
    for (const value of cases) {
      const { back } = roundTrip(value);
      expect(fingerprint(back)).toBe(fingerprint(value));
    }
    const back = roundTrip({ proto }).back as { proto: object };
    expect(Object.getPrototypeOf(back.proto)).toBe(Object.prototype);
    expect(Object.keys(back.proto)).toEqual(['__proto__']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses what is not data, naming the path inside the value and what to do', () => {
    class Model {
      weights = [1];
    }
    const tagged = { a: 1, [Symbol('tag')]: 2 };
    const cyclic: { items: unknown[] } = { items: [] };
    cyclic.items.push({ parent: cyclic });
    const cases: [unknown, string][] = [
      [{ model: { predict: () => 1 } }, 'value.model.predict is a function'],
      [{ model: new Model() }, 'value.model is a Model instance'],
      [[1, { at: /x/ }], 'value[1].at is a RegExp instance'],
      [{ 'a b': [Symbol('s')] }, 'value["a b"][0] is a symbol'],
      [{ nested: tagged }, 'value.nested has a symbol key (Symbol(tag))'],
      [cyclic, 'value.items[0].parent refers back to value (a cycle)'],
      [new Map([['k', { f: Math.max }]]), 'value.get("k").f is a function'],
      [new Map([[new Model(), 1]]), 'value.keys()[0] is a Model instance'],
      [{ s: new Set([1, new WeakMap()]) }, 'value.s.values()[1] is a WeakMap instance'],
      [{ pending: Promise.resolve(1) }, 'value.pending is a Promise (await it'],
      [{ x: new (class Sub extends Float32Array {})(2) }, 'value.x is a Sub instance'],
      [() => 1, 'value is a function'],
    ];
    for (const [value, message] of cases) {
      const error = refusal(value);
      expect(error.message).toContain(message);
      expect(error.message).toMatch(/defineAsset\(\{ io \}\)/);
    }
    expect(refusal({ f: () => 1 }).message).toContain('stored values must be data');
  });

  it('reports a damaged lltree file', () => {
    const { bytes } = encodeValue({ a: Float32Array.from([1, 2]), at: new Date(0) });
    const error = (() => {
      try {
        return decodeValue('tree', Buffer.from(bytes).subarray(0, bytes.length - 8));
      } catch (e) {
        return e;
      }
    })();
    expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain('damaged');
  });
});
