/* eslint-disable @typescript-eslint/no-non-null-assertion -- hot loops over typed arrays whose sizes are fixed up front; `!` keeps them free of extra branches */
/**
 * The hot loops of training (gradient boosting, and the logistic-regression objective), written as self-contained functions (no imports, no
 * module-level state) so that the very same code runs on the main thread and, through
 * `kernelWorkerSource()`, inside `worker_threads` workers that share memory with it.
 *
 * Histogram layout: for feature `f` and bin `b` (0..255, 255 = missing), the sums of gradient,
 * hessian and row count sit at `hist[(f * 256 + b) * 3 + 0|1|2]`.
 *
 * @example
 * ```ts
 * import { buildHistogram } from './gbdt-kernels.js';
 * const hist = new Float64Array(columns * 768);
 * buildHistogram(binned, words, stride, columns, gradients, hessians, null, 0, rows, hist);
 * ```
 */

/** Doubles per feature in a histogram: 256 bins × (gradient, hessian, count). */
export const HISTOGRAM_STRIDE = 768;

/**
 * Adds rows `from..to` (positions in `rows`, or row numbers when `rows` is null) of the
 * row-major binned matrix (`stride` bytes per row, a multiple of 4; `words` is the same memory
 * as Uint32, read 4 bins at a time, little-endian) into `hist`, which is zeroed first.
 */
export function buildHistogram(
  binned: Uint8Array,
  words: Uint32Array,
  stride: number,
  columns: number,
  gradients: Float32Array,
  hessians: Float32Array,
  rows: Uint32Array | null,
  from: number,
  to: number,
  hist: Float64Array,
): void {
  hist.fill(0);
  const groups = columns >> 2;
  const wordStride = stride >> 2;
  for (let r = from; r < to; r++) {
    const i = rows === null ? r : rows[r]!;
    const g = gradients[i]!;
    const h = hessians[i]!;
    let w = i * wordStride;
    let off = 0;
    for (let q = 0; q < groups; q++, w++, off += 3072) {
      const word = words[w]!;
      const k0 = off + (word & 255) * 3;
      const k1 = off + 768 + ((word >>> 8) & 255) * 3;
      const k2 = off + 1536 + ((word >>> 16) & 255) * 3;
      const k3 = off + 2304 + (word >>> 24) * 3;
      hist[k0] = hist[k0]! + g;
      hist[k0 + 1] = hist[k0 + 1]! + h;
      hist[k0 + 2] = hist[k0 + 2]! + 1;
      hist[k1] = hist[k1]! + g;
      hist[k1 + 1] = hist[k1 + 1]! + h;
      hist[k1 + 2] = hist[k1 + 2]! + 1;
      hist[k2] = hist[k2]! + g;
      hist[k2 + 1] = hist[k2 + 1]! + h;
      hist[k2 + 2] = hist[k2 + 2]! + 1;
      hist[k3] = hist[k3]! + g;
      hist[k3 + 1] = hist[k3 + 1]! + h;
      hist[k3 + 2] = hist[k3 + 2]! + 1;
    }
    const base = i * stride;
    for (let f = groups << 2; f < columns; f++, off += 768) {
      const k = off + binned[base + f]! * 3;
      hist[k] = hist[k]! + g;
      hist[k + 1] = hist[k + 1]! + h;
      hist[k + 2] = hist[k + 2]! + 1;
    }
  }
}

/**
 * Gradients and hessians of rows `from..to` for the current raw scores.
 * `objective` 0 = binary log-loss (raw score is the log-odds), 1 = squared error.
 */
export function computeGradients(
  objective: number,
  raw: Float64Array,
  labels: Float32Array,
  gradients: Float32Array,
  hessians: Float32Array,
  from: number,
  to: number,
): void {
  if (objective === 0) {
    for (let i = from; i < to; i++) {
      const p = 1 / (1 + Math.exp(-raw[i]!));
      gradients[i] = p - labels[i]!;
      hessians[i] = p * (1 - p);
    }
  } else {
    for (let i = from; i < to; i++) {
      gradients[i] = raw[i]! - labels[i]!;
      hessians[i] = 1;
    }
  }
}

/**
 * Maps rows `from..to` of the row-major float matrix to bins: bin = number of the feature's
 * thresholds strictly below the value (so `value <= thresholds[b]` ⇔ `bin <= b`); NaN → 255.
 * Row `i` of `features` is written to row `i + outOffset` of `binned` (`stride` bytes per row).
 * `thresholds` holds 255 float32 slots per feature, `thresholdCounts` how many are used.
 */
export function binRows(
  features: Float32Array,
  columns: number,
  thresholds: Float32Array,
  thresholdCounts: Int32Array,
  binned: Uint8Array,
  stride: number,
  from: number,
  to: number,
  outOffset: number,
): void {
  for (let i = from; i < to; i++) {
    const base = i * columns;
    const out = (i + outOffset) * stride;
    for (let f = 0; f < columns; f++) {
      const x = features[base + f]!;
      let bin: number;
      if (x !== x) {
        bin = 255;
      } else {
        // lower bound: first threshold >= x
        let lo = 0;
        let hi = thresholdCounts[f]!;
        const t0 = f * 255;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (thresholds[t0 + mid]! < x) lo = mid + 1;
          else hi = mid;
        }
        bin = lo;
      }
      binned[out + f] = bin;
    }
  }
}

/**
 * Stable partition of `rows[from..to)` on `binned[row * stride + feature] <= bin` (bin 255 =
 * missing goes left when `missingLeft`): left rows are compacted in place from `from`, right rows
 * written to `scratch[from..]`. Returns the number of left rows.
 */
export function partitionRows(
  binned: Uint8Array,
  stride: number,
  feature: number,
  bin: number,
  missingLeft: boolean,
  rows: Uint32Array,
  scratch: Uint32Array,
  from: number,
  to: number,
): number {
  // Branch-free: goRight = (b > bin) unless b is the missing bin and missing values go left.
  const keepMissingLeft = missingLeft ? 1 : 0;
  let l = from;
  let r = from;
  for (let k = from; k < to; k++) {
    const i = rows[k]!;
    const b = binned[i * stride + feature]!;
    const goRight = ((bin - b) >>> 31) & (1 - (((b + 1) >> 8) & keepMissingLeft));
    rows[l] = i;
    scratch[r] = i;
    l += 1 - goRight;
    r += goRight;
  }
  return l - from;
}

/**
 * {@link partitionRows} that also builds (into `hist`, zeroed first) the histogram of the rows
 * going to one side (`histLeft`): the rows are read once for both jobs.
 */
export function partitionWithHistogram(
  binned: Uint8Array,
  words: Uint32Array,
  stride: number,
  columns: number,
  gradients: Float32Array,
  hessians: Float32Array,
  feature: number,
  bin: number,
  missingLeft: boolean,
  histLeft: boolean,
  rows: Uint32Array,
  scratch: Uint32Array,
  from: number,
  to: number,
  hist: Float64Array,
): number {
  hist.fill(0);
  const groups = columns >> 2;
  const wordStride = stride >> 2;
  const keepMissingLeft = missingLeft ? 1 : 0;
  const histSide = histLeft ? 0 : 1;
  let l = from;
  let r = from;
  for (let k = from; k < to; k++) {
    const i = rows[k]!;
    const base = i * stride;
    const b = binned[base + feature]!;
    const goRight = ((bin - b) >>> 31) & (1 - (((b + 1) >> 8) & keepMissingLeft));
    rows[l] = i;
    scratch[r] = i;
    l += 1 - goRight;
    r += goRight;
    if (goRight !== histSide) continue;
    const g = gradients[i]!;
    const h = hessians[i]!;
    let w = i * wordStride;
    let off = 0;
    for (let q = 0; q < groups; q++, w++, off += 3072) {
      const word = words[w]!;
      const k0 = off + (word & 255) * 3;
      const k1 = off + 768 + ((word >>> 8) & 255) * 3;
      const k2 = off + 1536 + ((word >>> 16) & 255) * 3;
      const k3 = off + 2304 + (word >>> 24) * 3;
      hist[k0] = hist[k0]! + g;
      hist[k0 + 1] = hist[k0 + 1]! + h;
      hist[k0 + 2] = hist[k0 + 2]! + 1;
      hist[k1] = hist[k1]! + g;
      hist[k1 + 1] = hist[k1 + 1]! + h;
      hist[k1 + 2] = hist[k1 + 2]! + 1;
      hist[k2] = hist[k2]! + g;
      hist[k2 + 1] = hist[k2 + 1]! + h;
      hist[k2 + 2] = hist[k2 + 2]! + 1;
      hist[k3] = hist[k3]! + g;
      hist[k3 + 1] = hist[k3 + 1]! + h;
      hist[k3 + 2] = hist[k3 + 2]! + 1;
    }
    for (let f = groups << 2; f < columns; f++, off += 768) {
      const kk = off + binned[base + f]! * 3;
      hist[kk] = hist[kk]! + g;
      hist[kk + 1] = hist[kk + 1]! + h;
      hist[kk + 2] = hist[kk + 2]! + 1;
    }
  }
  return l - from;
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

/**
 * The loop every worker runs: waits on the control word, runs its share of the task, reports.
 * Control `Int32Array`: [0] generation, [1] task (0 exit, 1 histogram of all rows, 2 histogram of
 * `rows[start..start+count)`, 3 gradients, 4 binning, 5 partition, 6 logistic objective, 7 partition + histogram), [2] start, [3] count, [4] objective,
 * [5] output row offset, [6] split feature, [7] split bin, [8] missing left, [9] histogram of the left side, [16 + part] generation
 * the part has finished, [32 + part] left rows of the part's partition.
 */
export function kernelWorkerMain(data: {
  index: number;
  threads: number;
  control: SharedArrayBuffer;
  binned: SharedArrayBuffer;
  stride: number;
  columns: number;
  gradients: SharedArrayBuffer;
  hessians: SharedArrayBuffer;
  rows: SharedArrayBuffer;
  scratch: SharedArrayBuffer;
  raw: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  histograms: SharedArrayBuffer;
  features: SharedArrayBuffer | null;
  thresholds: SharedArrayBuffer;
  thresholdCounts: SharedArrayBuffer;
  /** Logistic regression: effective parameters (columns + 1) and partial sums (threads × (columns + 2)). */
  lrParams: SharedArrayBuffer | null;
  lrPartials: SharedArrayBuffer | null;
}): void {
  const control = new Int32Array(data.control);
  const binned = new Uint8Array(data.binned);
  const words = new Uint32Array(data.binned);
  const stride = data.stride;
  const gradients = new Float32Array(data.gradients);
  const hessians = new Float32Array(data.hessians);
  const rows = new Uint32Array(data.rows);
  const scratch = new Uint32Array(data.scratch);
  const raw = new Float64Array(data.raw);
  const labels = new Float32Array(data.labels);
  const histSize = data.columns * 768;
  const hist =
    data.histograms.byteLength >= data.index * histSize * 8
      ? new Float64Array(data.histograms, (data.index - 1) * histSize * 8, histSize)
      : new Float64Array(0);
  const part = data.index;
  const parts = data.threads;
  let seen = 0;
  for (;;) {
    Atomics.wait(control, 0, seen);
    const generation = Atomics.load(control, 0);
    if (generation === seen) continue;
    seen = generation;
    const task = control[1]!;
    if (task === 0) return;
    const start = control[2]!;
    const count = control[3]!;
    const from = start + Math.floor((count * part) / parts);
    const to = start + Math.floor((count * (part + 1)) / parts);
    if (task === 1) {
      buildHistogram(binned, words, stride, data.columns, gradients, hessians, null, from, to, hist);
    } else if (task === 2) {
      buildHistogram(binned, words, stride, data.columns, gradients, hessians, rows, from, to, hist);
    } else if (task === 3) {
      computeGradients(control[4]!, raw, labels, gradients, hessians, from, to);
    } else if (task === 5) {
      control[32 + part] = partitionRows(
        binned,
        stride,
        control[6]!,
        control[7]!,
        control[8] === 1,
        rows,
        scratch,
        from,
        to,
      );
    } else if (task === 7) {
      control[32 + part] = partitionWithHistogram(
        binned,
        words,
        stride,
        data.columns,
        gradients,
        hessians,
        control[6]!,
        control[7]!,
        control[8] === 1,
        control[9] === 1,
        rows,
        scratch,
        from,
        to,
        hist,
      );
    } else if (task === 6 && data.features !== null && data.lrParams !== null && data.lrPartials !== null) {
      logisticPartial(
        new Float32Array(data.features),
        data.columns,
        labels,
        new Float64Array(data.lrParams),
        new Float64Array(data.lrPartials),
        part * (data.columns + 2),
        from,
        to,
      );
    } else if (task === 4 && data.features !== null) {
      binRows(
        new Float32Array(data.features),
        data.columns,
        new Float32Array(data.thresholds),
        new Int32Array(data.thresholdCounts),
        binned,
        stride,
        from,
        to,
        control[5]!,
      );
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
    buildHistogram.toString(),
    computeGradients.toString(),
    binRows.toString(),
    partitionRows.toString(),
    partitionWithHistogram.toString(),
    logisticPartial.toString(),
    kernelWorkerMain.toString(),
    "kernelWorkerMain(require('node:worker_threads').workerData);",
  ].join('\n');
}
