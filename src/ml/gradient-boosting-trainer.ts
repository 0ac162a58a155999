/* eslint-disable @typescript-eslint/no-non-null-assertion -- hot loops over typed arrays sized up front */
/**
 * Histogram gradient boosting (binary log-loss or squared error), leaf-wise like LightGBM and
 * scikit-learn's HistGradientBoosting: features binned once (≤ 255 bins + a missing bin) into a
 * row-major Uint8Array, gradients in Float32Array, rows of each leaf kept as a range of one
 * Uint32Array partitioned stably, histograms of the smaller child built and the sibling's obtained
 * by subtraction, pooled histogram buffers. The hot loops are WebAssembly generated for the data's
 * shape (`gbdt-wasm-kernels.ts`); they, and binning, run on `threads` threads over one shared
 * memory (`training-arena.ts`, `kernel-thread-pool.ts`).
 *
 * Training is synchronous once the workers are up (the returned promise resolves when the model is
 * ready; the event loop is blocked while trees grow). Results are deterministic for a given seed and
 * thread count (the thread count changes the order of floating-point sums).
 *
 * @example
 * ```ts
 * import { trainGradientBoosting } from 'lakeloop/ml';
 * const model = await trainGradientBoosting(train, { maxIterations: 100, maxLeaves: 31, learningRate: 0.1 });
 * const p = model.predict(test.features, test.rows);
 * ```
 */
import { availableParallelism, endianness } from 'node:os';
import { GbdtPhaseProfile } from './gbdt-phase-profile.js';
import { LakeloopError } from '../errors.js';
import { BINNING_SAMPLE_ROWS, type BinThresholds } from './feature-binning.js';
import {
  binRows,
  binRowsInChunks,
  featureThresholds,
  HISTOGRAM_STRIDE,
  partitionPart,
  type PartitionSpec,
} from './gbdt-kernels.js';
import {
  gbdtKernelLayout,
  gbdtKernelModule,
  instantiateGbdtKernels,
  BIN_EDGES_BYTES,
  LEAF_ENTRY_BYTES,
  SORT_COUNTS_BYTES,
  SPLIT_RESULT_BYTES,
  type GbdtWasmKernels,
} from './gbdt-wasm-kernels.js';
import {
  GradientBoostingModel,
  type GradientBoostingObjective,
  type TreeArrays,
} from './gradient-boosting-model.js';
import { KernelThreadPool, MAX_POOL_THREADS } from './kernel-thread-pool.js';
import { sklearnBinningSample } from './numpy-random.js';
import { sampleRows, seededRandom } from './seeded-random.js';
import { allocateArena, arenaView, type TrainingArena } from './training-arena.js';
import { featureNamesOf, TrainingDataError, validateTrainingData, type TabularData } from './tabular-data.js';

/** Progress of one boosting iteration. */
export interface BoostingProgress {
  iteration: number;
  maxIterations: number;
  /** Validation loss, when early stopping is on. */
  validationLoss?: number;
}

/** Parameters of {@link trainGradientBoosting}. */
export interface GradientBoostingParams {
  /** `'binary'` (log-loss, labels 0/1) or `'squaredError'`. Default `'binary'`. */
  objective?: GradientBoostingObjective;
  /** Boosting iterations (trees). Default 100. */
  maxIterations?: number;
  /** Shrinkage applied to every leaf value. Default 0.1. */
  learningRate?: number;
  /** Maximum leaves per tree (leaf-wise growth). Default 31. */
  maxLeaves?: number;
  /** Maximum depth (root = 0). Default: no limit. */
  maxDepth?: number;
  /** Minimum training rows in a leaf. Default 20. */
  minSamplesLeaf?: number;
  /** L2 penalty on leaf values. Default 0. */
  l2Regularization?: number;
  /** Minimum hessian sum in a leaf. Default 1e-3. */
  minHessianLeaf?: number;
  /** Non-missing bins per feature, 2..255. Default 255. */
  maxBins?: number;
  /** A validation set: turns early stopping on (loss, checked after every tree). */
  validation?: TabularData;
  /** Without `validation`: hold out this fraction of the training rows (seeded) and stop early. */
  validationFraction?: number;
  /** Stop when the validation loss has not improved by `tolerance` in this many iterations. Default 10. */
  earlyStoppingRounds?: number;
  /** Minimum improvement counted by early stopping. Default 1e-7. */
  tolerance?: number;
  /** Seed of the binning sample and of the validation split. Default 0. */
  seed?: number;
  /** Threads, including the calling one. Default `os.availableParallelism()`. */
  threads?: number;
  /** Called after each tree. */
  onIteration?: (progress: BoostingProgress) => void;
}

/** Rows below which a node is partitioned and its histogram built on the calling thread alone (a task
 * handed to spinning workers costs a few microseconds; 2,048 rows × 12 features take about 40). */
const PARALLEL_MIN_ROWS = 2048;

/** The arena regions of a gradient-boosting run. */
type GbdtRegion =
  | 'binned'
  | 'binnedColumns'
  | 'gradHess'
  | 'rows'
  | 'scratch'
  | 'scratch2'
  | 'raw'
  | 'labels'
  | 'histograms'
  | 'partHistograms'
  | 'leafTable'
  | 'staging'
  | 'binEdges'
  | 'sortScratch'
  | 'thresholds'
  | 'thresholdCounts'
  | 'splitResult';

interface Split {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
  gradLeft: number;
  hessLeft: number;
  countLeft: number;
}

interface Leaf {
  node: number;
  /** The row list holding the leaf's rows (byte address of `rows` or `scratch`). */
  list: number;
  start: number;
  count: number;
  sumGrad: number;
  sumHess: number;
  depth: number;
  hist: Histogram | null;
  split: Split | null;
}

interface Resolved {
  objective: GradientBoostingObjective;
  maxIterations: number;
  learningRate: number;
  maxLeaves: number;
  maxDepth: number;
  minSamplesLeaf: number;
  l2: number;
  minHessian: number;
  maxBins: number;
  earlyStoppingRounds: number;
  tolerance: number;
  seed: number;
  threads: number;
}

function resolve(params: GradientBoostingParams): Resolved {
  const r: Resolved = {
    objective: params.objective ?? 'binary',
    maxIterations: params.maxIterations ?? 100,
    learningRate: params.learningRate ?? 0.1,
    maxLeaves: params.maxLeaves ?? 31,
    maxDepth: params.maxDepth ?? Number.POSITIVE_INFINITY,
    minSamplesLeaf: params.minSamplesLeaf ?? 20,
    l2: params.l2Regularization ?? 0,
    minHessian: params.minHessianLeaf ?? 1e-3,
    maxBins: params.maxBins ?? 255,
    earlyStoppingRounds: params.earlyStoppingRounds ?? 10,
    tolerance: params.tolerance ?? 1e-7,
    seed: params.seed ?? 0,
    threads: params.threads ?? availableParallelism(),
  };
  const bad = (name: string, value: number, rule: string): never => {
    throw new TrainingDataError(
      'BAD_PARAMETER',
      `Gradient boosting parameter ${name} = ${value} is invalid: ${rule}.`,
      {
        parameter: name,
      },
    );
  };
  if (!Number.isInteger(r.maxIterations) || r.maxIterations < 1)
    bad('maxIterations', r.maxIterations, 'use an integer >= 1');
  if (!(r.learningRate > 0)) bad('learningRate', r.learningRate, 'use a number > 0');
  if (!Number.isInteger(r.maxLeaves) || r.maxLeaves < 2) bad('maxLeaves', r.maxLeaves, 'use an integer >= 2');
  if (!(r.maxDepth >= 1)) bad('maxDepth', r.maxDepth, 'use a number >= 1');
  if (!Number.isInteger(r.minSamplesLeaf) || r.minSamplesLeaf < 1)
    bad('minSamplesLeaf', r.minSamplesLeaf, 'use an integer >= 1');
  if (!(r.l2 >= 0)) bad('l2Regularization', r.l2, 'use a number >= 0');
  if (!Number.isInteger(r.maxBins) || r.maxBins < 2 || r.maxBins > 255)
    bad('maxBins', r.maxBins, 'use an integer in 2..255');
  if (!Number.isInteger(r.threads) || r.threads < 1) bad('threads', r.threads, 'use an integer >= 1');
  const fraction = params.validationFraction;
  if (fraction !== undefined && !(fraction > 0 && fraction < 1))
    bad('validationFraction', fraction, 'use a number in (0, 1)');
  return r;
}

/** Splits off a seeded random fraction of the rows as a validation set. */
function holdOut(
  data: TabularData,
  fraction: number,
  seed: number,
): { train: TabularData; validation: TabularData } {
  const valRows = Math.max(1, Math.round(data.rows * fraction));
  const chosen = sampleRows(data.rows, valRows, seededRandom(seed ^ 0x5bd1e995));
  const isVal = new Uint8Array(data.rows);
  for (const i of chosen) isVal[i] = 1;
  const take = (flag: number): TabularData => {
    const count = flag === 1 ? valRows : data.rows - valRows;
    const features = new Float32Array(count * data.columns);
    const labels = new Float32Array(count);
    let j = 0;
    for (let i = 0; i < data.rows; i++) {
      if (isVal[i] !== flag) continue;
      features.set(data.features.subarray(i * data.columns, (i + 1) * data.columns), j * data.columns);
      labels[j++] = data.labels[i]!;
    }
    return { features, labels, rows: count, columns: data.columns, featureNames: featureNamesOf(data) };
  };
  return { train: take(0), validation: take(1) };
}

/**
 * Trains a histogram gradient boosting model. Resolves to the model; rejects with a
 * `TrainingDataError` on unusable data or parameters.
 */
export async function trainGradientBoosting(
  data: TabularData,
  params: GradientBoostingParams = {},
): Promise<GradientBoostingModel> {
  const p = resolve(params);
  if (endianness() !== 'LE') {
    throw new LakeloopError(
      'UNAVAILABLE',
      'Gradient boosting reads bins as little-endian words; this machine is big-endian.',
    );
  }
  const task = p.objective === 'binary' ? 'binary' : 'regression';
  validateTrainingData(data, { task });
  let train = data;
  let validation = params.validation;
  if (validation === undefined && params.validationFraction !== undefined) {
    ({ train, validation } = holdOut(data, params.validationFraction, p.seed));
    validateTrainingData(train, { task, what: 'training part of the data' });
  }
  if (validation !== undefined) {
    validateTrainingData(validation, { task, what: 'validation data' });
    if (validation.columns !== train.columns) {
      throw new TrainingDataError(
        'FEATURE_COUNT',
        `The validation data has ${validation.columns} columns but the training data ${train.columns}.`,
      );
    }
  }
  const names = featureNamesOf(data);
  const n = train.rows;
  const columns = train.columns;
  const threads = Math.min(p.threads, MAX_POOL_THREADS, Math.max(1, Math.floor(n / 10_000)));
  const shared = threads > 1;
  const sample = sklearnBinningSample({ rows: n, count: BINNING_SAMPLE_ROWS, seed: p.seed });
  const profile = GbdtPhaseProfile.fromEnvironment();
  const since = profile.now();

  const histogramBytes = columns * HISTOGRAM_STRIDE * 8;
  const arena = allocateArena<GbdtRegion>({
    shared,
    sizes: {
      binned: n * columns,
      binnedColumns: n * columns,
      gradHess: n * 8,
      rows: n * 4,
      scratch: n * 4,
      // Leaves' rows alternate between `rows` and `scratch` (a partition reads one and writes the
      // other); the parts between the first and the last of a parallel partition stage rows here.
      scratch2: threads > 2 ? n * 4 : 0,
      raw: n * 8,
      labels: n * 4,
      // Live histograms: one per open leaf plus the child being built.
      histograms: (p.maxLeaves + 1) * histogramBytes,
      // Each thread's part of the histogram being built (the calling thread's first): always the
      // same memory, in its cache, rather than whichever histogram slot is free.
      partHistograms: threads * histogramBytes,
      leafTable: p.maxLeaves * LEAF_ENTRY_BYTES,
      // The sampled rows (for bin edges), then the rows to bin, chunk by chunk.
      staging: sample.length * columns * 4,
      // Two arrays of sampled values and the counters to sort them for the bin edges.
      sortScratch: 2 * sample.length * 4 + SORT_COUNTS_BYTES,
      binEdges: columns * BIN_EDGES_BYTES,
      thresholds: columns * 255 * 4,
      thresholdCounts: columns * 4,
      splitResult: SPLIT_RESULT_BYTES,
    },
  });
  const { regions } = arena;
  const kernelBytes = gbdtKernelModule(gbdtKernelLayout(arena, columns));
  const kernels = instantiateGbdtKernels(kernelBytes, arena.memory);
  const poolStarting = KernelThreadPool.start({
    threads,
    shared: shared ? { memory: arena.memory, regions, columns, histogramBytes, kernels: kernelBytes } : null,
  });
  // While the workers boot: the sampled rows to where the kernels read them, and the bin edges.
  const staging = arenaView(arena, 'staging', Float32Array);
  const accountedBefore = profile.accountedMs();
  let binning: BinThresholds;
  try {
    copySampledRows(train.features, columns, sample.length === n ? null : sample, staging);
    binning = binEdges({ arena, kernels, columns, sampleRows: sample.length, maxBins: p.maxBins, profile });
  } catch (error) {
    await poolStarting.then((started) => started.close()).catch(() => undefined);
    throw error;
  }
  const pool = await poolStarting;
  profile.addRest('setup (arena, kernels, workers)', since, accountedBefore);
  pool.profile = profile;
  try {
    binTrainingRows({ pool, arena, kernels, train, sampleRows: sample.length, profile });
    const labels = arenaView(arena, 'labels', Float32Array);
    labels.set(train.labels);
    const grower = new TreeGrower({ p, pool, arena, kernels, binning, columns, n, histogramBytes, profile });
    const model = boost({
      p,
      train,
      labels,
      raw: arenaView(arena, 'raw', Float64Array),
      validation,
      binning,
      grower,
      names,
      params,
      profile,
    });
    if (profile.enabled)
      process.stderr.write(`gradient boosting phases (LAKELOOP_GBDT_PROFILE):\n${profile.format()}\n`);
    return model;
  } finally {
    await pool.close();
  }
}

/**
 * Bin edges of every feature from the sampled rows in the staging region (on the calling thread,
 * while the workers boot), and the padded copy the binning kernel reads.
 */
function binEdges(ctx: {
  arena: TrainingArena<GbdtRegion>;
  kernels: GbdtWasmKernels;
  columns: number;
  sampleRows: number;
  maxBins: number;
  profile: GbdtPhaseProfile;
}): BinThresholds {
  const { arena, kernels, columns, sampleRows, profile } = ctx;
  const since = profile.now();
  const thresholds = arenaView(arena, 'thresholds', Float32Array);
  const counts = arenaView(arena, 'thresholdCounts', Int32Array);
  // The sort's two arrays of sampled values, then its counters.
  const keys = arena.regions.sortScratch.offset;
  const other = keys + sampleRows * 4;
  const counters = other + sampleRows * 4;
  const sortedColumn = (feature: number): Float32Array =>
    new Float32Array(
      arena.memory.buffer,
      keys,
      kernels.sortColumn(feature, sampleRows, keys, other, counters),
    );
  featureThresholds({ columns, maxBins: ctx.maxBins, thresholds, counts, sortedColumn });
  // The binning kernel's lower bound reads 256 edges per feature: the used ones, then +Infinity.
  const padded = arenaView(arena, 'binEdges', Float32Array).fill(Number.POSITIVE_INFINITY);
  for (let f = 0; f < columns; f++) {
    padded.set(thresholds.subarray(f * 255, f * 255 + counts[f]!), f * 256);
  }
  profile.add('bin edges', since);
  return { columns, thresholds, counts };
}

/**
 * Every training row binned into the arena, in chunks through the staging rows (no copy when every
 * row was sampled: they are there already), rows shared out between the threads.
 */
function binTrainingRows(ctx: {
  pool: KernelThreadPool;
  arena: TrainingArena<GbdtRegion>;
  kernels: GbdtWasmKernels;
  train: TabularData;
  sampleRows: number;
  profile: GbdtPhaseProfile;
}): void {
  const { pool, arena, kernels, train, sampleRows: chunkRows, profile } = ctx;
  const since = profile.now();
  const { rows: n, columns } = train;
  const staging = arenaView(arena, 'staging', Float32Array);
  for (let start = 0; start < n; start += chunkRows) {
    const count = Math.min(chunkRows, n - start);
    if (chunkRows < n) staging.set(train.features.subarray(start * columns, (start + count) * columns));
    pool.run({ task: 'binning', start: 0, count, outOffset: start }, (from, to) => {
      binRowsInChunks(kernels, from, to, start);
    });
  }
  profile.add('binning rows', since);
}

/** Copies the sampled rows (all rows when `sample` is null) of a row-major matrix to `out`. */
function copySampledRows(
  features: Float32Array,
  columns: number,
  sample: Uint32Array | null,
  out: Float32Array,
): void {
  if (sample === null) {
    out.set(features.subarray(0, out.length));
    return;
  }
  for (let s = 0; s < sample.length; s++) {
    const from = sample[s]! * columns;
    const to = s * columns;
    for (let c = 0; c < columns; c++) out[to + c] = features[from + c]!;
  }
}

function meanOf(labels: Float32Array | Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += labels[i]!;
  return sum / labels.length;
}

function validationLoss(
  objective: GradientBoostingObjective,
  raw: Float64Array,
  labels: Float32Array | Uint8Array,
): number {
  let sum = 0;
  for (let i = 0; i < raw.length; i++) {
    const z = raw[i]!;
    const y = labels[i]!;
    if (objective === 'binary') {
      // log(1 + exp(z)) - y z, computed stably
      sum += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y * z;
    } else {
      sum += (z - y) * (z - y);
    }
  }
  return sum / raw.length;
}

function boost(ctx: {
  p: Resolved;
  train: TabularData;
  labels: Float32Array;
  raw: Float64Array;
  validation: TabularData | undefined;
  binning: BinThresholds;
  grower: TreeGrower;
  names: string[];
  params: GradientBoostingParams;
  profile: GbdtPhaseProfile;
}): GradientBoostingModel {
  const { p, labels, raw, grower, profile } = ctx;
  const mean = meanOf(labels);
  const baseScore = Math.fround(p.objective === 'binary' ? Math.log(mean / (1 - mean)) : mean);
  raw.fill(baseScore);
  const objectiveCode = p.objective === 'binary' ? 0 : 1;
  const val = ctx.validation;
  let valBinned: Uint8Array | null = null;
  let valRaw: Float64Array | null = null;
  if (val !== undefined) {
    valBinned = new Uint8Array(val.rows * val.columns);
    binRows(val.features, val.columns, ctx.binning.thresholds, ctx.binning.counts, valBinned, 0, val.rows, 0);
    valRaw = new Float64Array(val.rows).fill(baseScore);
  }
  const trees: TreeArrays[] = [];
  const gain = new Array<number>(ctx.train.columns).fill(0);
  const splitCount = new Array<number>(ctx.train.columns).fill(0);
  let bestLoss = Number.POSITIVE_INFINITY;
  let sinceBest = 0;
  for (let iteration = 0; iteration < p.maxIterations; iteration++) {
    let since = profile.now();
    grower.updateScoresAndGradients(objectiveCode);
    profile.add('scores + gradients', since);
    const tree = grower.grow(gain, splitCount);
    trees.push(tree.arrays);
    let loss: number | undefined;
    since = profile.now();
    if (val !== undefined && valBinned !== null && valRaw !== null) {
      addTreeBinned(tree, valBinned, val.columns, valRaw);
      loss = validationLoss(p.objective, valRaw, val.labels);
      if (loss < bestLoss - p.tolerance) {
        bestLoss = loss;
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      profile.add('validation', since);
    }
    ctx.params.onIteration?.({
      iteration: iteration + 1,
      maxIterations: p.maxIterations,
      ...(loss === undefined ? {} : { validationLoss: loss }),
    });
    if (loss !== undefined && sinceBest >= p.earlyStoppingRounds) break;
  }
  return new GradientBoostingModel({
    objective: p.objective,
    baseScore,
    featureNames: ctx.names,
    trees,
    importance: { gain, splitCount },
  });
}

interface GrownTree {
  arrays: TreeArrays;
  bins: Uint8Array;
}

function addTreeBinned(tree: GrownTree, binned: Uint8Array, columns: number, raw: Float64Array): void {
  const { feature, missingLeft, left, right, value } = tree.arrays;
  const bins = tree.bins;
  for (let i = 0; i < raw.length; i++) {
    const base = i * columns;
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      const b = binned[base + f]!;
      const goLeft = b === 255 ? missingLeft[node] === 1 : b <= bins[node]!;
      node = goLeft ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    raw[i] = raw[i]! + value[node]!;
  }
}

function fillIdentity(rows: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) rows[i] = i;
}

/** A histogram in the arena: its byte address (for the kernels) and its values. */
interface Histogram {
  address: number;
  values: Float64Array;
}

/** Grows one tree per call over the shared binned matrix and gradients. */
class TreeGrower {
  readonly #p: Resolved;
  readonly #pool: KernelThreadPool;
  readonly #kernels: GbdtWasmKernels;
  readonly #profile: GbdtPhaseProfile;
  readonly #binning: BinThresholds;
  readonly #n: number;
  /** The row list the root stands in (its positions are its rows): filled for a tree that never splits. */
  readonly #scratch: Uint32Array;
  /** Byte addresses of the three row-index arrays. */
  readonly #addresses: { rows: number; scratch: number; scratch2: number };
  /** Where the split kernel writes the best split: 4 float64 then 3 int32 (see `findSplit`). */
  readonly #splitResult: { address: number; sums: Float64Array; ints: Int32Array };
  /** Byte address of the threads' part histograms (one per thread, consecutive, the calling thread's first). */
  readonly #partHistsAddress: number;
  readonly #freeHists: Histogram[] = [];
  /** The last tree's leaves as (start, end) int32 pairs and float64 values, 16 bytes per leaf. */
  readonly #leafTable: { address: number; starts: Int32Array; values: Float64Array };
  #leaves: Leaf[] = [];
  /** The last partition was parallel: every thread left a part of the child histogram to sum. */
  #workerPartsPending = false;
  /** The root's row counts per bin (every third value of a histogram): the same every tree. */
  #rootCounts: Float64Array | null = null;
  // node arrays of the tree being grown
  #feature: number[] = [];
  #bin: number[] = [];
  #missingLeft: number[] = [];
  #left: number[] = [];
  #right: number[] = [];
  #value: number[] = [];
  #count: number[] = [];

  constructor(init: {
    p: Resolved;
    pool: KernelThreadPool;
    arena: TrainingArena<GbdtRegion>;
    kernels: GbdtWasmKernels;
    binning: BinThresholds;
    columns: number;
    n: number;
    histogramBytes: number;
    profile: GbdtPhaseProfile;
  }) {
    const { arena } = init;
    this.#profile = init.profile;
    this.#p = init.p;
    this.#pool = init.pool;
    this.#kernels = init.kernels;
    this.#binning = init.binning;
    this.#n = init.n;
    this.#scratch = arenaView(arena, 'scratch', Uint32Array);
    const { regions } = arena;
    this.#addresses = {
      rows: regions.rows.offset,
      scratch: regions.scratch.offset,
      scratch2: regions.scratch2.offset,
    };
    this.#partHistsAddress = regions.partHistograms.offset;
    this.#splitResult = {
      address: regions.splitResult.offset,
      sums: arenaView(arena, 'splitResult', Float64Array),
      ints: arenaView(arena, 'splitResult', Int32Array),
    };
    this.#leafTable = {
      address: arena.regions.leafTable.offset,
      starts: arenaView(arena, 'leafTable', Int32Array),
      values: arenaView(arena, 'leafTable', Float64Array),
    };
    const slots = arena.regions.histograms;
    const doubles = init.histogramBytes / 8;
    for (let address = slots.offset; address < slots.offset + slots.bytes; address += init.histogramBytes) {
      this.#freeHists.push({ address, values: new Float64Array(arena.memory.buffer, address, doubles) });
    }
  }

  #acquire(): Histogram {
    const hist = this.#freeHists.pop();
    if (hist === undefined)
      throw new LakeloopError('INTERNAL', 'Gradient boosting ran out of histogram slots.');
    return hist;
  }

  #release(leaf: Leaf): void {
    if (leaf.hist !== null) this.#freeHists.push(leaf.hist);
    leaf.hist = null;
  }

  #newNode(count: number): number {
    this.#feature.push(-1);
    this.#bin.push(0);
    this.#missingLeft.push(0);
    this.#left.push(-1);
    this.#right.push(-1);
    this.#value.push(0);
    this.#count.push(count);
    return this.#feature.length - 1;
  }

  /** Writes the sum of the threads' parts of the last histogram task (`parts` of them) to `hist`. */
  #mergePartHistograms(hist: Histogram, parts: number): void {
    const since = this.#profile.now();
    this.#kernels.mergeHistograms(hist.address, this.#partHistsAddress, parts, 0, 0);
    this.#profile.add('merge part histograms', since);
  }

  /**
   * Fills the root's histogram: all rows. Every root holds all rows, so the row counts are
   * counted once and copied afterwards (one store per feature-row instead of two).
   */
  #rootHistogram(hist: Histogram): void {
    const kernels = this.#kernels;
    const n = this.#n;
    const counts = this.#rootCounts;
    const task = counts === null ? 'histogramAll' : 'histogramSums';
    const parts = this.#partHistsAddress;
    if (this.#pool.threads === 1 || n < PARALLEL_MIN_ROWS) {
      kernels[task](0, n, parts);
      this.#mergePartHistograms(hist, 1);
    } else {
      this.#pool.run({ task, start: 0, count: n }, (from, to) => {
        kernels[task](from, to, parts);
      });
      this.#mergePartHistograms(hist, this.#pool.threads);
    }
    const values = hist.values;
    if (counts === null) {
      this.#rootCounts = Float64Array.from({ length: values.length / 3 }, (_, k) => values[3 * k + 2] ?? 0);
      return;
    }
    for (let k = 0; k < counts.length; k++) values[3 * k + 2] = counts[k]!;
  }

  #canSplit(leaf: Leaf): boolean {
    const p = this.#p;
    return leaf.count >= 2 * p.minSamplesLeaf && leaf.depth < p.maxDepth && leaf.sumHess >= 2 * p.minHessian;
  }

  #findSplit(leaf: Leaf): Split | null {
    const p = this.#p;
    const G = leaf.sumGrad;
    const H = leaf.sumHess;
    const parent = (G * G) / (H + p.l2);
    const result = this.#splitResult;
    const found = this.#kernels.findSplit(
      leaf.hist!.address,
      G,
      H,
      leaf.count,
      parent,
      p.l2,
      p.minSamplesLeaf,
      p.minHessian,
      1e-12,
      result.address,
    );
    if (found === 0) return null;
    return {
      gain: result.sums[0]!,
      gradLeft: result.sums[1]!,
      hessLeft: result.sums[2]!,
      countLeft: result.sums[3]!,
      feature: result.ints[8]!,
      bin: result.ints[9]!,
      missingLeft: result.ints[10] === 1,
    };
  }

  /**
   * Stable partition of the leaf's rows (parallel for large leaves) from its row list into the
   * other one, at the same positions; returns the number going left. With `histogram`, each
   * thread also builds its part of the histogram of the side `histLeft` right after partitioning
   * its share, while those rows are in cache (see `partitionPart`; the parts are summed in `grow`).
   */
  #partition(leaf: Leaf, split: Split, histogram: boolean, histLeft: boolean): number {
    const pool = this.#pool;
    this.#workerPartsPending = false;
    const profile = this.#profile;
    const since = profile.now();
    const spec: PartitionSpec = {
      feature: split.feature,
      bin: split.bin,
      missingLeft: split.missingLeft ? 1 : 0,
      // The root reads row k at position k, so no row list need be reset for every tree.
      allRows: leaf.node === 0,
      source: leaf.list,
      target: this.#otherList(leaf.list),
      staging: this.#addresses.scratch2,
      start: leaf.start,
      count: leaf.count,
      countLeft: split.countLeft,
      histogram: histogram ? { left: histLeft, address: this.#partHistsAddress } : null,
    };
    if (pool.threads === 1 || leaf.count < PARALLEL_MIN_ROWS) {
      const nl = partitionPart(this.#kernels, spec, 0, 1);
      profile.add('partition + child histogram', since);
      return nl;
    }
    // One task: with more than two parts the middle ones meet the others at a barrier instead of
    // being woken twice.
    const control = pool.control;
    const threads = pool.threads;
    pool.run(
      {
        task: histogram ? 'partitionHistogram' : 'partition',
        start: leaf.start,
        count: leaf.count,
        partition: spec,
      },
      () => {
        control[32] = partitionPart(this.#kernels, spec, 0, threads);
        if (threads > 2) pool.arriveAtBarrier();
      },
    );
    // merged into the child together with the subtraction from the parent (see grow)
    this.#workerPartsPending = histogram;
    let totalLeft = 0;
    for (let part = 0; part < threads; part++) totalLeft += control[32 + part]!;
    profile.add('partition + child histogram', since);
    return totalLeft;
  }

  /** The row list a partition of a leaf in `list` writes: the other of `rows` and `scratch`. */
  #otherList(list: number): number {
    const { rows, scratch } = this.#addresses;
    return list === rows ? scratch : rows;
  }

  #leafValue(leaf: Leaf): number {
    return Math.fround((-this.#p.learningRate * leaf.sumGrad) / (leaf.sumHess + this.#p.l2));
  }

  /** Grows a tree on the current gradients; adds to the importance arrays. */
  grow(gain: number[], splitCount: number[]): GrownTree {
    const p = this.#p;
    const n = this.#n;
    this.#feature = [];
    this.#bin = [];
    this.#missingLeft = [];
    this.#left = [];
    this.#right = [];
    this.#value = [];
    this.#count = [];
    const root: Leaf = {
      node: this.#newNode(n),
      // The root's positions are its rows (see `allRows`): its partition writes to `rows`.
      list: this.#addresses.scratch,
      start: 0,
      count: n,
      sumGrad: 0,
      sumHess: 0,
      depth: 0,
      hist: null,
      split: null,
    };
    const finished: Leaf[] = [];
    const profile = this.#profile;
    const growStart = profile.now();
    const accountedBefore = profile.enabled ? profile.accountedMs() : 0;
    let since = growStart;
    root.hist = this.#acquire();
    this.#rootHistogram(root.hist);
    // (without the merge of the workers' histograms, a phase of its own)
    profile.addRest('root histogram', since, accountedBefore);
    let g = 0;
    let h = 0;
    for (let k = 0; k < HISTOGRAM_STRIDE; k += 3) {
      g += root.hist.values[k]!;
      h += root.hist.values[k + 1]!;
    }
    root.sumGrad = g;
    root.sumHess = h;
    since = profile.now();
    if (this.#canSplit(root)) root.split = this.#findSplit(root);
    else this.#release(root);
    profile.add('split finding', since);
    let open: Leaf[] = [root];
    let leafCount = 1;
    for (;;) {
      let best: Leaf | null = null;
      for (const leaf of open) {
        if (leaf.split !== null && (best === null || leaf.split.gain > best.split!.gain)) best = leaf;
      }
      if (best === null) break;
      const split = best.split!;
      open = open.filter((l) => l !== best);
      const node = best.node;
      this.#feature[node] = split.feature;
      this.#bin[node] = split.bin;
      this.#missingLeft[node] = split.missingLeft ? 1 : 0;
      gain[split.feature] = gain[split.feature]! + split.gain;
      splitCount[split.feature] = splitCount[split.feature]! + 1;
      // The split's left count is known from the histogram, so the smaller child's histogram
      // can be built while partitioning, and the parts write their rows to their final places in
      // the list the parent's partition writes.
      const childList = this.#otherList(best.list);
      const left: Leaf = {
        node: this.#newNode(split.countLeft),
        list: childList,
        start: best.start,
        count: split.countLeft,
        sumGrad: split.gradLeft,
        sumHess: split.hessLeft,
        depth: best.depth + 1,
        hist: null,
        split: null,
      };
      const right: Leaf = {
        node: this.#newNode(best.count - split.countLeft),
        list: childList,
        start: best.start + split.countLeft,
        count: best.count - split.countLeft,
        sumGrad: best.sumGrad - split.gradLeft,
        sumHess: best.sumHess - split.hessLeft,
        depth: best.depth + 1,
        hist: null,
        split: null,
      };
      this.#left[node] = left.node;
      this.#right[node] = right.node;
      leafCount++;
      const parentHist = best.hist!;
      best.hist = null;
      const needHistograms = leafCount < p.maxLeaves && (this.#canSplit(left) || this.#canSplit(right));
      const small = left.count <= right.count ? left : right;
      const large = small === left ? right : left;
      if (needHistograms) small.hist = this.#acquire();
      const nl = this.#partition(best, split, small.hist !== null, small === left);
      if (nl !== split.countLeft) {
        throw new LakeloopError(
          'INTERNAL',
          `Partition sent ${nl} rows left, the histogram ${split.countLeft}.`,
        );
      }
      if (!needHistograms) {
        this.#freeHists.push(parentHist);
        finished.push(left, right);
      } else {
        since = profile.now();
        // child = the threads' parts (one unless the partition was parallel), parent -= child
        const parts = this.#workerPartsPending ? this.#pool.threads : 1;
        this.#kernels.mergeHistograms(
          small.hist!.address,
          this.#partHistsAddress,
          parts,
          parentHist.address,
          1,
        );
        this.#workerPartsPending = false;
        profile.add(parts > 1 ? 'merge part histograms + subtraction' : 'histogram subtraction', since);
        large.hist = parentHist;
        for (const child of [left, right]) {
          since = profile.now();
          if (this.#canSplit(child)) child.split = this.#findSplit(child);
          profile.add('split finding', since);
          if (child.split === null) {
            this.#release(child);
            finished.push(child);
          } else {
            open.push(child);
          }
        }
      }
      if (leafCount >= p.maxLeaves) break;
    }
    for (const leaf of open) {
      this.#release(leaf);
      finished.push(leaf);
    }
    profile.addRest('tree bookkeeping', growStart, accountedBefore);
    // Leaves are the finished entries whose node has no children.
    this.#leaves = finished.filter((leaf) => this.#left[leaf.node] === -1);
    for (const leaf of this.#leaves) this.#value[leaf.node] = this.#leafValue(leaf);
    const { thresholds, counts } = this.#binning;
    const feature = Int32Array.from(this.#feature);
    const bins = Uint8Array.from(this.#bin);
    const threshold = new Float32Array(feature.length);
    for (let k = 0; k < feature.length; k++) {
      const f = feature[k]!;
      // The split "every value left, only missing right" has no finite edge.
      if (f >= 0)
        threshold[k] = bins[k]! < counts[f]! ? thresholds[f * 255 + bins[k]!]! : Number.POSITIVE_INFINITY;
    }
    return {
      arrays: {
        feature,
        threshold,
        missingLeft: Uint8Array.from(this.#missingLeft),
        left: Int32Array.from(this.#left),
        right: Int32Array.from(this.#right),
        value: Float32Array.from(this.#value),
        count: Uint32Array.from(this.#count),
      },
      bins,
    };
  }

  /**
   * Adds the last grown tree's leaf values to the raw scores (none before the first tree), then
   * computes every row's gradient and hessian: one task, each thread over its own range of rows,
   * so the scores it writes are the ones it reads next (adding by leaf, threads would write each
   * other's cache lines).
   */
  updateScoresAndGradients(objective: number): void {
    const table = this.#leafTable;
    const leaves = [...this.#leaves].sort((a, b) => a.start - b.start);
    // A tree that never split has not partitioned (and so not written) the rows.
    if (leaves.length === 1) fillIdentity(this.#scratch, this.#n);
    const { rows } = this.#addresses;
    leaves.forEach((leaf, k) => {
      // Positions counted from `rows` (see addLeafValues): a leaf in `scratch` lies further on.
      const shift = (leaf.list - rows) / 4;
      table.starts[k * 4] = shift + leaf.start;
      table.starts[k * 4 + 1] = shift + leaf.start + leaf.count;
      table.values[k * 2 + 1] = this.#value[leaf.node]!;
    });
    const kernels = this.#kernels;
    const leafTable = { address: table.address, leaves: leaves.length };
    this.#pool.run({ task: 'gradients', start: 0, count: this.#n, objective, leafTable }, (from, to) => {
      if (leafTable.leaves > 0) kernels.addLeafValues(leafTable.address, leafTable.leaves, from, to);
      kernels.gradients(objective, from, to);
    });
  }
}
