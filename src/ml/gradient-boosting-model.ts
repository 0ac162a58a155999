/**
 * A trained gradient boosting model: an ensemble of binary trees over float32 features, with
 * `predict`, feature importance, JSON round trip and ONNX export.
 *
 * Predictions are computed the way ONNX Runtime computes them (leaf values and their sum in
 * float32, the logistic in double), so `predict` and the exported ONNX model agree to ~1e-7.
 *
 * @example
 * ```ts
 * const model = await trainGradientBoosting(train, { maxIterations: 100 });
 * const p = model.predict(test.features, test.rows); // P(y = 1) per row
 * const copy = GradientBoostingModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
 * ```
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { LakeloopError } from '../errors.js';
import { compileForest, type CompiledForest } from './gbdt-predict-kernel.js';
import { gradientBoostingToOnnx } from './onnx-export.js';
import { checkPredictInput } from './tabular-data.js';

/** What a model predicts: `binary` = P(y=1) (log-loss), `squaredError` = a value (regression). */
export type GradientBoostingObjective = 'binary' | 'squaredError';

/** One tree in flat arrays; node 0 is the root; a leaf has `feature = -1`. */
export interface TreeArrays {
  feature: Int32Array;
  /** Go left when `value <= threshold` (float32). */
  threshold: Float32Array;
  /** 1 when missing values (NaN) go left. */
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf values (float32, learning rate applied); 0 for internal nodes. */
  value: Float32Array;
  /** Training rows that reached each node. */
  count: Uint32Array;
}

/** Importance of each feature. */
export interface FeatureImportance {
  featureNames: string[];
  /** Total loss reduction of the splits on each feature. */
  gain: number[];
  /** Number of splits on each feature. */
  splitCount: number[];
}

/** The JSON form of a {@link GradientBoostingModel}. */
export interface GradientBoostingModelJson {
  format: 'lakeloop.gradient-boosting';
  version: 1;
  objective: GradientBoostingObjective;
  baseScore: number;
  featureNames: string[];
  iterations: number;
  trees: {
    feature: number[];
    threshold: number[];
    missingLeft: number[];
    left: number[];
    right: number[];
    value: number[];
    count: number[];
  }[];
  importance: { gain: number[]; splitCount: number[] };
}

const treeSchema = z.object({
  feature: z.array(z.number().int()),
  threshold: z.array(z.number()),
  missingLeft: z.array(z.number().int()),
  left: z.array(z.number().int()),
  right: z.array(z.number().int()),
  value: z.array(z.number()),
  count: z.array(z.number().int().nonnegative()),
});

const modelSchema = z.object({
  format: z.literal('lakeloop.gradient-boosting'),
  version: z.literal(1),
  objective: z.enum(['binary', 'squaredError']),
  baseScore: z.number(),
  featureNames: z.array(z.string()),
  iterations: z.number().int().nonnegative(),
  trees: z.array(treeSchema),
  importance: z.object({ gain: z.array(z.number()), splitCount: z.array(z.number()) }),
});

/** What {@link GradientBoostingModel} is built from. */
export interface GradientBoostingModelInit {
  objective: GradientBoostingObjective;
  baseScore: number;
  featureNames: string[];
  trees: TreeArrays[];
  importance: { gain: number[]; splitCount: number[] };
}

/** Options of {@link GradientBoostingModel.predict}. */
export interface PredictOptions {
  /**
   * Threads to score on, including this one. Default: one below {@link PARALLEL_SCORING_WORK}
   * rows × trees, else every core (at most 8). Workers start per call (~20 ms), while this
   * thread scores too.
   */
  threads?: number;
}

/**
 * Rows × trees from which `predict` uses every core: 100k rows of 100 trees take ~0.1 s on one
 * thread, where starting a worker (~20 ms) pays off.
 */
export const PARALLEL_SCORING_WORK = 10_000_000;

function defaultScoringThreads(work: number): number {
  return work < PARALLEL_SCORING_WORK ? 1 : Math.min(8, availableParallelism());
}

/** A trained gradient-boosted tree ensemble. */
export class GradientBoostingModel {
  readonly kind = 'gradientBoosting';
  readonly objective: GradientBoostingObjective;
  /** Raw score before the first tree (log-odds of the positive rate, or the label mean). */
  readonly baseScore: number;
  readonly featureNames: readonly string[];
  readonly trees: readonly TreeArrays[];
  readonly #importance: { gain: number[]; splitCount: number[] };
  /** The trees compiled for scoring, on the first `predict`. */
  #forest: CompiledForest | undefined;

  constructor(init: GradientBoostingModelInit) {
    this.objective = init.objective;
    this.baseScore = Math.fround(init.baseScore);
    this.featureNames = [...init.featureNames];
    this.trees = init.trees;
    this.#importance = init.importance;
  }

  /** Number of features the model expects per row. */
  get columns(): number {
    return this.featureNames.length;
  }

  /** Number of trees (boosting iterations run). */
  get iterations(): number {
    return this.trees.length;
  }

  /**
   * Predicts `rows` rows of row-major float32 features: P(y=1) for `binary`, values for
   * `squaredError`. Throws a `TrainingDataError` (`FEATURE_COUNT`) when the width is wrong.
   * Large inputs are scored on several threads (see {@link PredictOptions}); the results are the
   * same on any number of threads.
   */
  predict(features: Float32Array, rows: number, options: PredictOptions = {}): Float64Array {
    const raw = this.predictRaw(features, rows, options);
    if (this.objective === 'binary') {
      for (let i = 0; i < rows; i++) raw[i] = 1 / (1 + Math.exp(-(raw[i] ?? 0)));
    }
    return raw;
  }

  /** Raw scores (log-odds for `binary`), summed in float32 like ONNX Runtime. */
  predictRaw(features: Float32Array, rows: number, options: PredictOptions = {}): Float64Array {
    const columns = this.columns;
    checkPredictInput(features, rows, columns);
    const threads = options.threads ?? defaultScoringThreads(rows * this.trees.length);
    if (!Number.isInteger(threads) || threads < 1) {
      throw new LakeloopError('INVALID_ARGUMENT', `threads must be an integer >= 1, got ${threads}.`);
    }
    // Summed in float32 tree by tree, as ONNX Runtime does (see gbdt-predict-kernel.ts).
    this.#forest ??= compileForest(this.trees, columns);
    const sums = this.#forest.score(features, rows, threads);
    const out = new Float64Array(rows);
    const fround = Math.fround;
    for (let i = 0; i < rows; i++) out[i] = fround((sums[i] ?? 0) + this.baseScore);
    return out;
  }

  /** Gain and split count of every feature. */
  featureImportance(): FeatureImportance {
    return {
      featureNames: [...this.featureNames],
      gain: [...this.#importance.gain],
      splitCount: [...this.#importance.splitCount],
    };
  }

  /** A plain JSON object; `GradientBoostingModel.fromJSON` restores the same model. */
  toJSON(): GradientBoostingModelJson {
    return {
      format: 'lakeloop.gradient-boosting',
      version: 1,
      objective: this.objective,
      baseScore: this.baseScore,
      featureNames: [...this.featureNames],
      iterations: this.trees.length,
      trees: this.trees.map((t) => ({
        feature: Array.from(t.feature),
        threshold: Array.from(t.threshold),
        missingLeft: Array.from(t.missingLeft),
        left: Array.from(t.left),
        right: Array.from(t.right),
        value: Array.from(t.value),
        count: Array.from(t.count),
      })),
      importance: { gain: [...this.#importance.gain], splitCount: [...this.#importance.splitCount] },
    };
  }

  /** Restores a model from {@link toJSON}'s output (validated; throws INVALID_ARGUMENT). */
  static fromJSON(json: unknown): GradientBoostingModel {
    const parsed = modelSchema.safeParse(json);
    if (!parsed.success) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Not a lakeloop gradient boosting model: ${parsed.error.issues[0]?.message ?? 'invalid'}; pass the output of toJSON().`,
        { cause: parsed.error },
      );
    }
    const m = parsed.data;
    const columns = m.featureNames.length;
    const trees = m.trees.map((t, ti) => {
      const n = t.feature.length;
      const lengths = [t.threshold, t.missingLeft, t.left, t.right, t.value, t.count].map((a) => a.length);
      const bad =
        n === 0 ||
        lengths.some((l) => l !== n) ||
        t.feature.some(
          (f, i) => f >= columns || (f >= 0 && ((t.left[i] ?? -1) <= i || (t.right[i] ?? -1) <= i)),
        ) ||
        t.left.some((c) => c >= n) ||
        t.right.some((c) => c >= n);
      if (bad) throw new LakeloopError('INVALID_ARGUMENT', `Tree ${ti} of the model JSON is malformed.`);
      return {
        feature: Int32Array.from(t.feature),
        threshold: Float32Array.from(t.threshold),
        missingLeft: Uint8Array.from(t.missingLeft),
        left: Int32Array.from(t.left),
        right: Int32Array.from(t.right),
        value: Float32Array.from(t.value),
        count: Uint32Array.from(t.count),
      };
    });
    return new GradientBoostingModel({
      objective: m.objective,
      baseScore: m.baseScore,
      featureNames: m.featureNames,
      trees,
      importance: m.importance,
    });
  }

  /**
   * The model as ONNX bytes: ai.onnx.ml `TreeEnsembleRegressor` (+ `Sigmoid` for binary).
   * Input `input` float32 [N, k]; output `probability` (binary) or `prediction` float32 [N, 1].
   */
  toOnnx(): Uint8Array {
    return gradientBoostingToOnnx(this);
  }
}
