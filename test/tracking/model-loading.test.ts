/**
 * loadModel against real logged models: a gradient-boosting model trained here, logged with an
 * inferred signature, registered and aliased, then scored through `models:/name@alias`,
 * `models:/name/<version>` and `runs:/<id>/model` on the embedded store and a real MLflow server.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeloopError } from '../../src/errors.js';
import type { GradientBoostingModel } from '../../src/ml/index.js';
import { makeSyntheticData, trainGradientBoosting } from '../../src/ml/index.js';
import {
  LocalModelRegistry,
  LocalTrackingStore,
  MlflowModelRegistry,
  MlflowTrackingStore,
  loadModel,
  logModel,
} from '../../src/tracking/index.js';
import type { ModelRegistry, TrackingStore } from '../../src/tracking/index.js';
import { expectCode } from '../contracts/tracking-store.contract.js';
import { signatureInputNames, versionArtifactPath } from '../../src/tracking/model/model-loading.js';
import { describeWithMlflow } from './mlflow-test-server.js';

const data = makeSyntheticData({ rows: 2000, columns: 5, seed: 7 });
const test = makeSyntheticData({ rows: 50, columns: 5, seed: 8, missingRate: 0.1 });

function rowObjects(model: GradientBoostingModel): Record<string, number | null>[] {
  return Array.from({ length: test.rows }, (_, i) =>
    Object.fromEntries(
      model.featureNames.map((name, j) => {
        const value = test.features[i * test.columns + j] ?? Number.NaN;
        return [name, Number.isNaN(value) ? null : value];
      }),
    ),
  );
}

function loadModelSuite(
  open: () => { tracking: TrackingStore; registry: ModelRegistry; cleanup: () => void },
): void {
  let tracking: TrackingStore;
  let registry: ModelRegistry;
  let cleanup: () => void;
  let model: GradientBoostingModel;
  let runId: string;
  const name = `loaded-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    ({ tracking, registry, cleanup } = open());
    model = await trainGradientBoosting(data, { maxIterations: 20, maxLeaves: 15, threads: 1 });
    const experiment = await tracking.getOrCreateExperiment(`load-${randomUUID().slice(0, 8)}`);
    runId = (await tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
    await logModel(tracking, runId, { model });
    await registry.registerModel(name, { runId });
    await registry.setAlias(name, 'champion', '1', { reason: 'first', by: 'test' });
  }, 60_000);
  afterAll(async () => {
    await registry.close();
    await tracking.close();
    cleanup();
  });

  it('scores models:/name@alias like the model itself, by feature name and as a matrix', async () => {
    await using scorer = await loadModel(`models:/${name}@champion`, { registry, tracking });
    expect(scorer).toMatchObject({ name, version: '1', runId });
    expect(scorer.featureNames).toEqual(model.featureNames);
    const expected = model.predict(test.features, test.rows);
    const byName = await scorer.predict(rowObjects(model));
    const byMatrix = await scorer.predict(test.features);
    expect(byName).toHaveLength(test.rows);
    for (let i = 0; i < test.rows; i++) {
      expect(byName[i]).toBeCloseTo(expected[i] ?? Number.NaN, 5);
      expect(byMatrix[i]).toBe(byName[i]);
    }
    expect(await scorer.predict([])).toHaveLength(0);
  });

  it('loads models:/name/<version> and runs:/<id>/model alike', async () => {
    await using byVersion = await loadModel(`models:/${name}/1`, { registry, tracking });
    await using byRun = await loadModel(`runs:/${runId}/model`, { tracking });
    expect(byRun).toMatchObject({ name: `runs:/${runId}/model`, version: undefined, runId });
    expect(Array.from(await byRun.predict(test.features))).toEqual(
      Array.from(await byVersion.predict(test.features)),
    );
  });

  it('refuses unknown references, missing features and a closed scorer', async () => {
    await expectCode(loadModel(`models:/${name}@nope`, { registry, tracking }), 'NOT_FOUND');
    await expectCode(loadModel(`models:/${name}/9`, { registry, tracking }), 'NOT_FOUND');
    await expectCode(loadModel(`${name}@champion`, { registry, tracking }), 'INVALID_ARGUMENT');
    await expectCode(loadModel(`models:/${name}@champion`, { tracking }), 'INVALID_ARGUMENT');
    const scorer = await loadModel(`models:/${name}@champion`, { registry, tracking });
    const [first] = rowObjects(model);
    const { x0: _dropped, ...withoutX0 } = first ?? {};
    await expect(scorer.predict([withoutX0])).rejects.toThrow(/Row 0 has no "x0"/);
    await expectCode(scorer.predict(new Float32Array(7)), 'INVALID_ARGUMENT');
    await scorer.close();
    await expectCode(scorer.predict(test.features), 'PRECONDITION_FAILED');
  });
}

describe('loadModel: embedded store', () => {
  loadModelSuite(() => {
    const root = mkdtempSync(join(tmpdir(), 'lakeloop-load-'));
    return {
      tracking: new LocalTrackingStore({ root }),
      registry: new LocalModelRegistry({ root }),
      cleanup: () => {
        rmSync(root, { recursive: true, force: true });
      },
    };
  });
});

describeWithMlflow('loadModel: MLflow server', (uri) => {
  loadModelSuite(() => ({
    tracking: new MlflowTrackingStore({ url: uri }),
    registry: new MlflowModelRegistry({ url: uri }),
    cleanup: () => undefined,
  }));
});

describe('loadModel without onnxruntime-node', () => {
  it('says how to install it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lakeloop-load-'));
    try {
      await using tracking = new LocalTrackingStore({ root });
      const missing = Object.assign(new Error("Cannot find package 'onnxruntime-node'"), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
      const error: unknown = await loadModel('runs:/abc/model', {
        tracking,
        importRuntime: () => Promise.reject(missing),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LakeloopError);
      expect(error).toMatchObject({
        code: 'PRECONDITION_FAILED',
        message: 'loadModel needs onnxruntime-node: npm install onnxruntime-node',
        cause: missing,
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('logModel signature inference', () => {
  it('infers float inputs from the feature names; an explicit signature wins', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lakeloop-sig-'));
    try {
      await using tracking = new LocalTrackingStore({ root });
      const model = await trainGradientBoosting(data, { maxIterations: 3, maxLeaves: 4, threads: 1 });
      const experiment = await tracking.getOrCreateExperiment('sig');
      const runId = (await tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
      await logModel(tracking, runId, { model, artifactPath: 'from-model' });
      // Bare ONNX bytes: the names come from the ONNX metadata lakeloop's export writes.
      await logModel(tracking, runId, { onnx: model.toOnnx(), artifactPath: 'from-onnx' });
      await logModel(tracking, runId, {
        model,
        artifactPath: 'explicit',
        signature: {
          inputs: ['a', 'b', 'c', 'd', 'e'].map((n) => ({ name: n, type: 'double' as const })),
          outputs: { type: 'tensor', dtype: 'float32', shape: [-1, 1] },
        },
      });
      const inputsOf = async (path: string): Promise<unknown> => {
        const dir = await tracking.downloadArtifacts(runId, { path, destination: join(root, 'dl', path) });
        const line = /^ {2}inputs: (.+)$/m.exec(readFileSync(join(dir, 'MLmodel'), 'utf8'))?.[1] ?? '""';
        return JSON.parse(JSON.parse(line) as string);
      };
      const inferred = model.featureNames.map((n) => ({ type: 'float', name: n, required: true }));
      expect(await inputsOf('from-model')).toEqual(inferred);
      expect(await inputsOf('from-onnx')).toEqual(inferred);
      expect(await inputsOf('explicit')).toEqual(
        ['a', 'b', 'c', 'd', 'e'].map((n) => ({ type: 'double', name: n, required: true })),
      );
      await expectCode(logModel(tracking, runId, { artifactPath: 'none' }), 'INVALID_ARGUMENT');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('model folder parsing', () => {
  it('reads the signature inputs as lakeloop (JSON-quoted) and MLflow (YAML single-quoted) write them', () => {
    const lakeloop = `signature:\n  inputs: ${JSON.stringify(
      JSON.stringify([
        { type: 'float', name: 'hour' },
        { type: 'float', name: "o'hare" },
      ]),
    )}\n  outputs: "[]"\n`;
    const mlflow = `signature:\n  inputs: '[{"type": "double", "name": "hour", "required": true}, {"type": "double", "name": "o''hare", "required": true}]'\n  outputs: '[]'\n`;
    expect(signatureInputNames(lakeloop)).toEqual(['hour', "o'hare"]);
    expect(signatureInputNames(mlflow)).toEqual(['hour', "o'hare"]);
    expect(signatureInputNames('flavors: {}\n')).toBeUndefined();
  });

  it('finds the model folder of a version from either backend’s source', () => {
    expect(versionArtifactPath({ runId: 'r1', source: 'runs:/r1/models/gbdt' })).toBe('models/gbdt');
    expect(versionArtifactPath({ runId: 'r1', source: 'mlflow-artifacts:/4/r1/artifacts/model' })).toBe(
      'model',
    );
    expect(versionArtifactPath({ runId: 'r1', source: 'mlflow-artifacts:/4/r1/artifacts' })).toBe('');
  });
});
