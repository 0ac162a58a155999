/**
 * Scoring a gradient-boosting model in WebAssembly: the trees are laid out as 16-byte node records
 * in one memory, and a kernel generated for the model's row width walks eight rows through each
 * tree at once, in lock step until none of them moves (a leaf points to itself, so rows that reach
 * their leaf early stay there). Eight independent walks keep the processor busy while each waits
 * for its loads, and the steps have no data-dependent branch; a row-by-row walk in JavaScript waits
 * on every load and mispredicts where each walk ends (500,000 flight rows, 100 trees of 31 leaves:
 * 1.19 s in JavaScript, 0.53 s here; 4 lanes 0.65 s, 16 lanes 0.59 s).
 *
 * A step is one comparison and one addition: a node's two children are stored side by side, right
 * then left, so the next node is `children + 16 * (x <= threshold)`. Missing values need no test of
 * their own: the kernel first copies each block of rows into a scratch row twice as wide, the
 * features as they are and then again with NaN replaced by -Infinity, and a node whose missing
 * values go left reads the second copy (NaN <= threshold is false, -Infinity <= threshold true).
 * A leaf compares with a NaN threshold, so every row stays on it. Against a step that loaded both
 * children and tested for NaN, 500,000 rows of the 200k-row flight model on 2 threads went from
 * 0.64–0.67 s to 0.41–0.44 s (medians of 5 calls, 3 alternating processes each).
 *
 * Leaf values are summed per row in float32, tree by tree in model order, exactly as the
 * JavaScript walk and ONNX Runtime's single-threaded tree ensemble do, so scores are bit-identical.
 *
 * Node record (byte address `n`): int32 byte offset of the feature within a scratch row, float32
 * threshold (NaN for a leaf), int32 address of the right child (the left one follows it; a leaf's
 * own address), float32 leaf value.
 *
 * @example
 * ```ts
 * const forest = compileForest(model.trees, model.columns);
 * const sums = forest.score(features, rows); // Float32Array of summed leaf values
 * ```
 */
import { Worker } from 'node:worker_threads';
import { LakeloopError } from '../errors.js';
import type { TreeArrays } from './gradient-boosting-model.js';
import { countedLoop, encodeModule, op, ValType } from './wasm-encoder.js';

/** Rows walked through a tree at once (8 measured fastest: 16 runs out of registers). */
const LANES = 8;
/**
 * Bytes of scratch rows per kernel call, which stay in the L2 cache while every tree walks them:
 * 2,048 rows of the 14 flight features. Wider rows are scored in fewer rows per call.
 */
const SCRATCH_BYTES = 2048 * 2 * 14 * 4;
/** Most rows per kernel call. */
const MAX_BLOCK_ROWS = 2048;
/** Most rows and bytes of input rows per parallel pass, so that one shared memory stays far below 4 GiB. */
const PASS_ROWS = 1 << 22;
const PASS_BYTES = 2 ** 30;
const NODE_BYTES = 16;

/** A model compiled for scoring. */
export interface CompiledForest {
  /**
   * Sums of the leaf values of every tree per row (float32, trees in order), without base score,
   * on `threads` threads (default 1; the same sums on any number).
   */
  score: (
    features: Float32Array,
    rows: number,
    threads?: number,
    options?: ParallelScoringOptions,
  ) => Float32Array;
}

/** How a parallel pass shares its chunks. */
export interface ParallelScoringOptions {
  /** Whether the calling thread scores chunks too (default); `false` leaves all to the workers (tests). */
  callerScores?: boolean;
  /** Rows per pass (tests; by default as many as fit 1 GiB of input rows). */
  passRows?: number;
}

interface ForestLayout {
  columns: number;
  /**
   * Rows per kernel call, on one thread or per chunk a thread claims: a multiple of {@link LANES}
   * whose scratch rows fit {@link SCRATCH_BYTES}.
   */
  blockRows: number;
  trees: number;
  /** Byte address of the node records. */
  nodes: number;
  /** Per tree: root address, steps (int32 pairs). */
  roots: number;
  /** First byte after the forest. */
  end: number;
}

/** Steps from the root to the deepest leaf. */
function depthOf(tree: TreeArrays): number {
  let deepest = 0;
  const stack: [number, number][] = [[0, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if ((tree.feature[node] ?? -1) < 0) deepest = Math.max(deepest, depth);
    else stack.push([tree.left[node] ?? 0, depth + 1], [tree.right[node] ?? 0, depth + 1]);
  }
  return deepest;
}

/** Lays the trees out in `memory` (see the module comment), each tree's nodes breadth first. */
function writeForest(trees: readonly TreeArrays[], layout: ForestLayout, memory: WebAssembly.Memory): void {
  const words = new Int32Array(memory.buffer);
  const floats = new Float32Array(memory.buffer);
  let slot = 0; // next free node record
  trees.forEach((tree, t) => {
    const addressOf = new Int32Array(tree.feature.length);
    const order = [0];
    addressOf[0] = layout.nodes + slot++ * NODE_BYTES;
    for (let k = 0; k < order.length; k++) {
      const node = order[k] ?? 0;
      if ((tree.feature[node] ?? -1) < 0) continue;
      const right = tree.right[node] ?? 0;
      const left = tree.left[node] ?? 0;
      addressOf[right] = layout.nodes + slot++ * NODE_BYTES;
      addressOf[left] = layout.nodes + slot++ * NODE_BYTES;
      order.push(right, left);
    }
    for (const node of order) {
      const address = addressOf[node] ?? 0;
      const word = address / 4;
      const feature = tree.feature[node] ?? -1;
      if (feature < 0) {
        words[word] = 0;
        floats[word + 1] = Number.NaN;
        words[word + 2] = address;
        floats[word + 3] = tree.value[node] ?? 0;
      } else {
        const missingLeft = tree.missingLeft[node] === 1;
        words[word] = (missingLeft ? layout.columns + feature : feature) * 4;
        floats[word + 1] = tree.threshold[node] ?? 0;
        words[word + 2] = addressOf[tree.right[node] ?? 0] ?? 0;
        floats[word + 3] = 0;
      }
    }
    words[layout.roots / 4 + 2 * t] = addressOf[0];
    words[layout.roots / 4 + 2 * t + 1] = depthOf(tree);
  });
}

/**
 * `scoreRows(input, sums, rows, scratch)`: adds every tree's leaf values to the float32 `sums` of
 * the rows of `rows` (at most `blockRows`) float32 features at byte address `input`, through
 * the scratch rows at `scratch`. Rows are rounded up to a multiple of {@link LANES}: the padding
 * rows after them are read and their sums written, so both regions need room for {@link LANES}
 * more rows.
 */
function scoreRowsKernel(layout: ForestLayout) {
  // params: input 0, sums 1, rows 2, scratch 3; locals: tree 4, steps 5, step 6, r 7, base 8,
  // rounded 9, trees 10, from 11, to 12, end 13, one node per lane from 14 (i32); then x (f32),
  // next, moved (i32)
  const [input, sumsAt, rows, scratch, tree, steps, step, r, base, rounded, trees, from, to, end] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  const firstLane = 14;
  const n = (lane: number): number => firstLane + lane;
  const [x, next, moved] = [firstLane + LANES, firstLane + LANES + 1, firstLane + LANES + 2];
  const { columns } = layout;
  const get = op.localGet;
  const set = op.localSet;
  const inputRowBytes = columns * 4;
  const rowBytes = 2 * inputRowBytes;
  // Scratch row at `to` from the input row at `from`: the features, then NaN replaced by -Infinity.
  const copyRow: number[] = [];
  for (let c = 0; c < columns; c++) {
    copyRow.push(...get(to), ...get(from), ...op.f32Load(c * 4), ...op.localTee(x), ...op.f32Store(c * 4));
    copyRow.push(...get(to), ...get(x), ...op.f32Const(Number.NEGATIVE_INFINITY), ...get(x), ...get(x));
    copyRow.push(...op.f32Eq, ...op.select, ...op.f32Store((columns + c) * 4));
  }
  copyRow.push(...get(from), ...op.i32Const(inputRowBytes), ...op.i32Add, ...set(from));
  // One step of a lane: n = children(n) + 16 * (x <= threshold(n)); when `track`ed, `moved`
  // collects whether any lane moved (none does once all are at their leaves).
  const advance = (lane: number, track: boolean): number[] => [
    // x = scratch row[the node's feature offset]
    ...get(base),
    ...get(n(lane)),
    ...op.i32Load(0),
    ...op.i32Add,
    ...op.f32Load(lane * rowBytes),
    ...get(n(lane)),
    ...op.f32Load(4),
    ...op.f32Le,
    ...op.i32Const(4),
    ...op.i32Shl,
    ...get(n(lane)),
    ...op.i32Load(8),
    ...op.i32Add,
    ...(track
      ? [
          ...op.localTee(next),
          ...get(n(lane)),
          ...op.i32Xor,
          ...get(moved),
          ...op.i32Or,
          ...set(moved),
          ...get(next),
        ]
      : []),
    ...set(n(lane)),
  ];
  // sums[r + lane] += the leaf's value
  const rowSum = [...get(sumsAt), ...get(r), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add];
  const addLeaf = (lane: number): number[] => [
    ...rowSum,
    ...rowSum,
    ...op.f32Load(lane * 4),
    ...get(n(lane)),
    ...op.f32Load(12),
    ...op.f32Add,
    ...op.f32Store(lane * 4),
  ];
  // Steps two at a time until no lane moves in the second, at most the tree's depth (rounded up):
  // testing every other step is cheaper than the step it may waste (7% off one thread's time).
  const walkLanes: number[] = [...op.i32Const(0), ...set(moved)];
  for (let lane = 0; lane < LANES; lane++) walkLanes.push(...advance(lane, false));
  for (let lane = 0; lane < LANES; lane++) walkLanes.push(...advance(lane, true));
  walkLanes.push(...get(moved), ...op.i32Eqz, ...op.brIf(1));
  const perRowGroup: number[] = [
    // base = scratch + r * rowBytes; every lane starts at the root
    ...get(scratch),
    ...get(r),
    ...op.i32Const(rowBytes),
    ...op.i32Mul,
    ...op.i32Add,
    ...set(base),
  ];
  for (let lane = 0; lane < LANES; lane++) {
    perRowGroup.push(...op.i32Const(layout.roots), ...get(tree), ...op.i32Const(3), ...op.i32Shl);
    perRowGroup.push(...op.i32Add, ...op.i32Load(0), ...set(n(lane)));
  }
  perRowGroup.push(...op.i32Const(0), ...set(step), ...countedLoop(step, step, steps, walkLanes, 2));
  for (let lane = 0; lane < LANES; lane++) perRowGroup.push(...addLeaf(lane));
  perRowGroup.push(...get(r), ...op.i32Const(LANES - 1), ...op.i32Add, ...set(r)); // + 1 by the loop
  const perTree: number[] = [
    // steps = roots[tree].steps
    ...op.i32Const(layout.roots),
    ...get(tree),
    ...op.i32Const(3),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.i32Load(4),
    ...set(steps),
    ...op.i32Const(0),
    ...set(r),
    ...countedLoop(r, r, rounded, perRowGroup),
  ];
  return {
    name: 'scoreRows',
    params: [ValType.i32, ValType.i32, ValType.i32, ValType.i32],
    results: [],
    locals: [...Array<ValType>(10 + LANES).fill(ValType.i32), ValType.f32, ValType.i32, ValType.i32],
    body: [
      // rounded = (rows + LANES - 1) & -LANES
      ...get(rows),
      ...op.i32Const(LANES - 1),
      ...op.i32Add,
      ...op.i32Const(-LANES),
      ...op.i32And,
      ...set(rounded),
      // the scratch rows: end = scratch + rounded * rowBytes
      ...get(input),
      ...set(from),
      ...get(scratch),
      ...get(rounded),
      ...op.i32Const(rowBytes),
      ...op.i32Mul,
      ...op.i32Add,
      ...set(end),
      ...get(scratch),
      ...set(to),
      ...countedLoop(to, to, end, copyRow, rowBytes),
      ...op.i32Const(layout.trees),
      ...set(trees),
      ...op.i32Const(0),
      ...set(tree),
      ...countedLoop(tree, tree, trees, perTree),
    ],
  };
}

/** Where the input rows, their sums and each thread's scratch rows go: after the forest. */
interface RowRegions {
  input: number;
  sums: number;
  /** The first thread's scratch rows; thread k's are {@link scratchBytes} × k after. */
  scratch: number;
  pages: number;
}

/** Bytes of one thread's scratch rows: `blockRows` rows of twice the features. */
function scratchBytes(layout: ForestLayout): number {
  return align(layout.blockRows * 2 * layout.columns * 4);
}

function rowRegions(layout: ForestLayout, rows: number, threads: number): RowRegions {
  const input = align(layout.end);
  const sums = align(input + (rows + LANES) * layout.columns * 4);
  const scratch = align(sums + (rows + LANES) * 4);
  const end = scratch + threads * scratchBytes(layout);
  return { input, sums, scratch, pages: Math.ceil(end / 65_536) };
}

function align(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/** A memory of `regions.pages` holding the forest, and the kernel on it. */
function instantiate(
  trees: readonly TreeArrays[],
  layout: ForestLayout,
  regions: RowRegions,
  shared: boolean,
): { memory: WebAssembly.Memory; module: WebAssembly.Module; kernel: ScoringKernel } {
  const { pages } = regions;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  writeForest(trees, layout, memory);
  const bytes = encodeModule({ memory: { pages, shared }, functions: [scoreRowsKernel(layout)] });
  const module = new WebAssembly.Module(bytes);
  const kernel = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as ScoringKernel;
  return { memory, module, kernel };
}

interface ScoringKernel {
  scoreRows: (input: number, sums: number, rows: number, scratch: number) => void;
}

/** What every thread of a parallel pass knows: where the rows and sums are. */
interface ScoringJob {
  input: number;
  sums: number;
  rows: number;
  rowBytes: number;
  /** Rows a thread claims at a time. */
  chunkRows: number;
}

/**
 * Claims chunks from control word 0 and scores them through the thread's `scratch` rows until none
 * is left, counting finished chunks in word 1. Runs on the calling thread and in the workers (see
 * {@link scoringWorkerSource}).
 */
function scoreChunks(kernel: ScoringKernel, control: Int32Array, job: ScoringJob, scratch: number): void {
  for (;;) {
    const first = Atomics.add(control, 0, 1) * job.chunkRows;
    if (first >= job.rows) return;
    const rows = Math.min(job.chunkRows, job.rows - first);
    kernel.scoreRows(job.input + first * job.rowBytes, job.sums + first * 4, rows, scratch);
    Atomics.add(control, 1, 1);
    Atomics.notify(control, 1);
  }
}

interface ScoringWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  job: ScoringJob;
  /** The worker's scratch rows. */
  scratch: number;
}

/** A worker's life: wait until the rows are copied in (word 3), score chunks, report a failure in word 2. */
function scoringWorkerMain(data: ScoringWorkerData): void {
  const control = new Int32Array(data.control);
  try {
    const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
    Atomics.wait(control, 3, 0);
    scoreChunks(instance.exports as unknown as ScoringKernel, control, data.job, data.scratch);
  } catch {
    Atomics.store(control, 2, 1);
    Atomics.notify(control, 1);
  }
}

function scoringWorkerSource(): string {
  // `__name` is what esbuild-based loaders (tsx, vitest) insert to keep function names.
  return [
    'const __name = (f) => f;',
    scoreChunks.toString(),
    scoringWorkerMain.toString(),
    "scoringWorkerMain(require('node:worker_threads').workerData);",
  ].join('\n');
}

/** Seconds without a finished chunk before a parallel pass gives up on its workers. */
const STALL_SECONDS = 60;

/**
 * Scores `rows` rows on `threads` threads: the forest and the rows in one shared memory, the
 * workers started for this pass (about 20 ms here, while the rows are copied in) and taking chunks
 * as they come up, so a worker that starts late, or shares its core, takes fewer.
 */
function scoreInParallel(
  trees: readonly TreeArrays[],
  layout: ForestLayout,
  features: Float32Array,
  rows: number,
  threads: number,
  options: ParallelScoringOptions,
): Float32Array {
  const regions = rowRegions(layout, rows, threads);
  const { memory, module, kernel } = instantiate(trees, layout, regions, true);
  const control = new Int32Array(new SharedArrayBuffer(16));
  const job: ScoringJob = {
    input: regions.input,
    sums: regions.sums,
    rows,
    rowBytes: layout.columns * 4,
    chunkRows: layout.blockRows,
  };
  const source = scoringWorkerSource();
  const scratch = (thread: number): number => regions.scratch + thread * scratchBytes(layout);
  for (let k = 1; k < threads; k++) {
    let worker: Worker;
    try {
      const workerData: ScoringWorkerData = {
        module,
        memory,
        control: control.buffer,
        job,
        scratch: scratch(k),
      };
      worker = new Worker(source, { eval: true, workerData });
    } catch {
      break; // no thread to be had: the threads already started (or this one) take every chunk
    }
    // A failure is reported in the control words; a worker never holds the process open.
    worker.on('error', () => {});
    worker.unref();
  }
  new Float32Array(memory.buffer, regions.input, rows * layout.columns).set(
    features.subarray(0, rows * layout.columns),
  );
  Atomics.store(control, 3, 1);
  Atomics.notify(control, 3);
  if (options.callerScores !== false) scoreChunks(kernel, control, job, scratch(0));
  const chunks = Math.ceil(rows / layout.blockRows);
  for (let stalled = 0; ;) {
    const done = Atomics.load(control, 1);
    if (done >= chunks) break;
    if (Atomics.load(control, 2) !== 0 || stalled >= STALL_SECONDS) {
      throw new LakeloopError('INTERNAL', 'A scoring worker thread failed; retry with threads: 1.');
    }
    if (Atomics.wait(control, 1, done, 1000) === 'timed-out') stalled++;
  }
  return new Float32Array(memory.buffer, regions.sums, rows).slice();
}

/**
 * Compiles `trees` (rows of `columns` float32 features) for {@link CompiledForest.score}. Throws
 * INVALID_ARGUMENT for a split on a NaN threshold (no trainer makes one; it would send every row
 * right, missing values too).
 */
export function compileForest(trees: readonly TreeArrays[], columns: number): CompiledForest {
  trees.forEach((tree, t) => {
    const node = tree.feature.findIndex((f, k) => f >= 0 && Number.isNaN(tree.threshold[k]));
    if (node >= 0) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Tree ${t} splits node ${node} on a NaN threshold; give it a number.`,
      );
    }
  });
  const nodeCount = trees.reduce((sum, tree) => sum + tree.feature.length, 0);
  const nodes = 0;
  const roots = align(nodes + nodeCount * NODE_BYTES);
  const end = roots + trees.length * 8;
  const blockRows = Math.max(
    LANES,
    Math.min(MAX_BLOCK_ROWS, Math.floor(SCRATCH_BYTES / (8 * columns))) & -LANES,
  );
  const layout: ForestLayout = { columns, blockRows, trees: trees.length, nodes, roots, end };
  // Scoring on this thread: blocks of rows copied into a private memory.
  const block = rowRegions(layout, blockRows, 1);
  const { memory, kernel } = instantiate(trees, layout, block, false);
  const blockView = new Float32Array(memory.buffer, block.input, blockRows * columns);
  const sumsView = new Float32Array(memory.buffer, block.sums, blockRows + LANES);
  return {
    score: (features, rows, threads = 1, options = {}) => {
      const out = new Float32Array(rows);
      if (threads > 1 && rows > blockRows) {
        const passRows =
          options.passRows ??
          Math.max(blockRows, Math.min(PASS_ROWS, Math.floor(PASS_BYTES / (4 * columns))));
        for (let start = 0; start < rows; start += passRows) {
          const count = Math.min(passRows, rows - start);
          const part = features.subarray(start * columns, (start + count) * columns);
          out.set(scoreInParallel(trees, layout, part, count, threads, options), start);
        }
        return out;
      }
      for (let start = 0; start < rows; start += blockRows) {
        const count = Math.min(blockRows, rows - start);
        blockView.set(features.subarray(start * columns, (start + count) * columns));
        sumsView.fill(0);
        kernel.scoreRows(block.input, block.sums, count, block.scratch);
        out.set(sumsView.subarray(0, count), start);
      }
      return out;
    },
  };
}
