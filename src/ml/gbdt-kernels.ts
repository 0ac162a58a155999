/* eslint-disable @typescript-eslint/no-non-null-assertion -- hot loops over typed arrays whose sizes are fixed up front; `!` keeps them free of extra branches */
/**
 * The JavaScript hot loops of training (bin edges and binning for gradient boosting, the
 * logistic-regression objective) and the loop every worker thread runs. They are self-contained
 * functions (no imports, no module-level state; they call only each other) so that the very same
 * code runs on the main thread and, through `kernelWorkerSource()`, inside `worker_threads` workers
 * sharing the training arena. (An imported name would break in workers: test runners rewrite
 * references to imports.)
 * Histograms, partitions, gradients and score updates run as WebAssembly (`gbdt-wasm-kernels.ts`).
 *
 * Histogram layout: for feature `f` and bin `b` (0..255, 255 = missing), the sums of gradient,
 * hessian and row count sit at `hist[(f * 256 + b) * 3 + 0|1|2]`.
 *
 * @example
 * ```ts
 * import { binRows } from './gbdt-kernels.js';
 * binRows(features, columns, thresholds, thresholdCounts, binned, columns, 0, rows, 0);
 * ```
 */

// Types only: erased at run time, so the worker source stays free of imports.
import type { GbdtWasmKernels } from './gbdt-wasm-kernels.js';

/** Doubles per feature in a histogram: 256 bins × (gradient, hessian, count). */
export const HISTOGRAM_STRIDE = 768;

/**
 * Maps rows `from..to` of the row-major float matrix to bins: bin = number of the feature's
 * thresholds strictly below the value (so `value <= thresholds[b]` ⇔ `bin <= b`); NaN → 255.
 * Row `i` of `features` is written to row `i + outOffset` of `binned` (one byte per feature).
 * `thresholds` holds 255 float32 slots per feature, `thresholdCounts` how many are used.
 */
export function binRows(
  features: Float32Array,
  columns: number,
  thresholds: Float32Array,
  thresholdCounts: Int32Array,
  binned: Uint8Array,
  from: number,
  to: number,
  outOffset: number,
): void {
  // Each feature's thresholds padded to 256 with +Infinity, so that the lower bound is a fixed,
  // branch-free sequence of 8 halvings instead of a data-dependent binary search.
  const padded = new Float32Array(columns * 256).fill(Number.POSITIVE_INFINITY);
  for (let f = 0; f < columns; f++) {
    padded.set(thresholds.subarray(f * 255, f * 255 + thresholdCounts[f]!), f * 256);
  }
  for (let i = from; i < to; i++) {
    const base = i * columns;
    const out = (i + outOffset) * columns;
    for (let f = 0; f < columns; f++) {
      const x = features[base + f]!;
      // bin = number of thresholds below x
      const t = f * 256 - 1;
      let bin = padded[t + 128]! < x ? 128 : 0;
      bin += padded[t + bin + 64]! < x ? 64 : 0;
      bin += padded[t + bin + 32]! < x ? 32 : 0;
      bin += padded[t + bin + 16]! < x ? 16 : 0;
      bin += padded[t + bin + 8]! < x ? 8 : 0;
      bin += padded[t + bin + 4]! < x ? 4 : 0;
      bin += padded[t + bin + 2]! < x ? 2 : 0;
      bin += padded[t + bin + 1]! < x ? 1 : 0;
      binned[out + f] = x === x ? bin : 255;
    }
  }
}

/**
 * Bin edges of every feature from its sorted sampled values, written to `thresholds` (255 slots per
 * feature) and `counts`.
 */
export function featureThresholds(job: {
  columns: number;
  maxBins: number;
  thresholds: Float32Array;
  counts: Int32Array;
  /** The feature's non-missing sampled values, ascending. */
  sortedColumn: (feature: number) => Float32Array;
}): void {
  for (let f = 0; f < job.columns; f++) {
    const edges = edgesOf(job.sortedColumn(f), job.maxBins);
    job.thresholds.set(edges, f * 255);
    job.counts[f] = edges.length;
  }
}

/**
 * The `sortedColumn` of {@link featureThresholds} for thread `part` of `parts`: the WebAssembly sort
 * of the first `rows` staging rows, in the part's share of the `sortScratch` region (two arrays of
 * `rows` float32, then the kernel's counters). The returned view is overwritten by the next call.
 */
export function sortedColumnOf(
  kernels: GbdtWasmKernels,
  buffer: ArrayBufferLike,
  scratch: { offset: number; bytes: number },
  part: number,
  parts: number,
  rows: number,
): (feature: number) => Float32Array {
  const keys = scratch.offset + part * Math.floor(scratch.bytes / parts);
  const other = keys + rows * 4;
  const counters = other + rows * 4;
  return (feature) =>
    new Float32Array(buffer, keys, kernels.sortColumn(feature, rows, keys, other, counters));
}

/** Edges of one feature from its sorted non-missing values. Self-contained (runs in workers). */
export function edgesOf(sorted: Float32Array, maxBins: number): Float32Array {
  const m = sorted.length;
  if (m === 0) return new Float32Array(0);
  const distinct: number[] = [];
  for (let i = 0; i < m && distinct.length <= maxBins; i++) {
    const x = sorted[i] ?? 0;
    if (distinct.length === 0 || x !== distinct[distinct.length - 1]) distinct.push(x);
  }
  const out: number[] = [];
  const push = (edge: number): void => {
    const e = Math.fround(edge);
    if (out.length === 0 || e > (out[out.length - 1] ?? -Infinity)) out.push(e);
  };
  if (distinct.length <= maxBins) {
    for (let k = 0; k + 1 < distinct.length; k++) push(((distinct[k] ?? 0) + (distinct[k + 1] ?? 0)) / 2);
  } else {
    // numpy percentile, method 'midpoint', at linspace(0, 100, maxBins + 1)[1:-1]
    for (let k = 1; k < maxBins; k++) {
      const position = (k / maxBins) * (m - 1);
      const lo = Math.floor(position);
      const hi = Math.ceil(position);
      push(((sorted[lo] ?? 0) + (sorted[hi] ?? 0)) / 2);
    }
  }
  // The largest edge must stay below the largest value so that the last bin is not empty.
  const max = sorted[m - 1] ?? 0;
  while (out.length > 0 && (out[out.length - 1] ?? 0) >= max) out.pop();
  return Float32Array.from(out);
}

/**
 * One share of the logistic-regression objective over rows `from..to`: with `params` = effective
 * weights on raw features then the effective intercept, writes at `out[offset..]` the loss sum
 * Σ log(1 + e^z) − y z, the residual sum Σ (p − y) and, per feature, Σ (p − y) x_j.
 */
export function logisticPartial(
  features: Float32Array,
  columns: number,
  labels: Float32Array,
  params: Float64Array,
  out: Float64Array,
  offset: number,
  from: number,
  to: number,
): void {
  const b = params[columns]!;
  const g0 = offset + 2;
  for (let j = 0; j < columns; j++) out[g0 + j] = 0;
  let loss = 0;
  let sumR = 0;
  for (let i = from; i < to; i++) {
    const base = i * columns;
    let z = b;
    for (let j = 0; j < columns; j++) z += params[j]! * features[base + j]!;
    const y = labels[i]!;
    const e = Math.exp(z > 0 ? -z : z);
    loss += (z > 0 ? z : 0) + Math.log(1 + e) - y * z;
    const r = (z > 0 ? 1 / (1 + e) : e / (1 + e)) - y;
    sumR += r;
    for (let j = 0; j < columns; j++) out[g0 + j] = out[g0 + j]! + r * features[base + j]!;
  }
  out[offset] = loss;
  out[offset + 1] = sumR;
}

/** Splits `count` positions from `start` into `parts` near-equal ranges; returns part `part`. */
export function partRange(start: number, count: number, part: number, parts: number): [number, number] {
  return [start + Math.floor((count * part) / parts), start + Math.floor((count * (part + 1)) / parts)];
}

/**
 * A partition of the leaf at positions `start..start+count` of the row list `source` into the same
 * positions of `target` (byte addresses of Uint32 lists), as every part of it sees it.
 */
export interface PartitionSpec {
  feature: number;
  bin: number;
  /** 1 when the missing bin goes left. */
  missingLeft: number;
  /** The root: position k holds row k (`source` is not read, so middle parts may write to it). */
  allRows: boolean;
  source: number;
  target: number;
  /** Where middle parts keep their left rows until every part's count is known (threads > 2). */
  staging: number;
  start: number;
  count: number;
  /** Rows going left, known from the histogram before partitioning. */
  countLeft: number;
  /** The side whose histogram the part builds from the rows it partitioned (into `address`), or null. */
  histogram: { left: boolean; address: number } | null;
}

/**
 * Part `part` of `parts` partitions its share of the leaf's positions; returns its left rows.
 * Since `countLeft` is known, the first part writes its runs to their final places forwards (from
 * the start of the left and of the right rows) and the last part backwards (from their ends,
 * reading its rows backwards, so both runs stay ascending), so with two threads no rows are moved
 * twice. Parts in between cannot know where their runs go before the parts ahead have counted: they
 * keep their left rows in `staging` and their right rows in their own positions of `source`, and
 * {@link gatherMiddleRuns} moves them once every part has arrived at the task's barrier. Then the
 * part builds the histogram of its run of one side, while those rows are in cache.
 */
export function partitionPart(
  kernels: Pick<GbdtWasmKernels, 'partition' | 'partitionAll' | 'histogramRows'>,
  spec: PartitionSpec,
  part: number,
  parts: number,
): number {
  const { feature, bin, missingLeft, source, target, start } = spec;
  const [from, to] = partRange(start, spec.count, part, parts);
  const rows = to - from;
  const partitionRows = spec.allRows ? kernels.partitionAll : kernels.partition;
  const read = (position: number): number => (spec.allRows ? 0 : source) + 4 * position;
  const leftEnd = start + spec.countLeft;
  const end = start + spec.count;
  // Each run as [list, first position, position after the last].
  let leftRun: [number, number, number];
  let rightRun: [number, number, number];
  let lefts: number;
  if (part === 0) {
    lefts = partitionRows(
      feature,
      bin,
      missingLeft,
      read(from),
      rows,
      4,
      target + 4 * start,
      target + 4 * leftEnd,
    );
    leftRun = [target, start, start + lefts];
    rightRun = [target, leftEnd, leftEnd + rows - lefts];
  } else if (part === parts - 1) {
    const [lastLeft, lastRight] = [target + 4 * (leftEnd - 1), target + 4 * (end - 1)];
    lefts = partitionRows(feature, bin, missingLeft, read(to - 1), rows, -4, lastLeft, lastRight);
    leftRun = [target, leftEnd - lefts, leftEnd];
    rightRun = [target, end - (rows - lefts), end];
  } else {
    // Right rows written over the part's own positions of `source`, behind the reads.
    const [toStaging, inPlace] = [spec.staging + 4 * from, source + 4 * from];
    lefts = partitionRows(feature, bin, missingLeft, read(from), rows, 4, toStaging, inPlace);
    leftRun = [spec.staging, from, from + lefts];
    rightRun = [source, from, from + rows - lefts];
  }
  if (spec.histogram !== null) {
    const [list, first, after] = spec.histogram.left ? leftRun : rightRun;
    kernels.histogramRows(list, first, after, spec.histogram.address);
  }
  return lefts;
}

/**
 * A middle part's runs (see {@link partitionPart}) to their final places in `target`, once every
 * part's left count is at `control[32 + q]`: left runs in part order, then right runs, which keeps
 * the partition stable. `words` spans the whole memory.
 */
export function gatherMiddleRuns(
  words: Uint32Array,
  spec: PartitionSpec,
  control: Int32Array,
  part: number,
  parts: number,
): void {
  let leftOut = spec.start;
  let rightOut = spec.start + spec.countLeft;
  for (let q = 0; q < part; q++) {
    const [qFrom, qTo] = partRange(spec.start, spec.count, q, parts);
    leftOut += control[32 + q]!;
    rightOut += qTo - qFrom - control[32 + q]!;
  }
  const [from, to] = partRange(spec.start, spec.count, part, parts);
  const lefts = control[32 + part]!;
  const [staging, source, target] = [spec.staging / 4, spec.source / 4, spec.target / 4];
  words.copyWithin(target + leftOut, staging + from, staging + from + lefts);
  words.copyWithin(target + rightOut, source + from, source + to - lefts);
}

/**
 * `kernels.binRows` over `from..to` in calls of 8,192 rows. V8 runs a WebAssembly function's first
 * calls in its baseline compiler and switches to optimized code at the next call once that is
 * compiled: binning a thread's share in one call ran all of it in baseline code (measured on 200k
 * rows: 86 ms in one call, 60 ms in 16, 53 ms optimized).
 */
export function binRowsInChunks(
  kernels: Pick<GbdtWasmKernels, 'binRows'>,
  from: number,
  to: number,
  outRow: number,
): void {
  for (let start = from; start < to; start += 8192)
    kernels.binRows(start, Math.min(to, start + 8192), outRow);
}

/**
 * Marks this part as past the barrier of the running task (control word 13; the self-contained
 * worker source cannot share a named constant). The last part to arrive wakes the waiting ones.
 */
export function arriveAtBarrier(control: Int32Array, parts: number): void {
  if (Atomics.add(control, 13, 1) + 1 === parts) Atomics.notify(control, 13);
}

/**
 * Waits until all `parts` parts have arrived at the barrier: spins `spinLimit` polls, then sleeps.
 * Returns false instead when a part has failed (control word 15) or after `timeoutMs`.
 */
export function awaitBarrier(
  control: Int32Array,
  parts: number,
  spinLimit: number,
  timeoutMs: number,
): boolean {
  for (let spin = 0; spin < spinLimit && Atomics.load(control, 13) < parts; spin++);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const arrived = Atomics.load(control, 13);
    if (arrived >= parts) return true;
    if (Atomics.load(control, 15) !== 0 || Date.now() > deadline) return false;
    Atomics.wait(control, 13, arrived, 100);
  }
}

/** What a worker receives (structured-cloned; the arena's memory is shared, not copied). */
export interface KernelWorkerData {
  /** 1..threads-1 (the main thread is part 0). */
  index: number;
  threads: number;
  /** The pool's control words (see {@link kernelWorkerMain}). */
  control: SharedArrayBuffer;
  /** The shared memory and its named regions (see `training-arena.ts`). */
  memory: WebAssembly.Memory;
  regions: Record<string, { offset: number; bytes: number }>;
  /** Features per row (also bytes per binned row). */
  columns: number;
  /** Bytes of one histogram (gradient boosting). */
  histogramBytes: number;
  /** The gradient-boosting WebAssembly kernels (`gbdtKernelModule`), or null (logistic regression). */
  kernels: Uint8Array | null;
  /** Polls of the control word before sleeping (0 when there are more threads than cores). */
  spinLimit: number;
}

/**
 * The loop every worker runs: waits on the control word, runs its share of the task, reports.
 * Control `Int32Array`:
 * - [0] generation; [1] task: 0 exit, 1 histogram of all rows, (2 unused), 3 leaf values added to
 *   the scores (when [11] > 0), then gradients, of the part's rows, 4 binning, 5 partition, 6
 *   logistic objective, 7 partition + histogram of one side, (8 unused), 9 histogram of all rows
 *   without row counts;
 * - [2] start, [3] count, [4] objective, [5] output row offset;
 * - [6] split feature, [7] split bin, [8] missing left, [9] histogram of the left side, [12] partition
 *   reads row k at position k (the root), [49] source and [50] target row list (byte addresses),
 *   [51] rows going left (see `PartitionSpec`);
 * - [10] leaf table address, [11] leaf count;
 * - [13] parts past the barrier inside a partition task with more than two parts (reset by the
 *   main thread for every task);
 * - [15] the part that failed (0: none), [48] the length of its message (UTF-8 from byte 256);
 * - [16 + part] generation the part has finished, [32 + part] left rows of the part's partition (the
 *   main thread writes its own at [32]).
 */
export function kernelWorkerMain(data: KernelWorkerData): void {
  try {
    runKernelWorker(data);
  } catch (error) {
    // The main thread, blocked in Atomics.wait, cannot receive this worker's 'error' event: report
    // the failure in the control memory (see above), then wake it.
    const control = new Int32Array(data.control);
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const bytes = new TextEncoder().encode(text).subarray(0, data.control.byteLength - 256);
    new Uint8Array(data.control, 256).set(bytes);
    control[48] = bytes.length;
    Atomics.store(control, 15, data.index);
    Atomics.notify(control, 16 + data.index);
  }
}

/** {@link kernelWorkerMain} without the failure report. */
function runKernelWorker(data: KernelWorkerData): void {
  const control = new Int32Array(data.control);
  const buffer = data.memory.buffer;
  const view = <T>(
    name: string,
    type: { new (b: ArrayBufferLike, offset: number, length: number): T; BYTES_PER_ELEMENT: number },
  ): T => {
    const region = data.regions[name] ?? { offset: 0, bytes: 0 };
    return new type(buffer, region.offset, region.bytes / type.BYTES_PER_ELEMENT);
  };
  const address = (name: string): number => data.regions[name]?.offset ?? 0;
  const kernels =
    data.kernels === null
      ? null
      : (new WebAssembly.Instance(new WebAssembly.Module(data.kernels), { env: { memory: data.memory } })
          .exports as unknown as GbdtWasmKernels);
  const part = data.index;
  const parts = data.threads;
  const hist = address('partHistograms') + part * data.histogramBytes;
  const words = new Uint32Array(buffer);
  let seen = 0;
  for (;;) {
    // Spin briefly before sleeping: during training the next task usually comes within
    // microseconds, and waking a sleeping thread costs tens of them.
    for (let spin = 0; spin < data.spinLimit && Atomics.load(control, 0) === seen; spin++);
    Atomics.wait(control, 0, seen);
    const generation = Atomics.load(control, 0);
    if (generation === seen) continue;
    seen = generation;
    const task = control[1]!;
    if (task === 0) return;
    const start = control[2]!;
    const count = control[3]!;
    const [from, to] = partRange(start, count, part, parts);
    if (kernels !== null && task === 1) {
      kernels.histogramAll(from, to, hist);
    } else if (kernels !== null && task === 9) {
      kernels.histogramSums(from, to, hist);
    } else if (kernels !== null && task === 3) {
      if (control[11]! > 0) kernels.addLeafValues(control[10]!, control[11]!, from, to);
      kernels.gradients(control[4]!, from, to);
    } else if (kernels !== null && (task === 5 || task === 7)) {
      const spec = {
        feature: control[6]!,
        bin: control[7]!,
        missingLeft: control[8]!,
        allRows: control[12] === 1,
        source: control[49]!,
        target: control[50]!,
        staging: address('scratch2'),
        start,
        count,
        countLeft: control[51]!,
        histogram: task === 7 ? { left: control[9] === 1, address: hist } : null,
      };
      control[32 + part] = partitionPart(kernels, spec, part, parts);
      if (parts > 2) {
        arriveAtBarrier(control, parts);
        const middle = part < parts - 1;
        if (middle && awaitBarrier(control, parts, data.spinLimit, 600_000))
          gatherMiddleRuns(words, spec, control, part, parts);
      }
    } else if (task === 6) {
      logisticPartial(
        view('features', Float32Array),
        data.columns,
        view('labels', Float32Array),
        view('lrParams', Float64Array),
        view('lrPartials', Float64Array),
        part * (data.columns + 2),
        from,
        to,
      );
    } else if (kernels !== null && task === 4) {
      binRowsInChunks(kernels, from, to, control[5]!);
    }
    Atomics.store(control, 16 + part, generation);
    Atomics.notify(control, 16 + part);
  }
}

/** Source text of a worker (for `new Worker(source, { eval: true, workerData })`). */
export function kernelWorkerSource(): string {
  // `__name` is what esbuild-based loaders (tsx, vitest) insert to keep function names.
  return [
    'const __name = (f) => f;',
    logisticPartial.toString(),
    partRange.toString(),
    partitionPart.toString(),
    gatherMiddleRuns.toString(),
    binRowsInChunks.toString(),
    arriveAtBarrier.toString(),
    awaitBarrier.toString(),
    featureThresholds.toString(),
    edgesOf.toString(),
    runKernelWorker.toString(),
    kernelWorkerMain.toString(),
    "kernelWorkerMain(require('node:worker_threads').workerData);",
  ].join('\n');
}
