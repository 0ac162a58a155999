/**
 * `loadModel`: a logged ONNX model as a scorer, on any backend. The reference is resolved through
 * the registry (`models:/name@alias`, `models:/name/3`) or names a run's folder directly
 * (`runs:/<run id>/model`); the model folder is downloaded through the tracking store, and the
 * ONNX file runs with onnxruntime-node, an optional peer dependency imported only here.
 *
 * @example
 * ```ts
 * await using champion = await loadModel('models:/flight-delays@champion', { registry, tracking });
 * const p = await champion.predict([{ hour: 7, log_distance: 6.2 }]); // Float64Array [P(delay)]
 * ```
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as OnnxRuntime from 'onnxruntime-node';
import { LakeloopError } from '../../errors.js';
import { parseModelRef } from '../model-registry.js';
import { importOnnxRuntime } from './onnx-runtime.js';
import type { ModelRegistry } from '../model-registry.js';
import type { TrackingStore } from '../tracking-store.js';
import type { ModelVersion } from '../tracking-types.js';
import { normalizeArtifactPath } from '../tracking-validation.js';

/** Rows to score: objects keyed by feature name (null or NaN = missing), or a row-major float32 matrix. */
export type ScorerRows = readonly Readonly<Record<string, number | null>>[] | Float32Array;

/** A loaded model (see {@link loadModel}). */
export interface ModelScorer extends AsyncDisposable {
  /** The registered model's name (for a `runs:/` reference: the reference). */
  readonly name: string;
  /** The registered version; undefined for a `runs:/` reference. */
  readonly version: string | undefined;
  /** The training run that logged the model. */
  readonly runId: string;
  /** Input columns in the model's order (from the MLmodel signature, else the ONNX metadata). */
  readonly featureNames: readonly string[];
  /** Probabilities (P(y=1) for binary classifiers), one per row. */
  predict(rows: ScorerRows): Promise<Float64Array>;
  /** Releases the ONNX session. */
  close(): Promise<void>;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Resolves `models:/` references (not needed for `runs:/`). */
  registry?: ModelRegistry;
  /** Downloads the model folder. */
  tracking: TrackingStore;
  /** How onnxruntime-node is imported; tests replace it. Default: `import('onnxruntime-node')`. */
  importRuntime?: () => Promise<unknown>;
}

/** Loads a logged or registered ONNX model as a {@link ModelScorer}. */
export async function loadModel(ref: string, options: LoadModelOptions): Promise<ModelScorer> {
  const runtime = await importOnnxRuntime(options.importRuntime);
  const target = await resolveModelRef(ref, options.registry);
  const dir = await mkdtemp(join(tmpdir(), 'lakeloop-load-model-'));
  let onnx: Uint8Array;
  let mlmodel: string;
  try {
    const folder = await options.tracking.downloadArtifacts(target.runId, {
      path: target.artifactPath,
      destination: dir,
    });
    mlmodel = await readFile(join(folder, 'MLmodel'), 'utf8').catch((error: unknown) => {
      throw new LakeloopError(
        'NOT_FOUND',
        `"${target.artifactPath}" of run ${target.runId} is not an MLflow model folder (no MLmodel); log it with logModel.`,
        { cause: error },
      );
    });
    onnx = await readFile(join(folder, onnxFileName(mlmodel)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const session = await runtime.InferenceSession.create(onnx);
  return new OnnxModelScorer({
    ...target,
    runtime,
    session,
    featureNames: signatureInputNames(mlmodel) ?? [],
  });
}

interface ModelTarget {
  name: string;
  version: string | undefined;
  runId: string;
  artifactPath: string;
}

/** Where the model folder of `ref` is: a registered version's run and path, or a `runs:/` path. */
async function resolveModelRef(ref: string, registry: ModelRegistry | undefined): Promise<ModelTarget> {
  if (ref.startsWith('runs:/')) {
    const body = ref.slice('runs:/'.length);
    const slash = body.indexOf('/');
    const runId = slash < 0 ? body : body.slice(0, slash);
    if (runId === '') {
      throw new LakeloopError('INVALID_ARGUMENT', `"${ref}" names no run; write "runs:/<run id>/model".`);
    }
    return {
      name: ref,
      version: undefined,
      runId,
      artifactPath: normalizeArtifactPath(slash < 0 ? 'model' : body.slice(slash + 1)),
    };
  }
  if (!ref.startsWith('models:/')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `"${ref}" is not a model reference; write "models:/<name>@<alias>", "models:/<name>/<version>" or "runs:/<run id>/<path>".`,
    );
  }
  if (registry === undefined) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Loading "${ref}" needs the registry: pass { registry, tracking }.`,
    );
  }
  const parsed = parseModelRef(ref);
  const version =
    parsed.alias === undefined
      ? await registry.getModelVersion(parsed.name, parsed.version)
      : await registry.getModelVersionByAlias({ name: parsed.name, alias: parsed.alias });
  if (version.runId === undefined) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `${version.name} v${version.version} has no training run; only versions registered from a run can be loaded.`,
    );
  }
  return {
    name: version.name,
    version: version.version,
    runId: version.runId,
    artifactPath: versionArtifactPath(version),
  };
}

/**
 * The model folder's path inside the run's artifacts: `runs:/<run>/<path>` (embedded) or
 * `…/<run>/artifacts/<path>` (an MLflow server's `mlflow-artifacts:` URI).
 */
export function versionArtifactPath(version: Pick<ModelVersion, 'source' | 'runId'>): string {
  const runsPrefix = `runs:/${version.runId ?? ''}/`;
  if (version.source.startsWith(runsPrefix)) return version.source.slice(runsPrefix.length);
  const marker = `/${version.runId ?? ''}/artifacts/`;
  const at = version.source.indexOf(marker);
  if (version.runId !== undefined && at >= 0) return version.source.slice(at + marker.length);
  if (version.runId !== undefined && version.source.endsWith(`/${version.runId}/artifacts`)) return '';
  return 'model';
}

/** The ONNX file the `onnx` flavor names (`data: model.onnx`). */
export function onnxFileName(mlmodel: string): string {
  const flavor = /^ {2}onnx:\n((?: {4}.*\n?)*)/m.exec(mlmodel)?.[1] ?? '';
  const data = /^ {4}data: *(.+)$/m.exec(flavor)?.[1]?.trim();
  return data === undefined || data === '' ? 'model.onnx' : data.replace(/^['"]|['"]$/g, '');
}

/** The input column names of the MLmodel signature, written by lakeloop (JSON-quoted) or by MLflow (YAML single-quoted). */
export function signatureInputNames(mlmodel: string): string[] | undefined {
  return signatureInputs(mlmodel)?.map((input) => input.name);
}

/** The input columns (name and MLflow type) of the MLmodel signature; undefined when it has none. */
export function signatureInputs(mlmodel: string): { name: string; type: string }[] | undefined {
  const line = /^ {2}inputs: *(.+)$/m.exec(mlmodel)?.[1]?.trim();
  if (line === undefined) return undefined;
  try {
    const json = line.startsWith("'")
      ? line.slice(1, -1).replaceAll("''", "'")
      : line.startsWith('"')
        ? (JSON.parse(line) as string)
        : line;
    const inputs: unknown = JSON.parse(json);
    if (!Array.isArray(inputs)) return undefined;
    const columns = inputs.map((input) => input as { name?: unknown; type?: unknown });
    return columns.every((input) => typeof input.name === 'string')
      ? columns.map((input) => ({
          name: input.name as string,
          type: typeof input.type === 'string' ? input.type : 'float',
        }))
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * P(y=1) per row of a classifier's output: `[N]` or `[N, 1]` is P(y=1); `[N, 2]` is
 * (P(y=0), P(y=1)) as scikit-learn exports write it. `label` names the model in the error.
 */
export function positiveClassProbabilities(
  data: ArrayLike<number>,
  count: number,
  label: string,
): Float64Array {
  const width = data.length / count;
  if (width !== 1 && width !== 2) {
    throw new LakeloopError('INVALID_ARGUMENT', `${label} gives ${width} outputs per row; expected 1 or 2.`);
  }
  const probabilities = new Float64Array(count);
  for (let i = 0; i < count; i++) probabilities[i] = Number(data[i * width + width - 1]);
  return probabilities;
}

/** The {@link ModelScorer} of an ONNX session with one float input `[N, k]`. */
class OnnxModelScorer implements ModelScorer {
  readonly name: string;
  readonly version: string | undefined;
  readonly runId: string;
  readonly featureNames: readonly string[];
  readonly #runtime: typeof OnnxRuntime;
  readonly #session: OnnxRuntime.InferenceSession;
  #closed = false;

  constructor(
    init: ModelTarget & {
      runtime: typeof OnnxRuntime;
      session: OnnxRuntime.InferenceSession;
      featureNames: readonly string[];
    },
  ) {
    this.name = init.name;
    this.version = init.version;
    this.runId = init.runId;
    this.featureNames = init.featureNames;
    this.#runtime = init.runtime;
    this.#session = init.session;
  }

  async predict(rows: ScorerRows): Promise<Float64Array> {
    if (this.#closed)
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        `The scorer of ${this.#label()} is closed; load it again.`,
      );
    const columns = this.featureNames.length;
    const matrix = rows instanceof Float32Array ? rows : this.#matrix(rows);
    if (columns === 0 || matrix.length % columns !== 0) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        columns === 0
          ? `${this.#label()} has no feature names in its signature; cannot shape the input.`
          : `A matrix of ${matrix.length} values is not whole rows of ${columns} features (${this.featureNames.join(', ')}).`,
      );
    }
    const count = matrix.length / columns;
    if (count === 0) return new Float64Array(0);
    const inputName = this.#session.inputNames[0] ?? 'input';
    const result = await this.#session.run({
      [inputName]: new this.#runtime.Tensor('float32', matrix, [count, columns]),
    });
    const outputName = this.#session.outputNames.includes('probability')
      ? 'probability'
      : (this.#session.outputNames[0] ?? 'probability');
    const output = result[outputName];
    if (output === undefined)
      throw new LakeloopError('INTERNAL', `${this.#label()} returned no "${outputName}".`);
    return positiveClassProbabilities(output.data as ArrayLike<number>, count, this.#label());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#session.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #label(): string {
    return this.version === undefined ? this.name : `${this.name} v${this.version}`;
  }

  /** Rows by feature name to a row-major matrix; a missing key is an error (a typo must not score as missing). */
  #matrix(rows: readonly Readonly<Record<string, number | null>>[]): Float32Array {
    const columns = this.featureNames.length;
    const matrix = new Float32Array(rows.length * columns);
    rows.forEach((row, i) => {
      this.featureNames.forEach((feature, j) => {
        const value = row[feature];
        if (value === undefined) {
          throw new LakeloopError(
            'INVALID_ARGUMENT',
            `Row ${i} has no "${feature}"; ${this.#label()} needs ${this.featureNames.join(', ')} (null for missing).`,
          );
        }
        matrix[i * columns + j] = value ?? Number.NaN;
      });
    });
    return matrix;
  }
}
