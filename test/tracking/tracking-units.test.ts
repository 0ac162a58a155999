/** Small pieces of the tracking area: URI resolution, batch splitting, validation, model folders. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import {
  normalizeArtifactPath,
  parseModelRef,
  resolveTrackingUri,
  writeMlflowModelFolder,
} from '../../src/tracking/index.js';
import { splitBatch } from '../../src/tracking/mlflow/mlflow-batch-split.js';
import { artifactProxyPath } from '../../src/tracking/mlflow/mlflow-tracking-store.js';
import { decodeMetricValue, encodeMetricValue } from '../../src/tracking/mlflow/mlflow-schemas.js';
import { normalizeBatch } from '../../src/tracking/tracking-validation.js';
import { logisticRegressionOnnx } from './logistic-regression-onnx.js';

function codeOf(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    return isLakeloopError(error) ? error.code : 'not a LakeloopError';
  }
}

describe('resolveTrackingUri', () => {
  it('uses MLFLOW_TRACKING_URI, else the embedded store in the home', () => {
    expect(resolveTrackingUri({ env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000/' } })).toEqual({
      kind: 'mlflow',
      url: 'http://127.0.0.1:5000',
      auth: undefined,
    });
    expect(resolveTrackingUri({ env: { LAKELOOP_HOME: '/srv/home' } })).toEqual({
      kind: 'embedded',
      root: '/srv/home/tracking',
    });
    expect(resolveTrackingUri({ env: {} })).toEqual({
      kind: 'embedded',
      root: resolve('.lakeloop/tracking'),
    });
    expect(resolveTrackingUri({ home: '/h', env: { MLFLOW_TRACKING_URI: '' } })).toEqual({
      kind: 'embedded',
      root: '/h/tracking',
    });
  });

  it('reads paths, file: and sqlite: URIs as the embedded store and rejects others', () => {
    expect(resolveTrackingUri({ uri: '/data/tracking', env: {} })).toEqual({
      kind: 'embedded',
      root: '/data/tracking',
    });
    expect(resolveTrackingUri({ uri: 'file:///data/t', env: {} })).toEqual({
      kind: 'embedded',
      root: '/data/t',
    });
    expect(resolveTrackingUri({ uri: 'sqlite:////data/t/mlflow.db', env: {} })).toEqual({
      kind: 'embedded',
      root: '/data/t',
    });
    expect(codeOf(() => resolveTrackingUri({ uri: 's3://bucket/x', env: {} }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => resolveTrackingUri({ uri: 'http://user:secret@host', env: {} }))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('takes credentials from the MLflow variables (token first)', () => {
    const env = {
      MLFLOW_TRACKING_URI: 'https://mlflow.example',
      MLFLOW_TRACKING_TOKEN: 't0k',
      MLFLOW_TRACKING_USERNAME: 'u',
      MLFLOW_TRACKING_PASSWORD: 'p',
    };
    expect(resolveTrackingUri({ env })).toMatchObject({ auth: { token: 't0k' } });
    const { MLFLOW_TRACKING_TOKEN: _token, ...basic } = env;
    expect(resolveTrackingUri({ env: basic })).toMatchObject({ auth: { username: 'u', password: 'p' } });
  });
});

describe('splitBatch', () => {
  it('respects 1000 metrics, 100 params, 100 tags and 1000 entities per request, keeping everything', () => {
    const batch = normalizeBatch({
      batch: {
        metrics: Array.from({ length: 2950 }, (_, i) => ({ key: 'm', value: i, step: i })),
        params: Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i])),
        tags: Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`t${i}`, 'x'])),
      },
      now: 1,
    });
    const chunks = splitBatch(batch);
    for (const chunk of chunks) {
      expect(chunk.metrics.length).toBeLessThanOrEqual(1000);
      expect(chunk.params.length).toBeLessThanOrEqual(100);
      expect(chunk.tags.length).toBeLessThanOrEqual(100);
      expect(chunk.metrics.length + chunk.params.length + chunk.tags.length).toBeLessThanOrEqual(1000);
    }
    expect(chunks.flatMap((c) => c.metrics).map((m) => m.value)).toEqual(batch.metrics.map((m) => m.value));
    expect(chunks.flatMap((c) => c.params)).toEqual(batch.params);
    expect(chunks.flatMap((c) => c.tags)).toEqual(batch.tags);
    expect(chunks[0]?.params).toHaveLength(100);
    expect(splitBatch({ metrics: [], params: [], tags: [] })).toEqual([]);
  });
});

describe('validation', () => {
  it('normalizes artifact paths and rejects escapes', () => {
    expect(normalizeArtifactPath(undefined)).toBe('');
    expect(normalizeArtifactPath('./model//sub/')).toBe('model/sub');
    expect(codeOf(() => normalizeArtifactPath('model/../../x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => normalizeArtifactPath('/abs'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => normalizeArtifactPath('C:/x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => normalizeArtifactPath('a\\b'))).toBe('INVALID_ARGUMENT');
  });

  it('accepts numbers and booleans as params and rejects non-number metric values', () => {
    expect(
      codeOf(() =>
        normalizeBatch({
          batch: { params: { lr: 1 }, metrics: [] },
          now: 0,
        }),
      ),
    ).toBeUndefined();
    expect(
      codeOf(() =>
        normalizeBatch({ batch: { metrics: [{ key: 'a', value: '1' as unknown as number }] }, now: 0 }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });

  it('encodes non-finite metric values the way protobuf JSON does, and decodes MLflow stand-ins', () => {
    expect([Number.NaN, Infinity, -Infinity, 1.5].map(encodeMetricValue)).toEqual([
      'NaN',
      'Infinity',
      '-Infinity',
      1.5,
    ]);
    expect(decodeMetricValue('NaN')).toBeNaN();
    expect(decodeMetricValue(Number.MAX_VALUE)).toBe(Infinity);
    expect(decodeMetricValue(-Number.MAX_VALUE)).toBe(-Infinity);
  });

  it('parses model references and artifact proxy URIs', () => {
    expect(parseModelRef('models:/delays@champion')).toEqual({ name: 'delays', alias: 'champion' });
    expect(parseModelRef('delays/3')).toEqual({ name: 'delays', version: '3' });
    expect(codeOf(() => parseModelRef('delays'))).toBe('INVALID_ARGUMENT');
    expect(artifactProxyPath('mlflow-artifacts:/1/abc/artifacts')).toBe('1/abc/artifacts');
    expect(artifactProxyPath('mlflow-artifacts://host:5000/1/abc/artifacts')).toBe('1/abc/artifacts');
    expect(codeOf(() => artifactProxyPath('s3://bucket/1/abc'))).toBe('PRECONDITION_FAILED');
  });
});

describe('writeMlflowModelFolder', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const onnx = logisticRegressionOnnx({ weights: [1, 2], bias: 0 });
  const signature = {
    inputs: [
      { name: 'a', type: 'float' as const },
      { name: 'b', type: 'float' as const },
    ],
    outputs: { type: 'tensor' as const, dtype: 'float32' as const, shape: [-1, 1] },
  };

  it('writes MLmodel with the onnx and python_function flavors, the signature and the example', async () => {
    await writeMlflowModelFolder({
      dir,
      onnx,
      signature,
      inputExample: { columns: ['a', 'b'], data: [[1, 2]] },
    });
    const mlmodel = readFileSync(join(dir, 'MLmodel'), 'utf8');
    expect(mlmodel).toContain('  onnx:\n');
    expect(mlmodel).toContain('    loader_module: mlflow.onnx\n');
    expect(mlmodel).toContain('{\\"type\\":\\"float\\",\\"name\\":\\"a\\",\\"required\\":true}');
    expect(mlmodel).toContain('\\"tensor-spec\\":{\\"dtype\\":\\"float32\\",\\"shape\\":[-1,1]}');
    expect(JSON.parse(readFileSync(join(dir, 'input_example.json'), 'utf8'))).toEqual({
      columns: ['a', 'b'],
      data: [[1, 2]],
    });
    expect(readFileSync(join(dir, 'model.onnx'))).toEqual(Buffer.from(onnx));
    expect(readFileSync(join(dir, 'requirements.txt'), 'utf8')).toContain('onnxruntime');
  });

  it('rejects an input example that does not match the signature, writing nothing', async () => {
    const error: unknown = await writeMlflowModelFolder({
      dir: join(dir, 'm'),
      onnx,
      signature,
      inputExample: { columns: ['b', 'a'], data: [[1, 2]] },
    }).catch((e: unknown) => e);
    expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(existsSync(join(dir, 'm'))).toBe(false);
  });
});
