/**
 * The CI proof that lakeloop's models are real MLflow models: Python's `mlflow.pyfunc.load_model`
 * loads `models:/<name>@champion` from the real server (and a model folder from the embedded
 * store), and its predictions equal onnxruntime-node's within 1e-6.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LineageTag,
  LocalTrackingStore,
  MlflowModelRegistry,
  MlflowTrackingStore,
  logModel,
} from '../../src/tracking/index.js';
import type { InputExample, ModelSignature, TrackingStore } from '../../src/tracking/index.js';
import { logisticRegressionOnnx } from './logistic-regression-onnx.js';
import { VENV, mlflowUnavailableReason } from './mlflow-server-process.js';
import { describeWithMlflow } from './mlflow-test-server.js';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', 'python', 'score_model.py');
const COLUMNS = ['hour', 'log_distance', 'day_of_week'];
const onnx = logisticRegressionOnnx({ weights: [0.08, -0.35, 0.21], bias: -0.4 });
const signature: ModelSignature = {
  inputs: COLUMNS.map((name) => ({ name, type: 'float' })),
  outputs: { type: 'tensor', dtype: 'float32', shape: [-1, 1], name: 'probability' },
};
const rows: number[][] = Array.from({ length: 25 }, (_, i) => [i % 24, 4 + (i % 7) * 0.5, i % 7]);
const example: InputExample = { columns: COLUMNS, data: rows.slice(0, 3) };

async function onnxruntimePredictions(): Promise<number[]> {
  const session = await ort.InferenceSession.create(onnx);
  const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, COLUMNS.length]);
  const output = await session.run({ input });
  await session.release();
  return Array.from(output.probability?.data as Float32Array);
}

async function pythonPredictions(args: string[], dir: string): Promise<number[]> {
  const inputPath = join(dir, 'rows.json');
  writeFileSync(inputPath, JSON.stringify({ columns: COLUMNS, data: rows }));
  const { stdout } = await run(join(VENV, 'bin', 'python'), [SCRIPT, ...args, '--input', inputPath], {
    env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
    maxBuffer: 10_000_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as number[];
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  for (const [i, value] of expected.entries())
    expect(Math.abs((actual[i] ?? Number.NaN) - value)).toBeLessThan(1e-6);
}

async function logTrainedModel(tracking: TrackingStore): Promise<string> {
  const experiment = await tracking.getOrCreateExperiment(`interop-${randomUUID().slice(0, 8)}`);
  const trainingRun = await tracking.createRun({ experimentId: experiment.experimentId, name: 'train' });
  const runId = trainingRun.info.runId;
  await tracking.logBatch(runId, { params: { model: 'logreg' }, metrics: [{ key: 'auc', value: 0.74 }] });
  await logModel(tracking, runId, { onnx, signature, inputExample: example, artifactPath: 'model' });
  await tracking.endRun(runId, 'FINISHED');
  return runId;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeWithMlflow('Python mlflow loads models registered by lakeloop (MLflow server)', (uri) => {
  it('scores models:/<name>@champion like onnxruntime-node, within 1e-6', async () => {
    const tracking = new MlflowTrackingStore({ url: uri });
    const registry = new MlflowModelRegistry({ url: uri });
    const runId = await logTrainedModel(tracking);
    const name = `delays-${randomUUID().slice(0, 8)}`;
    await registry.createRegisteredModel({ name });
    const version = await registry.createModelVersion({
      name,
      runId,
      artifactPath: 'model',
      tags: { [LineageTag.DATA_COMMIT]: 'c0ffee' },
    });
    await registry.setAlias({ name, alias: 'champion', version: version.version });
    const expected = await onnxruntimePredictions();
    const actual = await pythonPredictions(['--uri', uri, '--model', `models:/${name}@champion`], dir);
    expectClose(actual, expected);
    expect(new Set(expected.map((p) => p.toFixed(3))).size).toBeGreaterThan(5);
  }, 120_000);
});

describe('Python mlflow loads model folders logged to the embedded store', () => {
  it('scores the downloaded folder like onnxruntime-node, within 1e-6', async (context) => {
    const reason = mlflowUnavailableReason();
    if (reason !== undefined) {
      if (process.env.CI === 'true') throw new Error(reason);
      context.skip();
    }
    const tracking = new LocalTrackingStore({ root: join(dir, 'tracking') });
    const runId = await logTrainedModel(tracking);
    const local = await tracking.downloadArtifacts(runId, {
      path: 'model',
      destination: join(dir, 'download'),
    });
    await tracking.close();
    const expected = await onnxruntimePredictions();
    const actual = await pythonPredictions(['--model', local], dir);
    expectClose(actual, expected);
  }, 120_000);
});
