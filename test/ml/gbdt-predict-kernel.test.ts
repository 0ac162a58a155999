import { describe, expect, it } from 'vitest';
import { compileForest } from '../../src/ml/gbdt-predict-kernel.js';
import type { TreeArrays } from '../../src/ml/gradient-boosting-model.js';
import { seededRandom } from '../../src/ml/seeded-random.js';

const columns = 3;

/** A random tree of `leaves` leaves grown by splitting random leaves (deep and unbalanced). */
function randomTree(random: () => number, leaves: number, width = columns): TreeArrays {
  const feature = [-1];
  const threshold = [0];
  const missingLeft = [0];
  const left = [-1];
  const right = [-1];
  const value = [Math.fround(random() - 0.5)];
  const open = [0];
  while (open.length < leaves) {
    const node = open.splice(Math.floor(random() * open.length), 1)[0] ?? 0;
    feature[node] = Math.floor(random() * width);
    // Some splits send every finite value left ("only missing right").
    threshold[node] = random() < 0.1 ? Number.POSITIVE_INFINITY : Math.fround(random() * 2 - 1);
    missingLeft[node] = random() < 0.5 ? 1 : 0;
    for (const side of [left, right]) {
      side[node] = feature.length;
      open.push(feature.length);
      feature.push(-1);
      threshold.push(0);
      missingLeft.push(0);
      left.push(-1);
      right.push(-1);
      value.push(Math.fround(random() - 0.5));
    }
  }
  for (const node of open) value[node] = Math.fround(random() - 0.5);
  return {
    feature: Int32Array.from(feature),
    threshold: Float32Array.from(threshold),
    missingLeft: Uint8Array.from(missingLeft),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float32Array.from(feature.map((f, node) => (f < 0 ? (value[node] ?? 0) : 0))),
    count: new Uint32Array(feature.length),
  };
}

/** The plain walk, row by row, summing in float32 in tree order. */
function walk(trees: TreeArrays[], features: Float32Array, rows: number, width = columns): Float32Array {
  const sums = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (const tree of trees) {
      let node = 0;
      while ((tree.feature[node] ?? -1) >= 0) {
        const x = features[i * width + (tree.feature[node] ?? 0)] ?? Number.NaN;
        const goLeft = x <= (tree.threshold[node] ?? 0) || (Number.isNaN(x) && tree.missingLeft[node] === 1);
        node = (goLeft ? tree.left[node] : tree.right[node]) ?? 0;
      }
      sums[i] = (sums[i] ?? 0) + (tree.value[node] ?? 0);
    }
  }
  return sums;
}

describe('compiled forest (WebAssembly scoring)', () => {
  it('sums the same leaf values as a plain walk: NaN, infinities, a single-leaf tree, several blocks', () => {
    const random = seededRandom(7);
    const trees = [randomTree(random, 1), ...Array.from({ length: 40 }, () => randomTree(random, 31))];
    // More rows than one block of 2,048 and not a multiple of the lanes.
    const rows = 9_003;
    const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0];
    const features = Float32Array.from({ length: rows * columns }, (_, k) =>
      k % 17 === 0 ? (special[k % special.length] ?? 0) : random() * 2.4 - 1.2,
    );
    const expected = walk(trees, features, rows);
    const forest = compileForest(trees, columns);
    expect(Array.from(forest.score(features, rows))).toEqual(Array.from(expected));
    // The compiled forest is reusable, and a short input scores only its rows.
    expect(Array.from(forest.score(features.subarray(0, 5 * columns), 5))).toEqual(
      Array.from(expected.subarray(0, 5)),
    );
    expect(forest.score(new Float32Array(0), 0)).toHaveLength(0);
  });

  it('scores the same sums on several threads: chunks shared out, a last chunk shorter than the lanes', () => {
    const random = seededRandom(11);
    const trees = Array.from({ length: 12 }, () => randomTree(random, 15));
    // Six chunks of 2,048 and a tail of 5 rows, not a multiple of the lanes.
    const rows = 3 * 4_096 + 5;
    const features = Float32Array.from({ length: rows * columns }, (_, k) =>
      k % 23 === 0 ? Number.NaN : random() * 2.4 - 1.2,
    );
    const forest = compileForest(trees, columns);
    const expected = walk(trees, features, rows);
    for (const threads of [2, 3]) {
      expect(Array.from(forest.score(features, rows, threads))).toEqual(Array.from(expected));
    }
    // Every chunk scored by the workers (the calling thread may otherwise take them all first).
    expect(Array.from(forest.score(features, rows, 3, { callerScores: false }))).toEqual(
      Array.from(expected),
    );
  });

  it('refuses a split on a NaN threshold, naming the tree and node', () => {
    const random = seededRandom(3);
    const tree = randomTree(random, 4);
    const split = tree.feature.findIndex((f) => f >= 0);
    tree.threshold[split] = Number.NaN;
    expect(() => compileForest([randomTree(random, 2), tree], columns)).toThrow(
      `Tree 1 splits node ${split} on a NaN threshold`,
    );
  });

  it('scores wide rows in short blocks and long inputs in several passes, the same sums', () => {
    const random = seededRandom(5);
    const width = 600; // 40 rows per kernel call
    const trees = Array.from({ length: 6 }, () => randomTree(random, 31, width));
    const rows = 1_003;
    const features = Float32Array.from({ length: rows * width }, (_, k) =>
      k % 13 === 0 ? Number.NaN : random() * 2.4 - 1.2,
    );
    const forest = compileForest(trees, width);
    const expected = Array.from(walk(trees, features, rows, width));
    expect(Array.from(forest.score(features, rows))).toEqual(expected);
    expect(Array.from(forest.score(features, rows, 2, { passRows: 300 }))).toEqual(expected);
  });
});
