/**
 * One loaded model version as the server scores it: its registry identity, its signature, the
 * known row it is checked on, and its ONNX sessions — one with a single intra-op thread for small
 * requests (a thread hand-off costs more than a few trees take), and, when more threads are
 * allowed, one for large batches. A reference count tells when the sessions can be released:
 * a swapped-out version finishes its in-flight requests first.
 *
 * @example
 * ```ts
 * const lease = model.acquire();
 * try {
 *   const p = await model.predict(matrix, rows); // Float64Array
 * } finally {
 *   model.release();
 * }
 * ```
 */
import { LakeloopError } from '../errors.js';
import { positiveClassProbabilities } from '../tracking/model/model-loading.js';
import type { TrainingProfile } from '../tracking/model/training-profile.js';

/** Rows at or above which a request runs on the multi-threaded session (when there is one). */
export const BATCH_SESSION_MIN_ROWS = 256;

/** What a served version is, as `GET /model` shows it. */
export interface ServedModelInfo {
  name: string;
  version: string;
  runId: string;
  /** Input columns in the model's order with their MLflow types. */
  inputs: readonly { name: string; type: string }[];
  /** The latest metrics of the training run (empty when the run cannot be read). */
  metrics: Readonly<Record<string, number>>;
  /** When this process loaded it (epoch ms). */
  loadedAt: number;
}

/**
 * The part of an onnxruntime-node session a served model uses. onnxruntime-node is an optional
 * peer, so the published declarations name this shape instead of its types (a consumer without it
 * still type-checks).
 */
export interface OnnxSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>, fetches: string[]): Promise<Record<string, { readonly data: unknown }>>;
  release(): Promise<void>;
}

/** The part of the onnxruntime-node module a served model uses (see {@link OnnxSessionLike}). */
export interface OnnxRuntimeLike {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => object;
}

/** Options of {@link ServedModel}. */
export interface ServedModelInit extends ServedModelInfo {
  runtime: OnnxRuntimeLike;
  /** The single-thread session. */
  single: OnnxSessionLike;
  /** The multi-threaded session for large batches; default: the single one. */
  batch?: OnnxSessionLike;
  /** The model's `input_example.json` rows, row-major in signature order; undefined when absent. */
  example: Float32Array | undefined;
  /** The training data's per-feature profile (`training_profile.json`), for drift. */
  profile: TrainingProfile | undefined;
}

/** A loaded model version (see the module comment). */
export class ServedModel {
  readonly info: ServedModelInfo;
  readonly featureNames: readonly string[];
  /** Index of each feature name (for decoding rows by name). */
  readonly featureIndex: ReadonlyMap<string, number>;
  readonly example: Float32Array | undefined;
  readonly profile: TrainingProfile | undefined;
  readonly #runtime: OnnxRuntimeLike;
  readonly #single: OnnxSessionLike;
  readonly #batch: OnnxSessionLike;
  readonly #inputName: string;
  readonly #outputName: string;
  readonly #label: string;
  #leases = 0;
  #retired = false;
  #released: Promise<void> | undefined;
  #onReleased: (() => void) | undefined;

  constructor(init: ServedModelInit) {
    this.info = {
      name: init.name,
      version: init.version,
      runId: init.runId,
      inputs: init.inputs,
      metrics: init.metrics,
      loadedAt: init.loadedAt,
    };
    this.featureNames = init.inputs.map((input) => input.name);
    this.featureIndex = new Map(this.featureNames.map((name, i) => [name, i]));
    this.example = init.example;
    this.profile = init.profile;
    this.#runtime = init.runtime;
    this.#single = init.single;
    this.#batch = init.batch ?? init.single;
    this.#inputName = init.single.inputNames[0] ?? 'input';
    this.#outputName = init.single.outputNames.includes('probability')
      ? 'probability'
      : (init.single.outputNames[0] ?? 'probability');
    this.#label = `${init.name} v${init.version}`;
  }

  /** Number of features per row. */
  get columns(): number {
    return this.featureNames.length;
  }

  /** Requests running on this version now. */
  get leases(): number {
    return this.#leases;
  }

  /** Counts a request in; pair with {@link release}. */
  acquire(): void {
    this.#leases++;
  }

  /** Counts a request out; the last one out of a retired version releases its sessions. */
  release(): void {
    this.#leases--;
    if (this.#retired && this.#leases === 0) void this.#releaseSessions();
  }

  /**
   * P(y=1) for `rows` rows of the row-major `matrix` (columns in signature order, NaN = missing).
   * Call between {@link acquire} and {@link release}.
   */
  async predict(matrix: Float32Array, rows: number): Promise<Float64Array> {
    if (rows === 0) return new Float64Array(0);
    const session = rows >= BATCH_SESSION_MIN_ROWS ? this.#batch : this.#single;
    const tensor = new this.#runtime.Tensor('float32', matrix, [rows, this.columns]);
    const result = await session.run({ [this.#inputName]: tensor }, [this.#outputName]);
    const output = result[this.#outputName];
    if (output === undefined)
      throw new LakeloopError('INTERNAL', `${this.#label} returned no "${this.#outputName}".`);
    return positiveClassProbabilities(output.data as ArrayLike<number>, rows, this.#label);
  }

  /**
   * Marks the version as out of service: its sessions are released once its last request is
   * done (at once when none runs). Resolves when they are.
   */
  retire(): Promise<void> {
    this.#retired = true;
    if (this.#leases === 0) return this.#releaseSessions();
    return new Promise((resolve) => {
      this.#onReleased = resolve;
    });
  }

  #releaseSessions(): Promise<void> {
    this.#released ??= (async () => {
      await this.#single.release();
      if (this.#batch !== this.#single) await this.#batch.release();
      this.#onReleased?.();
    })();
    return this.#released;
  }
}
