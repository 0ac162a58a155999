/**
 * Loads one registered model version for serving: resolves it in the registry, downloads its
 * MLflow model folder through the tracking store (embedded or MLflow server alike), reads the
 * signature, the input example and the training profile, and opens its ONNX sessions with the
 * serving thread settings. Only numeric signatures are served (the ONNX input is one float tensor).
 *
 * @example
 * ```ts
 * const model = await loadServedModel({ registry, tracking, name: 'flight-delays', version: '3', threads: 2 });
 * ```
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as OnnxRuntime from 'onnxruntime-node';
import { LakeloopError } from '../errors.js';
import type { ModelRegistry } from '../tracking/model-registry.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { importOnnxRuntime } from '../tracking/model/onnx-runtime.js';
import { onnxFileName, signatureInputs, versionArtifactPath } from '../tracking/model/model-loading.js';
import { parseTrainingProfile, TRAINING_PROFILE_FILE } from '../tracking/model/training-profile.js';
import { ServedModel } from './served-model.js';

/** Signature column types the server accepts as numbers. */
const NUMERIC_TYPES = new Set(['float', 'double', 'long', 'integer', 'boolean']);

/** Options of {@link loadServedModel}. */
export interface LoadServedModelOptions {
  registry: ModelRegistry;
  tracking: TrackingStore;
  name: string;
  version: string;
  /**
   * Intra-op threads of the batch session (single rows always run on one thread). 1 = one session
   * only. Default 1.
   */
  threads?: number;
  /** How onnxruntime-node is imported; default `import('onnxruntime-node')`. */
  importRuntime?: () => Promise<unknown>;
  /** Default `Date.now()`. */
  now?: () => number;
}

/** Loads `name` version `version` as a {@link ServedModel} (see the module comment). */
export async function loadServedModel(options: LoadServedModelOptions): Promise<ServedModel> {
  const runtime = await importOnnxRuntime(options.importRuntime);
  const version = await options.registry.getModelVersion(options.name, options.version);
  const label = `${version.name} v${version.version}`;
  if (version.runId === undefined) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `${label} has no training run; only versions registered from a run can be served.`,
    );
  }
  const runId = version.runId;
  const dir = await mkdtemp(join(tmpdir(), 'lakeloop-serve-'));
  let onnx: Uint8Array;
  let mlmodel: string;
  let exampleText: string | undefined;
  let profileText: string | undefined;
  try {
    const folder = await options.tracking.downloadArtifacts(runId, {
      path: versionArtifactPath(version),
      destination: dir,
    });
    mlmodel = await readFile(join(folder, 'MLmodel'), 'utf8').catch((cause: unknown) => {
      throw new LakeloopError(
        'NOT_FOUND',
        `${label} has no MLmodel file in its model folder; log it with logModel.`,
        {
          cause,
        },
      );
    });
    onnx = await readFile(join(folder, onnxFileName(mlmodel)));
    exampleText = await readFile(join(folder, 'input_example.json'), 'utf8').catch(() => undefined);
    profileText = await readFile(join(folder, TRAINING_PROFILE_FILE), 'utf8').catch(() => undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const inputs = signatureInputs(mlmodel);
  if (inputs === undefined || inputs.length === 0) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `${label} has no input signature; log it with logModel (it writes one).`,
    );
  }
  const textual = inputs.find((input) => !NUMERIC_TYPES.has(input.type));
  if (textual !== undefined) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `${label} takes "${textual.name}" as ${textual.type}; lakeloop serve serves numeric inputs only.`,
    );
  }
  const sessions = await createSessions(runtime, onnx, options.threads ?? 1, label);
  const metrics = await options.tracking
    .getRun(runId)
    .then((run) => run.metrics)
    .catch(() => ({}));
  return new ServedModel({
    name: version.name,
    version: version.version,
    runId,
    inputs,
    metrics,
    loadedAt: (options.now ?? Date.now)(),
    runtime,
    ...sessions,
    example:
      exampleText === undefined
        ? undefined
        : exampleMatrix(
            exampleText,
            inputs.map((i) => i.name),
          ),
    profile: profileText === undefined ? undefined : parseTrainingProfile(profileText),
  });
}

async function createSessions(
  runtime: typeof OnnxRuntime,
  onnx: Uint8Array,
  threads: number,
  label: string,
): Promise<{ single: OnnxRuntime.InferenceSession; batch?: OnnxRuntime.InferenceSession }> {
  const options = (intraOpNumThreads: number): OnnxRuntime.InferenceSession.SessionOptions => ({
    intraOpNumThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Idle pool threads must not spin: they would take the core the next single row needs.
    ...(intraOpNumThreads > 1 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  });
  try {
    const single = await runtime.InferenceSession.create(onnx, options(1));
    if (threads <= 1) return { single };
    try {
      return { single, batch: await runtime.InferenceSession.create(onnx, options(threads)) };
    } catch (error) {
      await single.release();
      throw error;
    }
  } catch (cause) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `${label}: onnxruntime cannot load its ONNX file (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}); register a version with a valid model.`,
      { cause },
    );
  }
}

/** The rows of an `input_example.json` (pandas split orient) in signature order; undefined when it does not fit. */
function exampleMatrix(text: string, featureNames: readonly string[]): Float32Array | undefined {
  try {
    const example = JSON.parse(text) as { columns?: unknown; data?: unknown };
    if (!Array.isArray(example.columns) || !Array.isArray(example.data) || example.data.length === 0)
      return undefined;
    const columns = example.columns as unknown[];
    const order = featureNames.map((name) => columns.indexOf(name));
    if (order.some((i) => i < 0)) return undefined;
    const rows = example.data as unknown[][];
    const matrix = new Float32Array(rows.length * featureNames.length);
    rows.forEach((row, r) => {
      order.forEach((source, j) => {
        const value = row[source];
        matrix[r * featureNames.length + j] = typeof value === 'number' ? value : Number.NaN;
      });
    });
    return matrix;
  } catch {
    return undefined;
  }
}
