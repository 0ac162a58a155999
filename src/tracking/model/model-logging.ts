/**
 * Logs a model to a training run as an MLflow model folder (see {@link writeMlflowModelFolder}),
 * ready for `ModelRegistry.createModelVersion({ name, runId, artifactPath })`.
 *
 * @example
 * ```ts
 * await logModel(tracking, runId, { onnx, signature, inputExample, artifactPath: 'model' });
 * const version = await registry.createModelVersion({ name: 'flight-delays', runId, artifactPath: 'model' });
 * ```
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrackingStore } from '../tracking-store.js';
import { normalizeArtifactPath } from '../tracking-validation.js';
import { writeMlflowModelFolder } from './mlflow-model-folder.js';
import type { InputExample, ModelSignature } from './mlflow-model-folder.js';

/** Options of {@link logModel}. */
export interface LogModelOptions {
  /** The serialized ONNX model. */
  onnx: Uint8Array;
  signature: ModelSignature;
  inputExample?: InputExample;
  /** Where the folder goes in the run's artifacts. Default `'model'`. */
  artifactPath?: string;
  /** pip requirements (see {@link writeMlflowModelFolder}). */
  requirements?: readonly string[];
}

/** Writes the model folder, logs it to the run and records it in `mlflow.log-model.history`. */
export async function logModel(
  tracking: TrackingStore,
  runId: string,
  options: LogModelOptions,
): Promise<{ artifactPath: string; modelUuid: string }> {
  const artifactPath = normalizeArtifactPath(options.artifactPath ?? 'model');
  const run = await tracking.getRun(runId);
  const staging = await mkdtemp(join(tmpdir(), 'lakeloop-model-'));
  try {
    const folder = await writeMlflowModelFolder({
      dir: staging,
      onnx: options.onnx,
      signature: options.signature,
      ...(options.inputExample === undefined ? {} : { inputExample: options.inputExample }),
      ...(options.requirements === undefined ? {} : { requirements: options.requirements }),
    });
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

function parseHistory(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}
