/**
 * The hot loops of gradient boosting — histogram building, row partitioning, log-loss gradients and
 * adding leaf values to the scores — as a WebAssembly module generated when training starts,
 * specialised on the data's shape: the loop over features is unrolled for the actual column count
 * and every buffer address is a constant. Compared with the same loops in JavaScript this removes
 * bounds checks and adds (gradient, hessian) pairs with one SIMD instruction: histogram building
 * runs about 2.6x faster per thread (see docs/ml.md).
 *
 * All buffers live in one `WebAssembly.Memory` (see `training-arena.ts`), shared by the main thread
 * and the worker threads, each of which instantiates the same bytes.
 *
 * Histogram layout (as `HISTOGRAM_STRIDE` in `gbdt-kernels.ts`): feature `f`, bin `b` (255 = missing)
 * holds float64 (sum of gradients, sum of hessians, row count) at byte
 * `hist + f * 6144 + b * 24`.
 *
 * @example
 * ```ts
 * const bytes = gbdtKernelModule(gbdtKernelLayout(arena, 12));
 * const kernels = instantiateGbdtKernels(bytes, memory);
 * kernels.histogramAll(0, rows, histAddress);
 * ```
 */
import type { TrainingArena } from './training-arena.js';
import { countedLoop, encodeModule, op, ValType } from './wasm-encoder.js';

/** Byte addresses and shape the kernels are specialised on. */
export interface GbdtKernelLayout {
  /** Features per row, also bytes per binned row. */
  columns: number;
  /** Byte address of the row-major binned matrix (Uint8), which histograms read. */
  binned: number;
  /**
   * Byte address of the same bins feature by feature (`binnedRows` per feature), which partitions
   * read: a partition looks at one feature of each row, so this reads a byte per row from one
   * column instead of a cache line per four or five rows of the matrix.
   */
  binnedColumns: number;
  /** Rows of the binned matrix. */
  binnedRows: number;
  /** Byte address of the (gradient, hessian) pairs of the rows (Float32, 8 bytes per row). */
  gradHess: number;
  /** Byte address of the row-index array partitions read (Uint32). */
  rows: number;
  /** Byte address of the raw scores (Float64). */
  raw: number;
  /** Byte address of the labels (Float32). */
  labels: number;
  /** Byte address of the float32 rows to bin (row-major, `columns` per row). */
  staging: number;
  /** Byte address of the bin edges, 256 float32 per feature, padded with +Infinity. */
  binEdges: number;
  /** Byte address of the number of edges of each feature (Int32). */
  thresholdCounts: number;
  /** Size of the memory in 64 KiB pages, and whether it is shared. */
  pages: number;
  shared: boolean;
}

/** The arena regions the kernels address. */
export type GbdtKernelRegion =
  | 'binned'
  | 'binnedColumns'
  | 'gradHess'
  | 'rows'
  | 'raw'
  | 'labels'
  | 'staging'
  | 'binEdges'
  | 'thresholdCounts';

/** The layout of an arena holding the kernels' regions, the binned rows `columns` bytes each. */
export function gbdtKernelLayout(
  arena: Pick<TrainingArena<GbdtKernelRegion>, 'regions' | 'pages' | 'shared'>,
  columns: number,
): GbdtKernelLayout {
  const { regions } = arena;
  return {
    columns,
    binned: regions.binned.offset,
    binnedColumns: regions.binnedColumns.offset,
    binnedRows: columns === 0 ? 0 : regions.binnedColumns.bytes / columns,
    gradHess: regions.gradHess.offset,
    rows: regions.rows.offset,
    raw: regions.raw.offset,
    labels: regions.labels.offset,
    staging: regions.staging.offset,
    binEdges: regions.binEdges.offset,
    thresholdCounts: regions.thresholdCounts.offset,
    pages: arena.pages,
    shared: arena.shared,
  };
}

/** The exported kernels. Addresses are byte addresses in the shared memory. */
export interface GbdtWasmKernels {
  /**
   * Bins the float32 rows `from..to` of the staging region into rows `from + outRow ..` of the binned
   * matrix and its columns: bin = number of the feature's edges strictly below the value, NaN → 255.
   */
  binRows: (from: number, to: number, outRow: number) => void;
  /**
   * Sorts the non-missing values of column `feature` of the first `rows` staging rows: writes them
   * ascending as float32 at `keys` (`other` is as large, `counts` {@link SORT_COUNTS_BYTES} of
   * scratch) and returns how many there are. An LSD radix sort of order-preserving keys, 3 passes.
   */
  sortColumn: (feature: number, rows: number, keys: number, other: number, counts: number) => number;
  /**
   * Writes the sum of the `parts` (>= 1) histograms at `partHistograms` (consecutive, one per
   * thread) to the histogram at `child`; with `subtract` 1 also subtracts it from the histogram at
   * `parent` (which becomes the sibling's). The same sums, in the same order, as adding the parts
   * one after the other and subtracting after.
   */
  mergeHistograms: (
    child: number,
    partHistograms: number,
    parts: number,
    parent: number,
    subtract: number,
  ) => void;
  /**
   * The best split of a node from its histogram at `hist` (node sums `sumGrad`, `sumHess`, `count`;
   * `parentScore` = sumGrad² / (sumHess + l2)): every feature and bin, the missing bin tried on both
   * sides, splits leaving fewer than `minLeaf` rows or less than `minHess` hessian on a side skipped,
   * gain above `minGain`. Returns 1 when found, with at `result` ({@link SPLIT_RESULT_BYTES}): gain,
   * left gradient, left hessian, left count (float64), then feature, bin and missing-left (int32).
   */
  findSplit: (
    hist: number,
    sumGrad: number,
    sumHess: number,
    count: number,
    parentScore: number,
    l2: number,
    minLeaf: number,
    minHess: number,
    minGain: number,
    result: number,
  ) => number;
  /** Zeroes the histogram at `hist`, then adds rows `from..to` (row numbers). */
  histogramAll: (from: number, to: number, hist: number) => void;
  /** {@link histogramAll} without the row counts (left 0): the root's counts are the same every tree. */
  histogramSums: (from: number, to: number, hist: number) => void;
  /** Zeroes the histogram at `hist`, then adds the rows listed at `list[from..to)` (a Uint32 array's address). */
  histogramRows: (list: number, from: number, to: number, hist: number) => void;
  /**
   * Partitions `count` rows on `bin(row, feature) <= bin` (the missing bin 255 goes left when
   * `missingLeft` is 1): reads the row list at byte address `read`, moving `step` bytes (4 or -4)
   * per row, and stores each left row at `leftOut`, each right row at `rightOut`, each pointer
   * moving `step` bytes after a store. With step 4 that is a stable partition into two runs; with
   * step -4 (the pointers starting at the last rows of the runs) too, filled from their ends. Every
   * store is a row's own: nothing is written outside the two runs. Returns the number of left rows.
   */
  partition: (
    feature: number,
    bin: number,
    missingLeft: number,
    read: number,
    count: number,
    step: number,
    leftOut: number,
    rightOut: number,
  ) => number;
  /** {@link partition} of the rows numbered `read / 4` onwards (the root: no row list is read). */
  partitionAll: (
    feature: number,
    bin: number,
    missingLeft: number,
    read: number,
    count: number,
    step: number,
    leftOut: number,
    rightOut: number,
  ) => number;
  /** Gradients and hessians of rows `from..to` from the raw scores; objective 0 = log-loss, 1 = squared error. */
  gradients: (objective: number, from: number, to: number) => void;
  /**
   * Adds leaf values to the raw scores of rows `from..to` (row numbers: a thread adds to the rows
   * whose gradients it computes next, so no two threads write the same cache lines). `table` holds
   * `leaves` entries of (start int32, end int32, value float64): the leaves' ranges of positions,
   * counted from the start of `rows` (a leaf whose rows are in a later row list lies that much
   * further on), each range's rows ascending (as stable partitions leave them).
   */
  addLeafValues: (table: number, leaves: number, from: number, to: number) => void;
}

/** Bytes of one entry of the leaf table of {@link GbdtWasmKernels.addLeafValues}. */
export const LEAF_ENTRY_BYTES = 16;

/** Bytes of one feature's histogram: 256 bins × 3 float64. */
const FEATURE_HISTOGRAM_BYTES = 256 * 24;

/** Locals used by {@link addRow}. */
interface RowLocals {
  row: number;
  hist: number;
  base: number;
  address: number;
  gradHess: number;
}

/**
 * Adds row `row` (its gradient, hessian and, with `counts`, 1) to the bins of all its features.
 * Without counts a row takes one store per feature instead of two.
 */
function addRow(layout: GbdtKernelLayout, l: RowLocals, counts = true): number[] {
  const code = [
    // gradHess = the row's (gradient, hessian) as float64x2
    ...op.localGet(l.row),
    ...op.i32Const(3),
    ...op.i32Shl,
    ...op.v128Load64Zero(layout.gradHess),
    ...op.f64x2PromoteLowF32x4,
    ...op.localSet(l.gradHess),
    ...op.localGet(l.row),
    ...op.i32Const(layout.columns),
    ...op.i32Mul,
    ...op.localSet(l.base),
  ];
  for (let f = 0; f < layout.columns; f++) {
    const offset = f * FEATURE_HISTOGRAM_BYTES;
    code.push(
      // address = hist + bin * 24
      ...op.localGet(l.hist),
      ...op.localGet(l.base),
      ...op.i32Load8U(layout.binned + f),
      ...op.i32Const(24),
      ...op.i32Mul,
      ...op.i32Add,
      ...op.localTee(l.address),
      ...op.localGet(l.address),
      ...op.v128Load(offset),
      ...op.localGet(l.gradHess),
      ...op.f64x2Add,
      ...op.v128Store(offset),
    );
    if (!counts) continue;
    code.push(
      ...op.localGet(l.address),
      ...op.localGet(l.address),
      ...op.f64Load(offset + 16),
      ...op.f64Const(1),
      ...op.f64Add,
      ...op.f64Store(offset + 16),
    );
  }
  return code;
}

function zeroHistogram(layout: GbdtKernelLayout, hist: number): number[] {
  return [
    ...op.localGet(hist),
    ...op.i32Const(0),
    ...op.i32Const(layout.columns * FEATURE_HISTOGRAM_BYTES),
    ...op.memoryFill,
  ];
}

/** Bytes of one feature's padded bin edges (256 float32). */
export const BIN_EDGES_BYTES = 256 * 4;

function binRows(layout: GbdtKernelLayout) {
  // params: from 0, to 1, outRow 2; locals: row 3, source 4, out 5, bin 6 (i32), x 7 (f32), outRowIndex 8 (i32)
  const [from, to, outRow, row, source, out, bin, x, outRowIndex] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const body = [
    ...op.localGet(row),
    ...op.i32Const(layout.columns * 4),
    ...op.i32Mul,
    ...op.localSet(source),
    ...op.localGet(row),
    ...op.localGet(outRow),
    ...op.i32Add,
    ...op.localTee(outRowIndex),
    ...op.i32Const(layout.columns),
    ...op.i32Mul,
    ...op.localSet(out),
  ];
  for (let f = 0; f < layout.columns; f++) {
    const edges = layout.binEdges + f * BIN_EDGES_BYTES;
    body.push(...op.localGet(source), ...op.f32Load(layout.staging + f * 4), ...op.localSet(x));
    body.push(...op.i32Const(0), ...op.localSet(bin));
    // A lower bound in 8 fixed halvings without branches: bin += (edges[bin + step - 1] < x) << log2(step).
    for (let shift = 7; shift >= 0; shift--) {
      body.push(
        ...op.localGet(bin),
        ...op.localGet(bin),
        ...op.i32Const(2),
        ...op.i32Shl,
        ...op.f32Load(edges + ((1 << shift) - 1) * 4),
        ...op.localGet(x),
        ...op.f32Lt,
        ...op.i32Const(shift),
        ...op.i32Shl,
        ...op.i32Add,
        ...op.localSet(bin),
      );
    }
    // binned = x === x ? bin : 255, in the row and in the feature's column
    body.push(
      ...op.localGet(bin),
      ...op.i32Const(255),
      ...op.localGet(x),
      ...op.localGet(x),
      ...op.f32Eq,
      ...op.select,
      ...op.localSet(bin),
      ...op.localGet(out),
      ...op.localGet(bin),
      ...op.i32Store8(layout.binned + f),
      ...op.localGet(outRowIndex),
      ...op.localGet(bin),
      ...op.i32Store8(layout.binnedColumns + f * layout.binnedRows),
    );
  }
  return {
    name: 'binRows',
    params: [ValType.i32, ValType.i32, ValType.i32],
    results: [],
    locals: [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.f32, ValType.i32],
    body: countedLoop(row, from, to, body),
  };
}

/**
 * The radix sort's digits, low to high (shift and bits). Three passes of 11, 11 and 10 bits instead of
 * four of 8: a pass less over the keys, and 2,048 counters per digit still fit in L1.
 */
const SORT_DIGITS: readonly { shift: number; bits: number }[] = [
  { shift: 0, bits: 11 },
  { shift: 11, bits: 11 },
  { shift: 22, bits: 10 },
];

/** Bytes of one digit's counters: an int32 for each of the 2,048 values of the widest digit. */
const DIGIT_COUNTERS_BYTES = 2048 * 4;

/** Bytes of the scratch counters of {@link GbdtWasmKernels.sortColumn}: one block per digit. */
export const SORT_COUNTS_BYTES = SORT_DIGITS.length * DIGIT_COUNTERS_BYTES;

function sortColumn(layout: GbdtKernelLayout) {
  // params: feature 0, rows 1, keys 2, other 3, counts 4;
  // locals: i 5, m 6, key 7, address 8, sum 9, count 10, end 11 (i32), x 12 (f32)
  const [feature, rows, keys, other, counts, i, m, key, address, sum, count, end, x] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const set = (local: number, value: number): number[] => [...op.i32Const(value), ...op.localSet(local)];
  /** base + index * 4 */
  const at = (base: number, index: number): number[] => [
    ...op.localGet(base),
    ...op.localGet(index),
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32Add,
  ];
  /** address = counts + digit's value * 4 (the digit's block of counters is the load's offset) */
  const digitCounter = ({ shift, bits }: { shift: number; bits: number }): number[] => [
    ...op.localGet(counts),
    ...op.localGet(key),
    ...op.i32Const(shift),
    ...op.i32ShrU,
    ...op.i32Const((1 << bits) - 1),
    ...op.i32And,
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.localSet(address),
  ];
  // Gather: keys[m++] = key(x) for every non-NaN x = staging[i * columns + feature], counting digits.
  const gather = [
    ...op.localGet(i),
    ...op.i32Const(layout.columns),
    ...op.i32Mul,
    ...op.localGet(feature),
    ...op.i32Add,
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.f32Load(layout.staging),
    ...op.localTee(x),
    ...op.localGet(x),
    ...op.f32Eq,
    ...op.if,
    // key = bits ^ ((bits >> 31) | 0x80000000): ascending as unsigned integers
    ...op.localGet(x),
    ...op.i32ReinterpretF32,
    ...op.localTee(key),
    ...op.localGet(key),
    ...op.i32Const(31),
    ...op.i32ShrS,
    ...op.i32Const(-0x80000000),
    ...op.i32Or,
    ...op.i32Xor,
    ...op.localSet(key),
    ...at(keys, m),
    ...op.localGet(key),
    ...op.i32Store(0),
  ];
  for (const [digit, place] of SORT_DIGITS.entries()) {
    gather.push(
      ...digitCounter(place),
      ...op.localGet(address),
      ...op.localGet(address),
      ...op.i32Load(digit * DIGIT_COUNTERS_BYTES),
      ...op.i32Const(1),
      ...op.i32Add,
      ...op.i32Store(digit * DIGIT_COUNTERS_BYTES),
    );
  }
  gather.push(...op.localGet(m), ...op.i32Const(1), ...op.i32Add, ...op.localSet(m), ...op.end);
  const code: number[] = [
    ...op.localGet(counts),
    ...op.i32Const(0),
    ...op.i32Const(SORT_COUNTS_BYTES),
    ...op.memoryFill,
    ...set(m, 0),
    ...set(i, 0),
    ...countedLoop(i, i, rows, gather),
  ];
  // Exclusive prefix sums: counts[digit][v] = number of keys with a smaller digit.
  for (const [digit, { bits }] of SORT_DIGITS.entries()) {
    const step = [
      ...at(counts, i),
      ...op.i32Load(digit * DIGIT_COUNTERS_BYTES),
      ...op.localSet(count),
      ...at(counts, i),
      ...op.localGet(sum),
      ...op.i32Store(digit * DIGIT_COUNTERS_BYTES),
      ...op.localGet(sum),
      ...op.localGet(count),
      ...op.i32Add,
      ...op.localSet(sum),
    ];
    code.push(...set(sum, 0), ...set(i, 0), ...set(end, 1 << bits), ...countedLoop(i, i, end, step));
  }
  // Three stable scatter passes, keys → other → keys → other.
  for (const [digit, place] of SORT_DIGITS.entries()) {
    const [from, to] = digit % 2 === 0 ? [keys, other] : [other, keys];
    const scatter = [
      ...at(from, i),
      ...op.i32Load(0),
      ...op.localSet(key),
      ...digitCounter(place),
      ...op.localGet(address),
      ...op.i32Load(digit * DIGIT_COUNTERS_BYTES),
      ...op.localSet(count),
      ...op.localGet(address),
      ...op.localGet(count),
      ...op.i32Const(1),
      ...op.i32Add,
      ...op.i32Store(digit * DIGIT_COUNTERS_BYTES),
      ...at(to, count),
      ...op.localGet(key),
      ...op.i32Store(0),
    ];
    code.push(...set(i, 0), ...countedLoop(i, i, m, scatter));
  }
  // Back to float bits, from `other` (where the last pass wrote) to `keys`: a key with the top bit
  // set was a non-negative float.
  const restore = [
    ...at(keys, i),
    ...at(other, i),
    ...op.i32Load(0),
    ...op.localTee(key),
    ...op.i32Const(-0x80000000),
    ...op.i32Xor,
    ...op.localGet(key),
    ...op.i32Const(-1),
    ...op.i32Xor,
    ...op.localGet(key),
    ...op.i32Const(0),
    ...op.i32LtS,
    ...op.select,
    ...op.i32Store(0),
  ];
  code.push(...set(i, 0), ...countedLoop(i, i, m, restore), ...op.localGet(m));
  return {
    name: 'sortColumn',
    params: Array<ValType>(5).fill(ValType.i32),
    results: [ValType.i32],
    locals: [...Array<ValType>(7).fill(ValType.i32), ValType.f32],
    body: code,
  };
}

function mergeHistograms(layout: GbdtKernelLayout) {
  // params: child 0, partHistograms 1, parts 2, parent 3, subtract 4; locals: offset 5, w 6, end 7 (i32), sum 8 (v128)
  const [child, partHistograms, parts, parent, subtract, offset, w, end, sum] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const bytes = layout.columns * FEATURE_HISTOGRAM_BYTES;
  const address = (base: number): number[] => [...op.localGet(base), ...op.localGet(offset), ...op.i32Add];
  const addPart = [
    // sum += partHistograms[w * bytes + offset]
    ...op.localGet(sum),
    ...op.localGet(partHistograms),
    ...op.localGet(w),
    ...op.i32Const(bytes),
    ...op.i32Mul,
    ...op.i32Add,
    ...op.localGet(offset),
    ...op.i32Add,
    ...op.v128Load(0),
    ...op.f64x2Add,
    ...op.localSet(sum),
  ];
  const step = [
    ...address(partHistograms),
    ...op.v128Load(0),
    ...op.localSet(sum),
    ...op.i32Const(1),
    ...op.localSet(w),
    ...countedLoop(w, w, parts, addPart),
    ...address(child),
    ...op.localGet(sum),
    ...op.v128Store(0),
    ...op.localGet(subtract),
    ...op.if,
    ...address(parent),
    ...address(parent),
    ...op.v128Load(0),
    ...op.localGet(sum),
    ...op.f64x2Sub,
    ...op.v128Store(0),
    ...op.end,
  ];
  return {
    name: 'mergeHistograms',
    params: Array<ValType>(5).fill(ValType.i32),
    results: [],
    locals: [ValType.i32, ValType.i32, ValType.i32, ValType.v128],
    body: [
      ...op.i32Const(0),
      ...op.localSet(offset),
      ...op.i32Const(bytes),
      ...op.localSet(end),
      // two float64 of the histograms per step
      ...countedLoop(offset, offset, end, step, 16),
    ],
  };
}

/** Bytes of the result of {@link GbdtWasmKernels.findSplit}. */
export const SPLIT_RESULT_BYTES = 48;

function findSplit(layout: GbdtKernelLayout) {
  // params: hist 0 (i32); G 1, H 2, C 3, parent 4, l2 5, minLeaf 6, minHess 7, best 8 (f64); result 9 (i32)
  // locals: f 10, b 11, nb 12, off 13, k 14, found 15 (i32);
  //         gL 16, hL 17, cL 18, gM 19, hM 20, cM 21, cR 22, hR 23, gR 24, gain 25 (f64); columns 26 (i32)
  const [hist, G, H, C, parent, l2, minLeaf, minHess, best, result] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [f, b, nb, off, k, found] = [10, 11, 12, 13, 14, 15];
  const [gL, hL, cL, gM, hM, cM, cR, hR, gR, gain] = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25];
  const columns = 26;
  const get = op.localGet;
  const set = op.localSet;
  /** gain = gl² / (hl + l2) + gr² / (hr + l2) - parent, all locals */
  const gainOf = (
    gl: readonly number[],
    hl: readonly number[],
    gr: readonly number[],
    hr: readonly number[],
  ) => [
    ...gl,
    ...gl,
    ...op.f64Mul,
    ...hl,
    ...get(l2),
    ...op.f64Add,
    ...op.f64Div,
    ...gr,
    ...gr,
    ...op.f64Mul,
    ...hr,
    ...get(l2),
    ...op.f64Add,
    ...op.f64Div,
    ...op.f64Add,
    ...get(parent),
    ...op.f64Sub,
    ...set(gain),
  ];
  /** When gain > best: record it (the split's left sums on the stack as code) */
  const keep = (
    gl: readonly number[],
    hl: readonly number[],
    cl: readonly number[],
    missingLeft: readonly number[],
  ) => [
    ...get(gain),
    ...get(best),
    ...op.f64Gt,
    ...op.if,
    ...get(gain),
    ...set(best),
    ...op.i32Const(1),
    ...set(found),
    ...get(result),
    ...get(gain),
    ...op.f64Store(0),
    ...get(result),
    ...gl,
    ...op.f64Store(8),
    ...get(result),
    ...hl,
    ...op.f64Store(16),
    ...get(result),
    ...cl,
    ...op.f64Store(24),
    ...get(result),
    ...get(f),
    ...op.i32Store(32),
    ...get(result),
    ...get(b),
    ...op.i32Store(36),
    ...get(result),
    ...missingLeft,
    ...op.i32Store(40),
    ...op.end,
  ];
  const notLastBin = [...get(b), ...get(nb), ...op.i32Const(1), ...op.i32Sub, ...op.i32LtS];
  const hasMissing = [...get(cM), ...op.f64Const(0), ...op.f64Gt];
  const perBin = [
    // k = off + b * 24; gL += hist[k]; hL += hist[k + 8]; cL += hist[k + 16]
    ...get(off),
    ...get(b),
    ...op.i32Const(24),
    ...op.i32Mul,
    ...op.i32Add,
    ...op.localTee(k),
    ...op.f64Load(0),
    ...get(gL),
    ...op.f64Add,
    ...set(gL),
    ...get(k),
    ...op.f64Load(8),
    ...get(hL),
    ...op.f64Add,
    ...set(hL),
    ...get(k),
    ...op.f64Load(16),
    ...get(cL),
    ...op.f64Add,
    ...set(cL),
    ...op.block, // the candidates of this bin; br 0 = next bin, br 2 = next feature
    ...get(cL),
    ...get(minLeaf),
    ...op.f64Lt,
    ...op.brIf(0),
    ...get(C),
    ...get(cL),
    ...op.f64Sub,
    ...op.localTee(cR),
    ...get(minLeaf),
    ...op.f64Lt,
    ...op.brIf(2),
    // missing values to the right
    ...notLastBin,
    ...hasMissing,
    ...op.i32Or,
    ...op.if,
    ...get(H),
    ...get(hL),
    ...op.f64Sub,
    ...set(hR),
    ...get(hL),
    ...get(minHess),
    ...op.f64Ge,
    ...get(hR),
    ...get(minHess),
    ...op.f64Ge,
    ...op.i32And,
    ...op.if,
    ...get(G),
    ...get(gL),
    ...op.f64Sub,
    ...set(gR),
    ...gainOf(get(gL), get(hL), get(gR), get(hR)),
    // missing left when the node saw none and the left side is the larger
    ...keep(get(gL), get(hL), get(cL), [
      ...get(cM),
      ...op.f64Const(0),
      ...op.f64Eq,
      ...get(cL),
      ...get(cR),
      ...op.f64Ge,
      ...op.i32And,
    ]),
    ...op.end,
    ...op.end,
    // missing values to the left (hR, gR, cR reused for the right side's sums)
    ...hasMissing,
    ...notLastBin,
    ...op.i32And,
    ...op.if,
    ...get(C),
    ...get(cL),
    ...get(cM),
    ...op.f64Add,
    ...op.f64Sub,
    ...set(cR),
    ...get(H),
    ...get(hL),
    ...get(hM),
    ...op.f64Add,
    ...op.f64Sub,
    ...set(hR),
    ...get(cR),
    ...get(minLeaf),
    ...op.f64Ge,
    ...get(hL),
    ...get(hM),
    ...op.f64Add,
    ...get(minHess),
    ...op.f64Ge,
    ...op.i32And,
    ...get(hR),
    ...get(minHess),
    ...op.f64Ge,
    ...op.i32And,
    ...op.if,
    ...get(G),
    ...get(gL),
    ...get(gM),
    ...op.f64Add,
    ...op.f64Sub,
    ...set(gR),
    ...gainOf(
      [...get(gL), ...get(gM), ...op.f64Add],
      [...get(hL), ...get(hM), ...op.f64Add],
      get(gR),
      get(hR),
    ),
    ...keep(
      [...get(gL), ...get(gM), ...op.f64Add],
      [...get(hL), ...get(hM), ...op.f64Add],
      [...get(cL), ...get(cM), ...op.f64Add],
      op.i32Const(1),
    ),
    ...op.end,
    ...op.end,
    ...op.end, // block
  ];
  const perFeature = [
    // off = hist + f * 6144; nb = counts[f] + 1; the missing bin's sums
    ...get(hist),
    ...get(f),
    ...op.i32Const(FEATURE_HISTOGRAM_BYTES),
    ...op.i32Mul,
    ...op.i32Add,
    ...op.localTee(off),
    ...op.f64Load(255 * 24),
    ...set(gM),
    ...get(off),
    ...op.f64Load(255 * 24 + 8),
    ...set(hM),
    ...get(off),
    ...op.f64Load(255 * 24 + 16),
    ...set(cM),
    ...get(f),
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32Load(layout.thresholdCounts),
    ...op.i32Const(1),
    ...op.i32Add,
    ...set(nb),
    ...op.f64Const(0),
    ...set(gL),
    ...op.f64Const(0),
    ...set(hL),
    ...op.f64Const(0),
    ...set(cL),
    ...op.i32Const(0),
    ...set(b),
    ...countedLoop(b, b, nb, perBin),
  ];
  return {
    name: 'findSplit',
    params: [ValType.i32, ...Array<ValType>(8).fill(ValType.f64), ValType.i32],
    results: [ValType.i32],
    locals: [...Array<ValType>(6).fill(ValType.i32), ...Array<ValType>(10).fill(ValType.f64), ValType.i32],
    body: [
      ...op.i32Const(0),
      ...set(found),
      ...op.i32Const(0),
      ...set(f),
      ...op.i32Const(layout.columns),
      ...set(columns),
      ...countedLoop(f, f, columns, perFeature),
      ...get(found),
    ],
  };
}

function histogramAll(layout: GbdtKernelLayout, counts: boolean) {
  // params: from 0, to 1, hist 2; locals: row 3, base 4, address 5, gradHess 6
  const l = { row: 3, hist: 2, base: 4, address: 5, gradHess: 6 };
  return {
    name: counts ? 'histogramAll' : 'histogramSums',
    params: [ValType.i32, ValType.i32, ValType.i32],
    results: [],
    locals: [ValType.i32, ValType.i32, ValType.i32, ValType.v128],
    body: [...zeroHistogram(layout, 2), ...countedLoop(l.row, 0, 1, addRow(layout, l, counts))],
  };
}

function histogramRows(layout: GbdtKernelLayout) {
  // params: list 0, from 1, to 2, hist 3; locals: k 4, row 5, base 6, address 7, gradHess 8
  const l = { row: 5, hist: 3, base: 6, address: 7, gradHess: 8 };
  const k = 4;
  const body = [
    ...op.localGet(0),
    ...op.localGet(k),
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.i32Load(0),
    ...op.localSet(l.row),
    ...addRow(layout, l),
  ];
  return {
    name: 'histogramRows',
    params: [ValType.i32, ValType.i32, ValType.i32, ValType.i32],
    results: [],
    locals: [ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.v128],
    body: [...zeroHistogram(layout, 3), ...countedLoop(k, 1, 2, body)],
  };
}

/** `partition`, or with `allRows` `partitionAll`, which takes `read / 4` as the row itself (the root, before any partition). */
function partition(layout: GbdtKernelLayout, allRows: boolean) {
  // params: feature 0, bin 1, missingLeft 2, read 3, count 4, step 5, leftOut 6, rightOut 7;
  // locals: k 8, lefts 9, row 10, b 11, goRight 12, column 13
  const [feature, bin, missingLeft, read, count, step, leftOut, rightOut] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [k, lefts, row, b, goRight, column] = [8, 9, 10, 11, 12, 13];
  const rowAtRead = allRows
    ? [...op.localGet(read), ...op.i32Const(2), ...op.i32ShrU]
    : [...op.localGet(read), ...op.i32Load(0)];
  const body = [
    ...rowAtRead,
    ...op.localSet(row),
    ...op.localGet(read),
    ...op.localGet(step),
    ...op.i32Add,
    ...op.localSet(read),
    // b = binnedColumns[feature * binnedRows + row]
    ...op.localGet(column),
    ...op.localGet(row),
    ...op.i32Add,
    ...op.i32Load8U(layout.binnedColumns),
    ...op.localSet(b),
    // goRight = ((bin - b) >>> 31) & (1 - (((b + 1) >> 8) & missingLeft))
    ...op.localGet(bin),
    ...op.localGet(b),
    ...op.i32Sub,
    ...op.i32Const(31),
    ...op.i32ShrU,
    ...op.i32Const(1),
    ...op.localGet(b),
    ...op.i32Const(1),
    ...op.i32Add,
    ...op.i32Const(8),
    ...op.i32ShrS,
    ...op.localGet(missingLeft),
    ...op.i32And,
    ...op.i32Sub,
    ...op.i32And,
    ...op.localSet(goRight),
    // *(goRight ? rightOut : leftOut) = row (one store: parts of a parallel partition write next to each other)
    ...op.localGet(rightOut),
    ...op.localGet(leftOut),
    ...op.localGet(goRight),
    ...op.select,
    ...op.localGet(row),
    ...op.i32Store(0),
    // rightOut += step & -goRight; leftOut += step & (goRight - 1); lefts += 1 - goRight
    ...op.localGet(rightOut),
    ...op.localGet(step),
    ...op.i32Const(0),
    ...op.localGet(goRight),
    ...op.i32Sub,
    ...op.i32And,
    ...op.i32Add,
    ...op.localSet(rightOut),
    ...op.localGet(leftOut),
    ...op.localGet(step),
    ...op.localGet(goRight),
    ...op.i32Const(1),
    ...op.i32Sub,
    ...op.i32And,
    ...op.i32Add,
    ...op.localSet(leftOut),
    ...op.localGet(lefts),
    ...op.i32Const(1),
    ...op.i32Add,
    ...op.localGet(goRight),
    ...op.i32Sub,
    ...op.localSet(lefts),
  ];
  return {
    name: allRows ? 'partitionAll' : 'partition',
    params: Array<ValType>(8).fill(ValType.i32),
    results: [ValType.i32],
    locals: Array<ValType>(6).fill(ValType.i32),
    body: [
      ...op.localGet(feature),
      ...op.i32Const(layout.binnedRows),
      ...op.i32Mul,
      ...op.localSet(column),
      ...op.i32Const(0),
      ...op.localTee(lefts),
      ...op.localSet(k),
      ...countedLoop(k, k, count, body),
      ...op.localGet(lefts),
    ],
  };
}

/**
 * Float operations on one value (`f64`) or two at once (`f64x2`), so that the logistic gradient is
 * written once and emitted both as the vector loop (two rows per step) and as its scalar tail.
 */
interface Lanes {
  constant: (value: number) => readonly number[];
  add: readonly number[];
  sub: readonly number[];
  mul: readonly number[];
  div: readonly number[];
  neg: readonly number[];
  nearest: readonly number[];
  /** clamp(top, -limit, limit) */
  clamp: (limit: number) => readonly number[];
  /** 2^k for integral k in local `k`. */
  pow2: (k: number) => readonly number[];
  /** Loads the raw scores of the row(s) at byte address `raw + 8 i` (address on the stack). */
  loadRaw: (offset: number) => readonly number[];
  /** Loads the label(s), float32, promoted (address on the stack). */
  loadLabel: (offset: number) => readonly number[];
  /**
   * Stores the (gradient, hessian) pair(s) of the row(s) as float32 at byte `offset` + `address`:
   * `address`, `gradient` and `hessian` are code leaving an i32 and two values of the lanes' type.
   */
  storeGradHess: (
    offset: number,
    address: readonly number[],
    gradient: readonly number[],
    hessian: readonly number[],
  ) => readonly number[];
}

const scalarLanes: Lanes = {
  constant: (value) => op.f64Const(value),
  add: op.f64Add,
  sub: op.f64Sub,
  mul: op.f64Mul,
  div: op.f64Div,
  neg: op.f64Neg,
  nearest: op.f64Nearest,
  clamp: (limit) => [...op.f64Const(limit), ...op.f64Min, ...op.f64Const(-limit), ...op.f64Max],
  pow2: (k) => [
    ...op.localGet(k),
    ...op.i64TruncF64S,
    ...op.i64Const(1023),
    ...op.i64Add,
    ...op.i64Const(52),
    ...op.i64Shl,
    ...op.f64ReinterpretI64,
  ],
  loadRaw: (offset) => op.f64Load(offset),
  loadLabel: (offset) => [...op.f32Load(offset), ...op.f64PromoteF32],
  storeGradHess: (offset, address, gradient, hessian) => [
    ...address,
    ...gradient,
    ...op.f32DemoteF64,
    ...op.f32Store(offset),
    ...address,
    ...hessian,
    ...op.f32DemoteF64,
    ...op.f32Store(offset + 4),
  ],
};

const vectorLanes: Lanes = {
  constant: (value) => [...op.f64Const(value), ...op.f64x2Splat],
  add: op.f64x2Add,
  sub: op.f64x2Sub,
  mul: op.f64x2Mul,
  div: op.f64x2Div,
  neg: op.f64x2Neg,
  nearest: op.f64x2Nearest,
  clamp: (limit) => [
    ...op.f64Const(limit),
    ...op.f64x2Splat,
    ...op.f64x2Pmin,
    ...op.f64Const(-limit),
    ...op.f64x2Splat,
    ...op.f64x2Pmax,
  ],
  pow2: (k) => [
    ...op.localGet(k),
    ...op.i32x4TruncSatF64x2SZero,
    ...op.i64x2ExtendLowI32x4S,
    ...op.i64Const(1023),
    ...op.i64x2Splat,
    ...op.i64x2Add,
    ...op.i32Const(52),
    ...op.i64x2Shl,
  ],
  loadRaw: (offset) => op.v128Load(offset),
  loadLabel: (offset) => [...op.v128Load64Zero(offset), ...op.f64x2PromoteLowF32x4],
  // (g0, g1) and (h0, h1) as float32, interleaved to g0 h0 g1 h1: one 16-byte store for two rows.
  storeGradHess: (offset, address, gradient, hessian) => [
    ...address,
    ...gradient,
    ...op.f32x4DemoteF64x2Zero,
    ...hessian,
    ...op.f32x4DemoteF64x2Zero,
    ...op.i8x16Shuffle([0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23]),
    ...op.v128Store(offset),
  ],
};

/** Degree of the Taylor polynomial of e^r, |r| <= ln(2)/2: relative error below 3e-13. */
const EXP_DEGREE = 10;

/** e^x for x in local `x` (clamped to ±700), left on the stack; uses locals `k` and `r` of the lanes' type. */
function exp(lanes: Lanes, x: number, k: number, r: number): number[] {
  const code = [
    // k = nearest(x / ln 2); r = x - k ln 2 (ln 2 split in two for precision)
    ...op.localGet(x),
    ...lanes.clamp(700),
    ...op.localTee(x),
    ...lanes.constant(1 / Math.LN2),
    ...lanes.mul,
    ...lanes.nearest,
    ...op.localSet(k),
    ...op.localGet(x),
    ...op.localGet(k),
    ...lanes.constant(6.9314718036912381649e-1),
    ...lanes.mul,
    ...lanes.sub,
    ...op.localGet(k),
    ...lanes.constant(1.90821492927058770002e-10),
    ...lanes.mul,
    ...lanes.sub,
    ...op.localSet(r),
  ];
  // e^r = Σ r^n / n!, Horner form
  const inverseFactorial = (n: number): number => {
    let factorial = 1;
    for (let j = 2; j <= n; j++) factorial *= j;
    return 1 / factorial;
  };
  code.push(...lanes.constant(inverseFactorial(EXP_DEGREE)));
  for (let n = EXP_DEGREE - 1; n >= 0; n--) {
    code.push(...op.localGet(r), ...lanes.mul, ...lanes.constant(inverseFactorial(n)), ...lanes.add);
  }
  // × 2^k, built from the exponent bits
  code.push(...lanes.pow2(k), ...lanes.mul);
  return code;
}

/** Locals of {@link logLossGradient}: row index (i32) and four of the lanes' type. */
interface GradientLocals {
  i: number;
  x: number;
  k: number;
  r: number;
  p: number;
}

/** Gradient p - y and hessian p (1 - p), p = 1 / (1 + e^-z), of the row(s) from `i`. */
function logLossGradient(layout: GbdtKernelLayout, lanes: Lanes, l: GradientLocals): number[] {
  const address = (shift: number) => [...op.localGet(l.i), ...op.i32Const(shift), ...op.i32Shl];
  return [
    ...address(3),
    ...lanes.loadRaw(layout.raw),
    ...lanes.neg,
    ...op.localSet(l.x),
    ...lanes.constant(1),
    ...lanes.constant(1),
    ...exp(lanes, l.x, l.k, l.r),
    ...lanes.add,
    ...lanes.div,
    ...op.localSet(l.p),
    ...lanes.storeGradHess(
      layout.gradHess,
      address(3),
      [...op.localGet(l.p), ...address(2), ...lanes.loadLabel(layout.labels), ...lanes.sub],
      [...op.localGet(l.p), ...lanes.constant(1), ...op.localGet(l.p), ...lanes.sub, ...lanes.mul],
    ),
  ];
}

/**
 * `while (i + rows <= to) { body; i += rows }`, `i` an i32 local (the loop of {@link gradients}:
 * four rows per step, then two, then the scalar tail).
 */
function rowsLoop(i: number, to: number, rows: number, body: readonly number[]): number[] {
  return [
    ...op.block,
    ...op.loop,
    ...op.localGet(i),
    ...op.i32Const(rows),
    ...op.i32Add,
    ...op.localGet(to),
    ...op.i32GtU,
    ...op.brIf(1),
    ...body,
    ...op.localGet(i),
    ...op.i32Const(rows),
    ...op.i32Add,
    ...op.localSet(i),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

function gradients(layout: GbdtKernelLayout) {
  // params: objective 0, from 1, to 2; locals: i 3 (i32); x 4, k 5, r 6, p 7 (f64); x 8, k 9, r 10,
  // p 11 (v128); i2 12 (i32); x 13, k 14, r 15, p 16 (v128)
  const [objective, from, to, i, i2] = [0, 1, 2, 3, 12];
  const scalar = { i, x: 4, k: 5, r: 6, p: 7 };
  const vector = { i, x: 8, k: 9, r: 10, p: 11 };
  const second = { i: i2, x: 13, k: 14, r: 15, p: 16 };
  // Four rows per step, as two independent pairs: one pair's exponential is a chain of dependent
  // operations that leaves the processor waiting, and the other pair's fills the gaps.
  const vectorLoop = [
    ...op.localGet(from),
    ...op.localSet(i),
    ...rowsLoop(i, to, 4, [
      ...op.localGet(i),
      ...op.i32Const(2),
      ...op.i32Add,
      ...op.localSet(i2),
      ...logLossGradient(layout, vectorLanes, vector),
      ...logLossGradient(layout, vectorLanes, second),
    ]),
    ...rowsLoop(i, to, 2, logLossGradient(layout, vectorLanes, vector)),
  ];
  const squaredError = scalarLanes.storeGradHess(
    layout.gradHess,
    [...op.localGet(i), ...op.i32Const(3), ...op.i32Shl],
    [
      ...op.localGet(i),
      ...op.i32Const(3),
      ...op.i32Shl,
      ...op.f64Load(layout.raw),
      ...op.localGet(i),
      ...op.i32Const(2),
      ...op.i32Shl,
      ...op.f32Load(layout.labels),
      ...op.f64PromoteF32,
      ...op.f64Sub,
    ],
    op.f64Const(1),
  );
  return {
    name: 'gradients',
    params: [ValType.i32, ValType.i32, ValType.i32],
    results: [],
    locals: [
      ValType.i32,
      ...Array<ValType>(4).fill(ValType.f64),
      ...Array<ValType>(4).fill(ValType.v128),
      ValType.i32,
      ...Array<ValType>(4).fill(ValType.v128),
    ],
    body: [
      ...op.localGet(objective),
      ...op.i32Eqz,
      ...op.if,
      ...vectorLoop,
      ...countedLoop(i, i, to, logLossGradient(layout, scalarLanes, scalar)),
      ...op.else,
      ...countedLoop(i, from, to, [...squaredError]),
      ...op.end,
    ],
  };
}

/** Locals of {@link lowerBound}. */
interface SearchLocals {
  lo: number;
  hi: number;
  mid: number;
  below: number;
  target: number;
}

/**
 * Leaves in local `lo` the first position of `lo..hi` whose row is not below local `target` (`hi`
 * when there is none): a branch-free binary search of ascending rows.
 */
function lowerBound(layout: GbdtKernelLayout, l: SearchLocals): number[] {
  return [
    ...op.block,
    ...op.loop,
    ...op.localGet(l.lo),
    ...op.localGet(l.hi),
    ...op.i32GeU,
    ...op.brIf(1),
    // mid = (lo + hi) >>> 1; below = target > rows[mid]; lo = below ? mid + 1 : lo; hi = below ? hi : mid
    ...op.localGet(l.lo),
    ...op.localGet(l.hi),
    ...op.i32Add,
    ...op.i32Const(1),
    ...op.i32ShrU,
    ...op.localSet(l.mid),
    ...op.localGet(l.mid),
    ...op.i32Const(1),
    ...op.i32Add,
    ...op.localGet(l.lo),
    ...op.localGet(l.target),
    ...op.localGet(l.mid),
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32Load(layout.rows),
    ...op.i32GtU,
    ...op.localTee(l.below),
    ...op.select,
    ...op.localGet(l.hi),
    ...op.localGet(l.mid),
    ...op.localGet(l.below),
    ...op.select,
    ...op.localSet(l.hi),
    ...op.localSet(l.lo),
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

/**
 * Rows whose scores {@link addLeafValues} adds leaf by leaf before going on to the next rows: 256 KB
 * of scores, which stay in the L2 cache while every leaf adds to its rows among them.
 */
export const LEAF_VALUE_BLOCK_ROWS = 32_768;

/**
 * A leaf's rows are ascending (partitions are stable and every tree starts from rows in order), so
 * the ones in a range of rows are one run of its positions, found by binary search: a thread reads
 * only its own rows' positions, with no branch per row (testing each position was a branch taken at
 * random, half the time on two threads). The thread's rows are taken in blocks, every leaf adding
 * to its rows of a block before the next block, so that each score's cache line is fetched once
 * rather than once per leaf that has a row in it.
 */
function addLeafValues(layout: GbdtKernelLayout) {
  // params: table 0, leaves 1, from 2, to 3; locals: leaf 4, k 5, end 6, entry 7, row 8, lo 9,
  // hi 10, mid 11, below 12, target 13 (i32), value 14 (f64), blockFrom 15, blockTo 16 (i32)
  const [table, leaves, from, to, leaf, k, end, entry, row] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const search: SearchLocals = { lo: 9, hi: 10, mid: 11, below: 12, target: 13 };
  const value = 14;
  const [blockFrom, blockTo] = [15, 16];
  const addToRow = [
    // raw[rows[k]] += value
    ...op.localGet(k),
    ...op.i32Const(2),
    ...op.i32Shl,
    ...op.i32Load(layout.rows),
    ...op.i32Const(3),
    ...op.i32Shl,
    ...op.localTee(row),
    ...op.localGet(row),
    ...op.f64Load(layout.raw),
    ...op.localGet(value),
    ...op.f64Add,
    ...op.f64Store(layout.raw),
  ];
  const perLeaf = [
    ...op.localGet(table),
    ...op.localGet(leaf),
    ...op.i32Const(LEAF_ENTRY_BYTES),
    ...op.i32Mul,
    ...op.i32Add,
    ...op.localSet(entry),
    ...op.localGet(entry),
    ...op.f64Load(8),
    ...op.localSet(value),
    // k = the leaf's first position of a row >= blockFrom; end = its first of a row >= blockTo
    ...op.localGet(entry),
    ...op.i32Load(0),
    ...op.localSet(search.lo),
    ...op.localGet(entry),
    ...op.i32Load(4),
    ...op.localTee(end),
    ...op.localSet(search.hi),
    ...op.localGet(blockFrom),
    ...op.localSet(search.target),
    ...lowerBound(layout, search),
    ...op.localGet(search.lo),
    ...op.localSet(k),
    ...op.localGet(end),
    ...op.localSet(search.hi),
    ...op.localGet(blockTo),
    ...op.localSet(search.target),
    ...lowerBound(layout, search),
    ...op.localGet(search.lo),
    ...op.localSet(end),
    ...countedLoop(k, k, end, addToRow),
  ];
  const perBlock = [
    // blockTo = min(blockFrom + LEAF_VALUE_BLOCK_ROWS, to)
    ...op.localGet(blockFrom),
    ...op.i32Const(LEAF_VALUE_BLOCK_ROWS),
    ...op.i32Add,
    ...op.localTee(blockTo),
    ...op.localGet(to),
    ...op.localGet(to),
    ...op.localGet(blockTo),
    ...op.i32GtU,
    ...op.select,
    ...op.localSet(blockTo),
    ...op.i32Const(0),
    ...op.localSet(leaf),
    ...countedLoop(leaf, leaf, leaves, perLeaf),
  ];
  return {
    name: 'addLeafValues',
    params: [ValType.i32, ValType.i32, ValType.i32, ValType.i32],
    results: [],
    locals: [...Array<ValType>(10).fill(ValType.i32), ValType.f64, ValType.i32, ValType.i32],
    body: countedLoop(blockFrom, from, to, perBlock, LEAF_VALUE_BLOCK_ROWS),
  };
}

/** The module's bytes for a layout. Deterministic: the same layout gives the same bytes. */
export function gbdtKernelModule(layout: GbdtKernelLayout): Uint8Array {
  return encodeModule({
    memory: { pages: layout.pages, shared: layout.shared },
    functions: [
      binRows(layout),
      sortColumn(layout),
      mergeHistograms(layout),
      findSplit(layout),
      histogramAll(layout, true),
      histogramAll(layout, false),
      histogramRows(layout),
      partition(layout, false),
      partition(layout, true),
      gradients(layout),
      addLeafValues(layout),
    ],
  });
}

/** Instantiates the kernels over `memory` (synchronously: the module is a few kilobytes). */
export function instantiateGbdtKernels(bytes: Uint8Array, memory: WebAssembly.Memory): GbdtWasmKernels {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports as unknown as GbdtWasmKernels;
}
