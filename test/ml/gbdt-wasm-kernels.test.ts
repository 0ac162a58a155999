import { describe, expect, it } from 'vitest';
import {
  binRows,
  gatherMiddleRuns,
  HISTOGRAM_STRIDE,
  partitionPart,
  type PartitionSpec,
} from '../../src/ml/gbdt-kernels.js';
import {
  BIN_EDGES_BYTES,
  LEAF_VALUE_BLOCK_ROWS,
  SORT_COUNTS_BYTES,
  SPLIT_RESULT_BYTES,
  gbdtKernelLayout,
  gbdtKernelModule,
  instantiateGbdtKernels,
} from '../../src/ml/gbdt-wasm-kernels.js';
import { allocateArena, arenaView } from '../../src/ml/training-arena.js';

const rows = 1000;
const columns = 5;

/** An arena with bins (255 = missing every 11th value), gradients and hessians filled in. */
function setUp(shared: boolean, n = rows) {
  const histogramBytes = columns * HISTOGRAM_STRIDE * 8;
  const arena = allocateArena({
    shared,
    sizes: {
      binned: n * columns,
      binnedColumns: n * columns,
      gradHess: n * 8,
      rows: n * 4,
      scratch: n * 4,
      scratch2: n * 4,
      raw: n * 8,
      labels: n * 4,
      leafTable: 3 * 16,
      hist: histogramBytes,
      parent: histogramBytes,
      workerHists: 2 * histogramBytes,
      staging: n * columns * 4,
      binEdges: columns * BIN_EDGES_BYTES,
      sortScratch: 2 * n * 4 + SORT_COUNTS_BYTES,
      thresholdCounts: columns * 4,
      splitResult: SPLIT_RESULT_BYTES,
    },
  });
  const binned = arenaView(arena, 'binned', Uint8Array);
  const binnedColumns = arenaView(arena, 'binnedColumns', Uint8Array);
  // (gradient, hessian) pairs, interleaved as the kernels read them
  const gradHess = arenaView(arena, 'gradHess', Float32Array);
  const gradients = Float32Array.from({ length: n }, (_, i) => (i % 17) - 8.25);
  const hessians = Float32Array.from({ length: n }, (_, i) => (i % 5) + 0.5);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < columns; f++) binned[i * columns + f] = i % 11 === f ? 255 : (i * (f + 3) * 31) % 255;
    for (let f = 0; f < columns; f++) binnedColumns[f * n + i] = binned[i * columns + f] ?? 0;
    gradHess[2 * i] = gradients[i] ?? 0;
    gradHess[2 * i + 1] = hessians[i] ?? 0;
  }
  const kernels = instantiateGbdtKernels(gbdtKernelModule(gbdtKernelLayout(arena, columns)), arena.memory);
  const hist = arenaView(arena, 'hist', Float64Array);
  return { arena, kernels, binned, gradients, hessians, hist, list: arenaView(arena, 'rows', Uint32Array) };
}

function directHistogram(
  ids: Iterable<number>,
  binned: Uint8Array,
  gradients: Float32Array,
  hessians: Float32Array,
): number[] {
  const expected = new Float64Array(columns * HISTOGRAM_STRIDE);
  for (const i of ids) {
    for (let f = 0; f < columns; f++) {
      const k = f * HISTOGRAM_STRIDE + (binned[i * columns + f] ?? 0) * 3;
      expected[k] = (expected[k] ?? 0) + (gradients[i] ?? 0);
      expected[k + 1] = (expected[k + 1] ?? 0) + (hessians[i] ?? 0);
      expected[k + 2] = (expected[k + 2] ?? 0) + 1;
    }
  }
  return Array.from(expected);
}

/** The split search as the trainer did it in JavaScript, the reference of the findSplit kernel. */
function findSplitReference(
  hist: Float64Array,
  counts: Int32Array,
  node: { G: number; H: number; C: number },
  p: { l2: number; minLeaf: number; minHess: number },
) {
  type Split = {
    gain: number;
    feature: number;
    bin: number;
    missingLeft: boolean;
    gradLeft: number;
    hessLeft: number;
    countLeft: number;
  };
  const { G, H, C } = node;
  const { l2, minLeaf, minHess } = p;
  const parent = (G * G) / (H + l2);
  let best: Split | null = null;
  let bestGain = 1e-12;
  for (let f = 0; f < columns; f++) {
    const off = f * HISTOGRAM_STRIDE;
    const nb = (counts[f] ?? 0) + 1;
    const gM = hist[off + 765] ?? 0;
    const hM = hist[off + 766] ?? 0;
    const cM = hist[off + 767] ?? 0;
    let gL = 0;
    let hL = 0;
    let cL = 0;
    for (let b = 0; b < nb; b++) {
      const k = off + b * 3;
      gL += hist[k] ?? 0;
      hL += hist[k + 1] ?? 0;
      cL += hist[k + 2] ?? 0;
      if (cL < minLeaf) continue;
      // missing values to the right
      const cR = C - cL;
      if (cR < minLeaf) break;
      if (b < nb - 1 || cM > 0) {
        const hR = H - hL;
        if (hL >= minHess && hR >= minHess) {
          const gR = G - gL;
          const gain = (gL * gL) / (hL + l2) + (gR * gR) / (hR + l2) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            best = {
              gain,
              feature: f,
              bin: b,
              missingLeft: cM === 0 && cL >= cR,
              gradLeft: gL,
              hessLeft: hL,
              countLeft: cL,
            };
          }
        }
      }
      // missing values to the left
      if (cM > 0 && b < nb - 1) {
        const cL2 = cL + cM;
        const cR2 = C - cL2;
        const hL2 = hL + hM;
        const hR2 = H - hL2;
        if (cR2 >= minLeaf && hL2 >= minHess && hR2 >= minHess) {
          const gL2 = gL + gM;
          const gR2 = G - gL2;
          const gain = (gL2 * gL2) / (hL2 + l2) + (gR2 * gR2) / (hR2 + l2) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            best = {
              gain,
              feature: f,
              bin: b,
              missingLeft: true,
              gradLeft: gL2,
              hessLeft: hL2,
              countLeft: cL2,
            };
          }
        }
      }
    }
  }
  return best;
}

describe('gradient-boosting WebAssembly kernels', () => {
  it('findSplit finds the split the JavaScript search finds: gains, ties, missing bins, minimum leaf sizes', () => {
    const { arena, kernels, binned, gradients, hessians, hist } = setUp(false);
    const counts = arenaView(arena, 'thresholdCounts', Int32Array);
    const result = arena.regions.splitResult.offset;
    const sums = arenaView(arena, 'splitResult', Float64Array);
    const ints = arenaView(arena, 'splitResult', Int32Array);
    // Nodes: all rows, a few rows (most splits fail minLeaf), rows without missing values, one bin,
    // too few rows for two leaves of 20.
    const nodes = [
      { ids: Array.from({ length: rows }, (_, i) => i), edges: [254, 254, 100, 3, 254] },
      { ids: Array.from({ length: 45 }, (_, i) => i * 7), edges: [254, 30, 254, 254, 2] },
      {
        ids: Array.from({ length: 400 }, (_, i) => i).filter((i) => i % 11 >= columns),
        edges: [10, 254, 254, 254, 254],
      },
      { ids: Array.from({ length: 300 }, (_, i) => i * 3), edges: [0, 0, 0, 0, 0] },
      { ids: Array.from({ length: 30 }, (_, i) => i * 31), edges: [254, 254, 254, 254, 254] },
    ];
    let splits = 0;
    let missingLeftSplits = 0;
    for (const [n, node] of nodes.entries()) {
      counts.set(node.edges);
      // Bins above the feature's edges hold no rows: clamp them into range (missing stays 255).
      const clamped = binned.map((b, k) => (b === 255 ? 255 : Math.min(b, node.edges[k % columns] ?? 0)));
      hist.set(directHistogram(node.ids, clamped, gradients, hessians));
      let G = 0;
      let H = 0;
      for (const i of node.ids) {
        G += gradients[i] ?? 0;
        H += hessians[i] ?? 0;
      }
      for (const p of [
        { l2: 0, minLeaf: 20, minHess: 1e-3 },
        { l2: 1.5, minLeaf: 1, minHess: 0.25 },
      ]) {
        const C = node.ids.length;
        const expected = findSplitReference(hist, counts, { G, H, C }, p);
        const parent = (G * G) / (H + p.l2);
        const hist0 = arena.regions.hist.offset;
        const found = kernels.findSplit(hist0, G, H, C, parent, p.l2, p.minLeaf, p.minHess, 1e-12, result);
        const actual =
          found === 0
            ? null
            : {
                gain: sums[0],
                feature: ints[8],
                bin: ints[9],
                missingLeft: ints[10] === 1,
                gradLeft: sums[1],
                hessLeft: sums[2],
                countLeft: sums[3],
              };
        expect(actual, `node ${n}, ${JSON.stringify(p)}`).toEqual(expected);
        if (expected !== null) splits++;
        if (expected?.missingLeft === true) missingLeftSplits++;
      }
    }
    // Found and not found both occur, and some splits send the missing values left.
    expect(splits).toBeGreaterThanOrEqual(4);
    expect(splits).toBeLessThan(2 * nodes.length);
    expect(missingLeftSplits).toBeGreaterThan(0);
  });

  it("mergeHistograms writes the sum of the threads' parts to the child and subtracts it from the parent", () => {
    const { arena, kernels, hist } = setUp(false);
    const parent = arenaView(arena, 'parent', Float64Array);
    const parts = arenaView(arena, 'workerHists', Float64Array);
    const fill = (values: Float64Array, seed: number) => {
      for (let k = 0; k < values.length; k++) values[k] = Math.sin(k * seed) * 1e3;
    };
    fill(hist, 1.1); // stale: overwritten, not added to
    fill(parent, 2.3);
    fill(parts, 3.7);
    const length = hist.length;
    const child = Array.from({ length }, (_, k) => (parts[k] ?? 0) + (parts[length + k] ?? 0));
    const sibling = Array.from(parent, (p, k) => p - (child[k] ?? 0));
    const { hist: childAt, parent: parentAt, workerHists: partsAt } = arena.regions;
    kernels.mergeHistograms(childAt.offset, partsAt.offset, 2, parentAt.offset, 1);
    expect(Array.from(hist)).toEqual(child);
    expect(Array.from(parent)).toEqual(sibling);
    // Without subtraction the parent stays; one part is copied.
    kernels.mergeHistograms(childAt.offset, partsAt.offset, 1, parentAt.offset, 0);
    expect(Array.from(hist)).toEqual(Array.from(parts.subarray(0, length)));
    expect(Array.from(parent)).toEqual(sibling);
  });

  it('sortColumn sorts a column like a numeric sort, NaN left out, signed zeros and infinities included', () => {
    const { arena, kernels } = setUp(false);
    const staging = arenaView(arena, 'staging', Float32Array);
    for (let k = 0; k < staging.length; k++) staging[k] = Math.sin(k * 12.9898) * 10 ** ((k % 9) - 4);
    const special = [0, -0, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, Number.NaN, Number.NaN];
    special.forEach((x, k) => (staging[(100 + k) * columns + 2] = x));
    const scratch = arena.regions.sortScratch.offset;
    const m = kernels.sortColumn(2, rows, scratch, scratch + rows * 4, scratch + 2 * rows * 4);
    const column = Array.from({ length: rows }, (_, i) => staging[i * columns + 2] ?? 0);
    const expected = column
      .filter((x) => !Number.isNaN(x))
      .sort((a, b) => a - b || (Object.is(a, -0) ? -1 : 1));
    expect(m).toBe(rows - 2);
    const sorted = Array.from(new Float32Array(arena.memory.buffer, scratch, m));
    expect(sorted).toEqual(expected);
    expect(Object.is(sorted[sorted.indexOf(0)], -0)).toBe(true); // -0 before +0
  });

  it('binRows bins like the JavaScript lower bound: edges, ties, infinities and NaN', () => {
    const { arena, kernels } = setUp(false);
    // Feature f has min(255, 64 f + 3) edges (the last uses all 255 slots); values tie with edges.
    const counts = Int32Array.from({ length: columns }, (_, f) => Math.min(255, 64 * f + 3));
    const thresholds = new Float32Array(columns * 255);
    for (let f = 0; f < columns; f++) {
      for (let b = 0; b < (counts[f] ?? 0); b++) thresholds[f * 255 + b] = Math.fround(b * 0.5 - 20);
    }
    const staging = arenaView(arena, 'staging', Float32Array);
    const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -20, 0, 107];
    for (let k = 0; k < staging.length; k++) {
      staging[k] = k % 13 === 0 ? (special[(k / 13) % special.length] ?? 0) : ((k * 7919) % 3001) / 20 - 40;
    }
    const padded = arenaView(arena, 'binEdges', Float32Array).fill(Number.POSITIVE_INFINITY);
    for (let f = 0; f < columns; f++)
      padded.set(thresholds.subarray(f * 255, f * 255 + (counts[f] ?? 0)), f * 256);
    const binned = arenaView(arena, 'binned', Uint8Array);
    kernels.binRows(0, 600, 0);
    kernels.binRows(600, rows, 0);
    const expected = new Uint8Array(rows * columns);
    binRows(staging, columns, thresholds, counts, expected, 0, rows, 0);
    expect(Array.from(binned)).toEqual(Array.from(expected));
    // The same bins feature by feature, for partitions.
    const binnedColumns = arenaView(arena, 'binnedColumns', Uint8Array);
    expect(Array.from(binnedColumns)).toEqual(
      Array.from({ length: rows * columns }, (_, k) => expected[(k % rows) * columns + Math.floor(k / rows)]),
    );
    // Output rows move by outRow.
    kernels.binRows(0, 10, 100);
    expect(Array.from(binned.subarray(100 * columns, 110 * columns))).toEqual(
      Array.from(expected.subarray(0, 10 * columns)),
    );
  });

  for (const shared of [false, true]) {
    it(`histogramAll sums a row range exactly (${shared ? 'shared' : 'private'} memory)`, () => {
      const { arena, kernels, binned, gradients, hessians, hist } = setUp(shared);
      hist.fill(7); // stale values must be cleared
      kernels.histogramAll(100, 900, arena.regions.hist.offset);
      const ids = Array.from({ length: 800 }, (_, k) => k + 100);
      expect(Array.from(hist)).toEqual(directHistogram(ids, binned, gradients, hessians));
    });
  }

  it('histogramSums sums gradients and hessians like histogramAll and leaves the counts 0', () => {
    const { arena, kernels, binned, gradients, hessians, hist } = setUp(false);
    hist.fill(7);
    kernels.histogramSums(100, 900, arena.regions.hist.offset);
    const ids = Array.from({ length: 800 }, (_, k) => k + 100);
    const expected = directHistogram(ids, binned, gradients, hessians).map((v, k) => (k % 3 === 2 ? 0 : v));
    expect(Array.from(hist)).toEqual(expected);
  });

  it('histogramRows sums the listed rows exactly', () => {
    const { arena, kernels, binned, gradients, hessians, hist, list } = setUp(false);
    const subset = Array.from({ length: 300 }, (_, k) => k * 3 + 1);
    list.set(subset, 10);
    hist.fill(-1);
    kernels.histogramRows(arena.regions.rows.offset, 10, 310, arena.regions.hist.offset);
    expect(Array.from(hist)).toEqual(directHistogram(subset, binned, gradients, hessians));
  });

  for (const missingLeft of [0, 1]) {
    it(`partition is stable forwards and backwards, routes missing values ${missingLeft === 1 ? 'left' : 'right'}`, () => {
      const { arena, kernels, binned, list } = setUp(false);
      const scratch = arenaView(arena, 'scratch', Uint32Array);
      const ids = Array.from({ length: 500 }, (_, k) => 999 - 2 * k);
      list.set(ids, 20);
      const feature = 2;
      const bin = 120;
      const goesLeft = (i: number) => {
        const b = binned[i * columns + feature] ?? 0;
        return b === 255 ? missingLeft === 1 : b <= bin;
      };
      const expectedLeft = ids.filter(goesLeft);
      const expected = [...expectedLeft, ...ids.filter((i) => !goesLeft(i))];
      expect(expectedLeft.length).toBeGreaterThan(0);
      expect(expectedLeft.length).toBeLessThan(ids.length);
      expect(ids.some((i) => binned[i * columns + feature] === 255)).toBe(true);
      const [source, target] = [arena.regions.rows.offset, arena.regions.scratch.offset];
      const at = (list: number, position: number) => list + 4 * position;
      const leftEnd = 20 + expectedLeft.length;
      // forwards from the first rows of both runs
      scratch.fill(7);
      const left = kernels.partition(
        feature,
        bin,
        missingLeft,
        at(source, 20),
        500,
        4,
        at(target, 20),
        at(target, leftEnd),
      );
      expect(left).toBe(expectedLeft.length);
      expect(Array.from(scratch.subarray(20, 520))).toEqual(expected);
      // backwards from the last rows of both runs: the same runs, nothing written around them
      scratch.fill(7);
      const back = kernels.partition(
        feature,
        bin,
        missingLeft,
        at(source, 519),
        500,
        -4,
        at(target, leftEnd - 1),
        at(target, 519),
      );
      expect(back).toBe(expectedLeft.length);
      expect(Array.from(scratch.subarray(20, 520))).toEqual(expected);
      expect([scratch[19], scratch[520]]).toEqual([7, 7]);
    });
  }

  it('computes log-loss gradients and hessians as 1 / (1 + e^-z) does, and squared-error ones', () => {
    const { arena, kernels } = setUp(false);
    const gradHess = arenaView(arena, 'gradHess', Float32Array);
    const gradient = (i: number) => gradHess[2 * i] ?? Number.NaN;
    const hessian = (i: number) => gradHess[2 * i + 1] ?? Number.NaN;
    const raw = arenaView(arena, 'raw', Float64Array);
    const labels = arenaView(arena, 'labels', Float32Array);
    for (let i = 0; i < rows; i++) {
      // scores from -800 (clamped) through ordinary log-odds to +800
      raw[i] = i < 2 ? (i === 0 ? -800 : 800) : ((i - 500) / 500) * 30;
      labels[i] = i % 3 === 0 ? 1 : 0;
    }
    // ranges of 3, 7 and 990 rows: four rows per step, then a pair, then a scalar tail
    kernels.gradients(0, 0, 3);
    kernels.gradients(0, 3, 10);
    kernels.gradients(0, 10, rows);
    let maxGradientError = 0;
    let maxHessianError = 0;
    for (let i = 0; i < rows; i++) {
      const p = 1 / (1 + Math.exp(-(raw[i] ?? 0)));
      maxGradientError = Math.max(maxGradientError, Math.abs(gradient(i) - (p - (labels[i] ?? 0))));
      maxHessianError = Math.max(maxHessianError, Math.abs(hessian(i) - p * (1 - p)));
    }
    // float32 storage rounds to ~6e-8 of values <= 1
    expect(maxGradientError).toBeLessThan(1e-7);
    expect(maxHessianError).toBeLessThan(1e-7);
    expect(gradient(0)).toBe(-(labels[0] ?? Number.NaN));
    kernels.gradients(1, 10, 20);
    expect(Array.from({ length: 10 }, (_, k) => gradient(10 + k))).toEqual(
      Array.from({ length: 10 }, (_, k) => Math.fround((raw[10 + k] ?? 0) - (labels[10 + k] ?? 0))),
    );
    expect(Array.from({ length: 10 }, (_, k) => hessian(10 + k))).toEqual(new Array<number>(10).fill(1));
  });

  it('adds each leaf value to the raw scores of the rows at its positions, rows within the range given', () => {
    const { arena, kernels, list } = setUp(false);
    const raw = arenaView(arena, 'raw', Float64Array);
    const leaves = [
      [0, 300, 0.5],
      [300, 301, -2],
      [301, rows, 0.25],
    ] as const;
    // a permutation, ascending within each leaf (as stable partitions leave the rows)
    const permutation = Array.from({ length: rows }, (_, k) => (k * 7) % rows);
    const ids = leaves.flatMap(([start, end]) => permutation.slice(start, end).sort((a, b) => a - b));
    list.set(ids);
    const starts = arenaView(arena, 'leafTable', Int32Array);
    const values = arenaView(arena, 'leafTable', Float64Array);
    leaves.forEach(([start, end, value], k) => {
      starts[k * 4] = start;
      starts[k * 4 + 1] = end;
      values[k * 2 + 1] = value;
    });
    // two ranges of rows, as two threads add them: the first leaves the other rows alone
    kernels.addLeafValues(arena.regions.leafTable.offset, 3, 0, 450);
    expect(raw.subarray(450).every((score) => score === 0)).toBe(true);
    expect(raw.subarray(0, 450).every((score) => score !== 0)).toBe(true);
    kernels.addLeafValues(arena.regions.leafTable.offset, 3, 450, rows);
    const expected = new Float64Array(rows);
    for (const [start, end, value] of leaves)
      for (let k = start; k < end; k++) expected[ids[k] ?? -1] = value;
    expect(Array.from(raw)).toEqual(Array.from(expected));
  });

  it('adds leaf values block by block of rows: rows of every leaf in several blocks, a range cut inside a block', () => {
    const n = 3 * LEAF_VALUE_BLOCK_ROWS + 123;
    const { arena, kernels, list } = setUp(false, n);
    const raw = arenaView(arena, 'raw', Float64Array);
    // two leaves interleaving all the way: even rows in the first, odd rows in the second
    const evens = Array.from({ length: Math.ceil(n / 2) }, (_, k) => 2 * k);
    const odds = Array.from({ length: Math.floor(n / 2) }, (_, k) => 2 * k + 1);
    list.set([...evens, ...odds]);
    const starts = arenaView(arena, 'leafTable', Int32Array);
    const values = arenaView(arena, 'leafTable', Float64Array);
    [
      [0, evens.length, 1.5],
      [evens.length, n, -0.25],
    ].forEach(([start, end, value], k) => {
      starts[k * 4] = start ?? 0;
      starts[k * 4 + 1] = end ?? 0;
      values[k * 2 + 1] = value ?? 0;
    });
    const cut = LEAF_VALUE_BLOCK_ROWS + 7;
    kernels.addLeafValues(arena.regions.leafTable.offset, 2, 0, cut);
    expect(raw.subarray(cut).every((score) => score === 0)).toBe(true);
    kernels.addLeafValues(arena.regions.leafTable.offset, 2, cut, n);
    expect(Array.from(raw)).toEqual(Array.from({ length: n }, (_, row) => (row % 2 === 0 ? 1.5 : -0.25)));
  });

  it('partitionAll takes read / 4 as the row, whatever the row list holds', () => {
    const { arena, kernels, binned, list } = setUp(false);
    const scratch = arenaView(arena, 'scratch', Uint32Array);
    list.fill(123_456); // stale contents must not be read
    const goesLeft = (i: number) => (binned[i * columns + 1] ?? 0) <= 60;
    const { rows: rowsRegion, scratch: scratchRegion } = arena.regions;
    const left = kernels.partitionAll(1, 60, 0, 0, rows, 4, rowsRegion.offset, scratchRegion.offset);
    const ids = Array.from({ length: rows }, (_, i) => i);
    expect(left).toBe(ids.filter(goesLeft).length);
    expect(Array.from(list.subarray(0, left))).toEqual(ids.filter(goesLeft));
    expect(Array.from(scratch.subarray(0, rows - left))).toEqual(ids.filter((i) => !goesLeft(i)));
  });

  for (const allRows of [false, true]) {
    it(`partitions in three parts into the other list, stably, each part's histogram from its own run${allRows ? ' (the root)' : ''}`, () => {
      const { arena, kernels, binned, gradients, hessians, list } = setUp(false);
      const words = new Uint32Array(arena.memory.buffer);
      const scratch = arenaView(arena, 'scratch', Uint32Array);
      const [start, count] = allRows ? [0, rows] : [100, 700];
      const ids = Array.from({ length: count }, (_, k) => (allRows ? k : (k * 13) % rows));
      if (!allRows) list.set(ids, start);
      const goesLeft = (i: number) => (binned[i * columns + 3] ?? 0) <= 90;
      const expected = [...ids.filter(goesLeft), ...ids.filter((i) => !goesLeft(i))];
      const { rows: rowsRegion, scratch: scratchRegion, scratch2, workerHists } = arena.regions;
      const spec = (part: number): PartitionSpec => ({
        feature: 3,
        bin: 90,
        missingLeft: 0,
        allRows,
        source: rowsRegion.offset,
        target: scratchRegion.offset,
        staging: scratch2.offset,
        start,
        count,
        countLeft: ids.filter(goesLeft).length,
        histogram: { left: part !== 1, address: part === 2 ? workerHists.offset : arena.regions.hist.offset },
      });
      scratch.fill(7);
      // three parts of the positions, as three threads take them: the middle one stages its rows
      const parts = 3;
      const control = new Int32Array(64);
      const partRows = (part: number) =>
        ids.slice(Math.floor((count * part) / parts), Math.floor((count * (part + 1)) / parts));
      for (const part of [2, 0, 1]) {
        control[32 + part] = partitionPart(kernels, spec(part), part, parts);
        expect(control[32 + part]).toBe(partRows(part).filter(goesLeft).length);
        // part 1 built the right side's histogram, parts 0 and 2 the left side's
        const side = partRows(part).filter((i) => (part === 1 ? !goesLeft(i) : goesLeft(i)));
        const histogram = new Float64Array(
          arena.memory.buffer,
          spec(part).histogram?.address,
          columns * HISTOGRAM_STRIDE,
        );
        expect(Array.from(histogram)).toEqual(directHistogram(side, binned, gradients, hessians));
      }
      gatherMiddleRuns(words, spec(1), control, 1, parts);
      expect(Array.from(scratch.subarray(start, start + count))).toEqual(expected);
      if (!allRows) expect([scratch[start - 1], scratch[start + count]]).toEqual([7, 7]);
    });
  }

  it('refuses an arena larger than WebAssembly memory allows, naming the problem', () => {
    expect(() => allocateArena({ shared: false, sizes: { huge: 5 * 2 ** 30 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', problem: 'TOO_LARGE' }),
    );
  });
});
