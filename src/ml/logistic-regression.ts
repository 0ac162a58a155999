/* eslint-disable @typescript-eslint/no-non-null-assertion -- hot loops over typed arrays sized up front */
/**
 * L2-regularized logistic regression on standardized features, fitted with L-BFGS, with an
 * (unpenalized) intercept. Objective: mean log-loss + l2 / (2 n) · ||w||² on standardized features,
 * i.e. scikit-learn's `LogisticRegression(C = 1 / l2)` after a `StandardScaler`.
 *
 * @example
 * ```ts
 * import { trainLogisticRegression } from 'lakeloop/ml';
 * const model = await trainLogisticRegression(train, { l2Regularization: 1 });
 * const p = model.predict(test.features, test.rows);
 * const onnxBytes = model.toOnnx();
 * ```
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { LakeloopError } from '../errors.js';
import { logisticPartial } from './gbdt-kernels.js';
import { KernelThreadPool, MAX_POOL_THREADS } from './kernel-thread-pool.js';
import { allocateArena, arenaView } from './training-arena.js';
import { minimizeLbfgs } from './lbfgs-optimizer.js';
import { logisticRegressionToOnnx } from './onnx-export.js';
import {
  checkPredictInput,
  featureNamesOf,
  TrainingDataError,
  validateTrainingData,
  type TabularData,
} from './tabular-data.js';

/** Parameters of {@link trainLogisticRegression}. */
export interface LogisticRegressionParams {
  /** L2 penalty on the standardized weights (= 1 / C of scikit-learn). Default 1. */
  l2Regularization?: number;
  /** L-BFGS iterations at most. Default 200. */
  maxIterations?: number;
  /** Threads including the calling one (used from 50,000 rows). Default `os.availableParallelism()`. */
  threads?: number;
  /** Stop when the largest gradient component of the mean loss is below this. Default 1e-4 (scikit-learn's `tol`). */
  tolerance?: number;
}

/** The JSON form of a {@link LogisticRegressionModel}. */
export interface LogisticRegressionModelJson {
  format: 'lakeloop.logistic-regression';
  version: 1;
  featureNames: string[];
  mean: number[];
  scale: number[];
  weights: number[];
  intercept: number;
  iterations: number;
}

const modelSchema = z.object({
  format: z.literal('lakeloop.logistic-regression'),
  version: z.literal(1),
  featureNames: z.array(z.string()),
  mean: z.array(z.number()),
  scale: z.array(z.number().positive()),
  weights: z.array(z.number()),
  intercept: z.number(),
  iterations: z.number().int().nonnegative(),
});

/** A fitted logistic regression. */
export class LogisticRegressionModel {
  readonly kind = 'logisticRegression';
  readonly featureNames: readonly string[];
  /** Standardization: x' = (x - mean) / scale. */
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** Weights on standardized features. */
  readonly weights: Float64Array;
  readonly intercept: number;
  /** L-BFGS iterations used. */
  readonly iterations: number;
  // float32 copies, used by predict the way ONNX Runtime computes
  readonly #mean32: Float32Array;
  readonly #invScale32: Float32Array;
  readonly #weights32: Float32Array;

  constructor(init: {
    featureNames: readonly string[];
    mean: Float64Array;
    scale: Float64Array;
    weights: Float64Array;
    intercept: number;
    iterations: number;
  }) {
    this.featureNames = [...init.featureNames];
    this.mean = init.mean;
    this.scale = init.scale;
    this.weights = init.weights;
    this.intercept = init.intercept;
    this.iterations = init.iterations;
    this.#mean32 = Float32Array.from(init.mean);
    this.#invScale32 = Float32Array.from(init.scale, (s) => 1 / s);
    this.#weights32 = Float32Array.from(init.weights);
  }

  /** Number of features the model expects per row. */
  get columns(): number {
    return this.featureNames.length;
  }

  /** P(y = 1) for each of `rows` rows of row-major float32 features. */
  predict(features: Float32Array, rows: number): Float64Array {
    const k = this.columns;
    checkPredictInput(features, rows, k);
    const fround = Math.fround;
    const mean = this.#mean32;
    const inv = this.#invScale32;
    const w = this.#weights32;
    const b = fround(this.intercept);
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const base = i * k;
      let z = 0;
      for (let j = 0; j < k; j++) z += w[j]! * fround(fround(features[base + j]! - mean[j]!) * inv[j]!);
      out[i] = 1 / (1 + Math.exp(-fround(fround(z) + b)));
    }
    return out;
  }

  /** Absolute standardized weight of each feature (comparable across features). */
  featureImportance(): { featureNames: string[]; weight: number[] } {
    return { featureNames: [...this.featureNames], weight: Array.from(this.weights, Math.abs) };
  }

  /** A plain JSON object; `LogisticRegressionModel.fromJSON` restores the same model. */
  toJSON(): LogisticRegressionModelJson {
    return {
      format: 'lakeloop.logistic-regression',
      version: 1,
      featureNames: [...this.featureNames],
      mean: Array.from(this.mean),
      scale: Array.from(this.scale),
      weights: Array.from(this.weights),
      intercept: this.intercept,
      iterations: this.iterations,
    };
  }

  /** Restores a model from {@link toJSON}'s output (validated; throws INVALID_ARGUMENT). */
  static fromJSON(json: unknown): LogisticRegressionModel {
    const parsed = modelSchema.safeParse(json);
    const k = parsed.success ? parsed.data.featureNames.length : -1;
    if (
      !parsed.success ||
      parsed.data.mean.length !== k ||
      parsed.data.scale.length !== k ||
      parsed.data.weights.length !== k
    ) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        'Not a lakeloop logistic regression model (check format and array lengths); pass the output of toJSON().',
        { cause: parsed.error },
      );
    }
    const m = parsed.data;
    return new LogisticRegressionModel({
      featureNames: m.featureNames,
      mean: Float64Array.from(m.mean),
      scale: Float64Array.from(m.scale),
      weights: Float64Array.from(m.weights),
      intercept: m.intercept,
      iterations: m.iterations,
    });
  }

  /** ONNX bytes: Sub, Mul, MatMul, Add, Sigmoid; input `input` [N, k], output `probability` [N, 1]. */
  toOnnx(): Uint8Array {
    return logisticRegressionToOnnx(this);
  }
}

/** Rows from which the objective is evaluated on worker threads. */
const PARALLEL_MIN_ROWS = 50_000;

/**
 * Fits logistic regression. Resolves to the model; rejects with a `TrainingDataError` on unusable
 * data (also NaN/infinite features). The objective is evaluated on `threads` threads over shared
 * memory for large data (the event loop is blocked while L-BFGS runs).
 */
export async function trainLogisticRegression(
  data: TabularData,
  params: LogisticRegressionParams = {},
): Promise<LogisticRegressionModel> {
  const l2 = params.l2Regularization ?? 1;
  if (!(l2 >= 0)) {
    throw new TrainingDataError('BAD_PARAMETER', `l2Regularization must be >= 0, got ${l2}.`, {
      parameter: 'l2Regularization',
    });
  }
  const requested = params.threads ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 1) {
    throw new TrainingDataError('BAD_PARAMETER', `threads must be an integer >= 1, got ${requested}.`, {
      parameter: 'threads',
    });
  }
  validateTrainingData(data, { task: 'binary' });
  const { features, rows: n, columns: k, labels } = data;
  const { mean, scale } = standardization(data);
  const threads = n >= PARALLEL_MIN_ROWS ? Math.min(requested, MAX_POOL_THREADS) : 1;
  const shared = threads > 1;
  // Workers read the features from the shared arena; a single thread reads them where they are.
  const arena = allocateArena({
    shared,
    sizes: {
      features: shared ? features.byteLength : 0,
      labels: n * 4,
      lrParams: (k + 1) * 8,
      lrPartials: threads * (k + 2) * 8,
    },
  });
  const labels32 = arenaView(arena, 'labels', Float32Array);
  labels32.set(labels);
  let x = features;
  if (shared) {
    x = arenaView(arena, 'features', Float32Array);
    x.set(features);
  }
  const pool = await KernelThreadPool.start({
    threads,
    shared: shared
      ? {
          memory: arena.memory,
          regions: arena.regions,
          columns: k,
          histogramBytes: 0,
          kernels: null,
        }
      : null,
  });
  try {
    const effective = arenaView(arena, 'lrParams', Float64Array);
    const partials = arenaView(arena, 'lrPartials', Float64Array);
    const evaluate = (theta: Float64Array, grad: Float64Array): number => {
      // z = b + Σ w_j (x_j - m_j) / s_j = (b - Σ w_j m_j / s_j) + Σ (w_j / s_j) x_j
      let b = theta[k]!;
      for (let j = 0; j < k; j++) {
        effective[j] = theta[j]! / scale[j]!;
        b -= effective[j]! * mean[j]!;
      }
      effective[k] = b;
      pool.run({ task: 'logistic', start: 0, count: n }, (from, to) => {
        logisticPartial(x, k, labels32, effective, partials, 0, from, to);
      });
      let loss = 0;
      let sumR = 0;
      for (let part = 0; part < threads; part++) {
        loss += partials[part * (k + 2)]!;
        sumR += partials[part * (k + 2) + 1]!;
      }
      let penalty = 0;
      for (let j = 0; j < k; j++) {
        let raw = 0;
        for (let part = 0; part < threads; part++) raw += partials[part * (k + 2) + 2 + j]!;
        const w = theta[j]!;
        penalty += w * w;
        // ∂/∂w_j of Σ loss = Σ r (x_j - m_j) / s_j
        grad[j] = ((raw - mean[j]! * sumR) / scale[j]! + l2 * w) / n;
      }
      grad[k] = sumR / n;
      return (loss + 0.5 * l2 * penalty) / n;
    };
    return fit(data, { evaluate, mean, scale, params });
  } finally {
    await pool.close();
  }
}

/** Mean and population standard deviation of every column; rejects non-finite values. */
function standardization(data: TabularData): { mean: Float64Array; scale: Float64Array } {
  const { features, rows: n, columns: k } = data;
  const mean = new Float64Array(k);
  const scale = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    for (let j = 0; j < k; j++) {
      const x = features[base + j]!;
      if (!Number.isFinite(x)) {
        throw new TrainingDataError(
          'NON_FINITE_FEATURE',
          `Feature ${featureNamesOf(data)[j] ?? j} is ${x} at row ${i}; logistic regression needs finite features (impute missing values first).`,
          { row: i, column: j },
        );
      }
      mean[j] = mean[j]! + x;
    }
  }
  for (let j = 0; j < k; j++) mean[j] = mean[j]! / n;
  for (let i = 0; i < n; i++) {
    const base = i * k;
    for (let j = 0; j < k; j++) {
      const dx = features[base + j]! - mean[j]!;
      scale[j] = scale[j]! + dx * dx;
    }
  }
  for (let j = 0; j < k; j++) {
    const sd = Math.sqrt(scale[j]! / n);
    scale[j] = sd > 0 ? sd : 1;
  }
  return { mean, scale };
}

function fit(
  data: TabularData,
  ctx: {
    evaluate: (theta: Float64Array, grad: Float64Array) => number;
    mean: Float64Array;
    scale: Float64Array;
    params: LogisticRegressionParams;
  },
): LogisticRegressionModel {
  const { evaluate, mean, scale, params } = ctx;
  const k = data.columns;
  const result = minimizeLbfgs({
    x0: new Float64Array(k + 1),
    evaluate,
    maxIterations: params.maxIterations ?? 200,
    gradientTolerance: params.tolerance ?? 1e-4,
  });
  return new LogisticRegressionModel({
    featureNames: featureNamesOf(data),
    mean,
    scale,
    weights: result.x.slice(0, k),
    intercept: result.x[k]!,
    iterations: result.iterations,
  });
}
