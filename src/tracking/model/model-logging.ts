/**
 * Logs a model to a training run as an MLflow model folder (see {@link writeMlflowModelFolder}),
 * ready for `ModelRegistry.createModelVersion({ name, runId, artifactPath })`.
 *
 * The signature may be left out: it is inferred from the model's feature names (a lakeloop model
 * passed as `model`, else `featureNames`, else the ONNX file's `feature_names` metadata), as float
 * input columns and a float32 `[-1, 1]` `probability` tensor. An explicit `signature` wins.
 *
 * @example
 * ```ts
 * await logModel(tracking, runId, { model }); // a GradientBoostingModel: ONNX and signature from it
 * await logModel(tracking, runId, { onnx, signature, inputExample, artifactPath: 'model' });
 * const version = await registry.createModelVersion({ name: 'flight-delays', runId, artifactPath: 'model' });
 * ```
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { LakeloopError } from '../../errors.js';
import type { TrackingStore } from '../tracking-store.js';
import { normalizeArtifactPath } from '../tracking-validation.js';
import { writeMlflowModelFolder } from './mlflow-model-folder.js';
import type { InputExample, ModelSignature } from './mlflow-model-folder.js';
import { computeTrainingProfile, TRAINING_PROFILE_FILE } from './training-profile.js';

/** What {@link logModel} needs of a trained model (lakeloop's `GradientBoostingModel` and `LogisticRegressionModel` are). */
export interface LoggableModel {
  readonly featureNames: readonly string[];
  toOnnx(): Uint8Array;
}

/** Options of {@link logModel}. */
export interface LogModelOptions {
  /** A trained model: its ONNX export and feature names are used unless `onnx`/`signature` are given. */
  model?: LoggableModel;
  /** The serialized ONNX model. Default: `model.toOnnx()`. */
  onnx?: Uint8Array;
  /** Default: inferred from the feature names (see the module comment). */
  signature?: ModelSignature;
  /** Input column names for the inferred signature, when there is no `model`. */
  featureNames?: readonly string[];
  inputExample?: InputExample;
  /** Where the folder goes in the run's artifacts. Default `'model'`. */
  artifactPath?: string;
  /** pip requirements (see {@link writeMlflowModelFolder}). */
  requirements?: readonly string[];
  /**
   * The training matrix (row-major, signature order): its per-feature profile is written as
   * `training_profile.json`, which `lakeloop serve` and `lakeloop models show` use to measure the
   * drift of served inputs. Default: none (no drift figures for this model).
   */
  trainingData?: { features: Float32Array; rows: number };
}

/** Writes the model folder, logs it to the run and records it in `mlflow.log-model.history`. */
export async function logModel(
  tracking: TrackingStore,
  runId: string,
  options: LogModelOptions,
): Promise<{ artifactPath: string; modelUuid: string }> {
  const artifactPath = normalizeArtifactPath(options.artifactPath ?? 'model');
  const onnx = options.onnx ?? options.model?.toOnnx();
  if (onnx === undefined) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'logModel needs the model: pass `model` or the `onnx` bytes.',
    );
  }
  const signature = options.signature ?? inferSignature(onnx, options);
  const run = await tracking.getRun(runId);
  const staging = await mkdtemp(join(tmpdir(), 'lakeloop-model-'));
  try {
    const folder = await writeMlflowModelFolder({
      dir: staging,
      onnx,
      signature,
      ...(options.inputExample === undefined ? {} : { inputExample: options.inputExample }),
      ...(options.requirements === undefined ? {} : { requirements: options.requirements }),
    });
    if (options.trainingData !== undefined) {
      const profile = computeTrainingProfile({
        ...options.trainingData,
        featureNames: signature.inputs.map((input) => input.name),
      });
      await writeFile(join(staging, TRAINING_PROFILE_FILE), JSON.stringify(profile));
    }
    await tracking.logArtifact(runId, staging, artifactPath);
    const history = parseHistory(run.tags['mlflow.log-model.history']);
    history.push({
      run_id: runId,
      artifact_path: artifactPath,
      utc_time_created: folder.createdAt.toISOString().replace('T', ' ').replace('Z', ''),
      flavors: Object.fromEntries(folder.flavors.map((flavor) => [flavor, {}])),
      model_uuid: folder.modelUuid,
    });
    await tracking.setTags(runId, { 'mlflow.log-model.history': JSON.stringify(history.slice(-20)) });
    return { artifactPath, modelUuid: folder.modelUuid };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The signature of a model with one float input `[N, k]` and a `probability` output: float
 * columns named after its features.
 *
 * @example
 * ```ts
 * inferSignature(model.toOnnx(), { model }).inputs; // [{ name: 'hour', type: 'float' }, ...]
 * ```
 */
export function inferSignature(
  onnx: Uint8Array,
  source: { model?: LoggableModel; featureNames?: readonly string[] } = {},
): ModelSignature {
  const names = source.model?.featureNames ?? source.featureNames ?? onnxFeatureNames(onnx);
  if (names === undefined || names.length === 0) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'Cannot infer the model signature: the model has no feature names; pass `signature`, `featureNames` or a lakeloop `model`.',
    );
  }
  return {
    inputs: names.map((name) => ({ name, type: 'float' as const })),
    outputs: { type: 'tensor', dtype: 'float32', shape: [-1, 1], name: 'probability' },
  };
}

/** The `feature_names` metadata lakeloop's ONNX export writes (a JSON array), if any. */
function onnxFeatureNames(onnx: Uint8Array): string[] | undefined {
  let text: string | undefined;
  try {
    const model = onnxProto.onnx.ModelProto.decode(onnx);
    text = model.metadataProps.find((prop) => prop.key === 'feature_names')?.value ?? undefined;
  } catch (error) {
    throw new LakeloopError('INVALID_ARGUMENT', 'The ONNX bytes do not decode as an ONNX model.', {
      cause: error,
    });
  }
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((name) => typeof name === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function parseHistory(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}
