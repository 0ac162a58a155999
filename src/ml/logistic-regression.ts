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
import { z } from 'zod';
import { LakeloopError } from '../errors.js';
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

/**
 * Fits logistic regression. Async for symmetry with gradient boosting (runs on the calling
 * thread). Rejects with a `TrainingDataError` on unusable data (also NaN/infinite features).
 */
export function trainLogisticRegression(
  data: TabularData,
  params: LogisticRegressionParams = {},
): Promise<LogisticRegressionModel> {
  try {
    return Promise.resolve(fitLogisticRegression(data, params));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function fitLogisticRegression(data: TabularData, params: LogisticRegressionParams): LogisticRegressionModel {
  const l2 = params.l2Regularization ?? 1;
  if (!(l2 >= 0)) {
    throw new TrainingDataError('BAD_PARAMETER', `l2Regularization must be >= 0, got ${l2}.`, {
      parameter: 'l2Regularization',
    });
  }
  validateTrainingData(data, { task: 'binary' });
  const { features, rows: n, columns: k, labels } = data;
  // mean and standard deviation (two passes, float64)
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
  const y = labels;
  // parameters: k weights (standardized) then the intercept
  const effective = new Float64Array(k);
  const raw = new Float64Array(k);
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    // z = b + Σ w_j (x_j - m_j) / s_j = (b - Σ w_j m_j / s_j) + Σ (w_j / s_j) x_j
    let b = theta[k]!;
    for (let j = 0; j < k; j++) {
      effective[j] = theta[j]! / scale[j]!;
      b -= effective[j]! * mean[j]!;
    }
    raw.fill(0);
    let sumR = 0;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const base = i * k;
      let z = b;
      for (let j = 0; j < k; j++) z += effective[j]! * features[base + j]!;
      const yi = y[i]!;
      // log(1 + e^z) - y z and p = sigmoid(z), stably
      let p: number;
      if (z > 0) {
        const e = Math.exp(-z);
        loss += z + Math.log1p(e) - yi * z;
        p = 1 / (1 + e);
      } else {
        const e = Math.exp(z);
        loss += Math.log1p(e) - yi * z;
        p = e / (1 + e);
      }
      const r = p - yi;
      sumR += r;
      for (let j = 0; j < k; j++) raw[j] = raw[j]! + r * features[base + j]!;
    }
    let penalty = 0;
    for (let j = 0; j < k; j++) {
      const w = theta[j]!;
      penalty += w * w;
      // ∂/∂w_j of Σ loss = Σ r (x_j - m_j) / s_j
      grad[j] = ((raw[j]! - mean[j]! * sumR) / scale[j]! + l2 * w) / n;
    }
    grad[k] = sumR / n;
    return (loss + 0.5 * l2 * penalty) / n;
  };
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
