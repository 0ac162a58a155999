/**
 * A minimal WebAssembly binary encoder: just enough to emit the training kernels of
 * `gbdt-wasm-kernels.ts` at run time (one module importing one memory, a few exported functions).
 * Generating the module in TypeScript keeps the product free of compiled artifacts and lets the
 * kernels be specialised on the data's shape (column count, buffer addresses) when training starts.
 *
 * Instructions are plain byte arrays; a function body is their concatenation.
 *
 * @example
 * ```ts
 * import { encodeModule, op, ValType } from './wasm-encoder.js';
 * const bytes = encodeModule({
 *   memory: { pages: 1, shared: false },
 *   functions: [{ name: 'add', params: [ValType.i32, ValType.i32], results: [ValType.i32], locals: [],
 *     body: [...op.localGet(0), ...op.localGet(1), ...op.i32Add] }],
 * });
 * ```
 */

/** Value types. */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
/** A value type code. */
export type ValType = (typeof ValType)[keyof typeof ValType];

/** One exported function. */
export interface WasmFunction {
  name: string;
  params: ValType[];
  results: ValType[];
  /** Types of the locals after the parameters (local indices continue from the parameters). */
  locals: ValType[];
  body: number[];
}

/** A module: the imported memory `env.memory` and its functions. */
export interface WasmModuleSpec {
  /** Size in 64 KiB pages (minimum = maximum when shared). */
  memory: { pages: number; shared: boolean };
  functions: WasmFunction[];
}

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

function vector(items: number[][]): number[] {
  const out = uleb(items.length);
  for (const item of items) append(out, item);
  return out;
}

function section(id: number, content: number[]): number[] {
  const out = [id, ...uleb(content.length)];
  append(out, content);
  return out;
}

/** Memory argument: alignment (log2 bytes) and a constant offset added to the address. */
function memarg(alignLog2: number, offset: number): number[] {
  return [...uleb(alignLog2), ...uleb(offset)];
}

function simd(code: number): number[] {
  return [0xfd, ...uleb(code)];
}

/** Instruction encoders (the subset the kernels use). `offset` is added to the address operand. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  select: [0x1b],
  localGet: (index: number) => [0x20, ...uleb(index)],
  localSet: (index: number) => [0x21, ...uleb(index)],
  localTee: (index: number) => [0x22, ...uleb(index)],
  i32Load: (offset: number) => [0x28, ...memarg(2, offset)],
  f32Load: (offset: number) => [0x2a, ...memarg(2, offset)],
  f64Load: (offset: number) => [0x2b, ...memarg(3, offset)],
  i32Load8U: (offset: number) => [0x2d, ...memarg(0, offset)],
  i32Store: (offset: number) => [0x36, ...memarg(2, offset)],
  i32Store8: (offset: number) => [0x3a, ...memarg(0, offset)],
  f32Store: (offset: number) => [0x38, ...memarg(2, offset)],
  f64Store: (offset: number) => [0x39, ...memarg(3, offset)],
  i32Const: (value: number) => [0x41, ...sleb(value)],
  f64Const: (value: number) => {
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    return [0x44, ...bytes];
  },
  f32Const: (value: number) => [0x43, ...new Uint8Array(new Float32Array([value]).buffer)],
  i64Const: (value: number) => [0x42, ...sleb(value)],
  i32Eqz: [0x45],
  f32Eq: [0x5b],
  f32Ne: [0x5c],
  f32Lt: [0x5d],
  f32Le: [0x5f],
  f64Eq: [0x61],
  f64Lt: [0x63],
  f64Gt: [0x64],
  f64Ge: [0x66],
  i32Eq: [0x46],
  i32Ne: [0x47],
  i32GeU: [0x4f],
  i32GtU: [0x4b],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Or: [0x72],
  i32Xor: [0x73],
  i32Shl: [0x74],
  i32ShrS: [0x75],
  i32ShrU: [0x76],
  i32GtS: [0x4a],
  i32LtS: [0x48],
  i64Add: [0x7c],
  i64Shl: [0x86],
  f32Add: [0x92],
  f64Neg: [0x9a],
  f64Nearest: [0x9e],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  f64Mul: [0xa2],
  f64Div: [0xa3],
  f64Min: [0xa4],
  f64Max: [0xa5],
  i32TruncF64S: [0xaa],
  i64TruncF64S: [0xb0],
  f32DemoteF64: [0xb6],
  f64PromoteF32: [0xbb],
  i32ReinterpretF32: [0xbc],
  f64ReinterpretI64: [0xbf],
  /** memory.fill(address, value, length) of memory 0 (bulk memory). */
  memoryFill: [0xfc, ...uleb(11), 0x00],
  /** v128 load/store, declared 8-byte aligned (histogram bins are float64 triples). */
  v128Load: (offset: number) => [...simd(0x00), ...memarg(3, offset)],
  v128Store: (offset: number) => [...simd(0x0b), ...memarg(3, offset)],
  f64x2Splat: simd(0x14),
  f64x2ReplaceLane: (lane: number) => [...simd(0x22), lane],
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
  f64x2Div: simd(0xf3),
  /** `b < a ? b : a` (one instruction, unlike the NaN-propagating min). */
  f64x2Pmin: simd(0xf6),
  /** `a < b ? b : a`. */
  f64x2Pmax: simd(0xf7),
  f64x2Neg: simd(0xed),
  f64x2Nearest: simd(0x94),
  /** Loads 8 bytes into the low half of a v128 (high half zero). */
  v128Load64Zero: (offset: number) => [...simd(0x5d), ...memarg(3, offset)],
  /** Stores lane `lane` of an i64x2 view (8 bytes). */
  v128Store64Lane: (offset: number, lane: number) => [...simd(0x5b), ...memarg(3, offset), lane],
  f64x2PromoteLowF32x4: simd(0x5f),
  /** Bytes of two vectors picked by 16 lane indices (0-15 the first, 16-31 the second). */
  i8x16Shuffle: (lanes: readonly number[]) => [...simd(0x0d), ...lanes],
  f32x4DemoteF64x2Zero: simd(0x5e),
  i32x4TruncSatF64x2SZero: simd(0xfc),
  i64x2ExtendLowI32x4S: simd(0xc7),
  i64x2Splat: simd(0x12),
  i64x2Add: simd(0xce),
  i64x2Shl: simd(0xcb),
} as const;

/** `for (counter = from; counter < to; counter += step) body`, the three being i32 locals. */
export function countedLoop(counter: number, from: number, to: number, body: number[], step = 1): number[] {
  return [
    ...op.localGet(from),
    ...op.localSet(counter),
    ...op.block,
    ...op.loop,
    ...op.localGet(counter),
    ...op.localGet(to),
    ...op.i32GeU,
    ...op.brIf(1),
    ...body,
    ...op.localGet(counter),
    ...op.i32Const(step),
    ...op.i32Add,
    ...op.localSet(counter),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

/** Appends `items` to `out` (a loop: spreading thousands of elements into calls and literals is slow). */
function append(out: number[], items: readonly number[]): void {
  for (const item of items) out.push(item);
}

/** Encodes a module: one function type per function, memory imported as `env.memory`, all functions exported. */
export function encodeModule(spec: WasmModuleSpec): Uint8Array {
  const { pages, shared } = spec.memory;
  const limits = shared ? [0x03, ...uleb(pages), ...uleb(pages)] : [0x00, ...uleb(pages)];
  const types = spec.functions.map((f) => [
    0x60,
    ...vector(f.params.map((t) => [t])),
    ...vector(f.results.map((t) => [t])),
  ]);
  const bodies = spec.functions.map((f) => {
    // Locals are declared as runs of one type.
    const runs: number[][] = [];
    for (let k = 0; k < f.locals.length;) {
      let j = k;
      while (j < f.locals.length && f.locals[j] === f.locals[k]) j++;
      runs.push([...uleb(j - k), f.locals[k] ?? ValType.i32]);
      k = j;
    }
    const code = vector(runs);
    append(code, f.body);
    append(code, op.end);
    const body = uleb(code.length);
    append(body, code);
    return body;
  });
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  append(out, section(1, vector(types)));
  append(out, section(2, vector([[...name('env'), ...name('memory'), 0x02, ...limits]])));
  append(out, section(3, vector(spec.functions.map((_, index) => uleb(index)))));
  append(out, section(7, vector(spec.functions.map((f, index) => [...name(f.name), 0x00, ...uleb(index)]))));
  append(out, section(10, vector(bodies)));
  return Uint8Array.from(out);
}
