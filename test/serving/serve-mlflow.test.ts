/**
 * `lakeloop serve` against a real MLflow tracking server (MLFLOW_TRACKING_URI): the model is
 * logged and registered through the MLflow REST API, served with the same answers as
 * `loadModel`, and a move of the alias on the server is followed by the poll.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeSyntheticData, trainGradientBoosting } from '../../src/ml/index.js';
import { MlflowModelRegistry, MlflowTrackingStore, loadModel, logModel } from '../../src/tracking/index.js';
import { describeWithMlflow } from '../tracking/mlflow-test-server.js';
import { FEATURES, startServe, testRowObjects, waitFor } from './serving-fixtures.js';
import type { ServeProcess } from './serving-fixtures.js';

describeWithMlflow('lakeloop serve: MLflow registry', (uri) => {
  const name = `served-mlflow-${randomUUID().slice(0, 8)}`;
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-serve-mlflow-'));
  const tracking = new MlflowTrackingStore({ url: uri });
  const registry = new MlflowModelRegistry({ url: uri });
  let server: ServeProcess;

  beforeAll(async () => {
    const experiment = await tracking.getOrCreateExperiment(name);
    for (const seed of [1, 2]) {
      const data = { ...makeSyntheticData({ rows: 1000, columns: 5, seed }), featureNames: [...FEATURES] };
      const model = await trainGradientBoosting(data, {
        maxIterations: 10 + seed,
        maxLeaves: 15,
        threads: 1,
      });
      const runId = (await tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
      await logModel(tracking, runId, { model });
      await registry.registerModel(name, { runId });
    }
    await registry.setAlias(name, 'champion', '1', { reason: 'first', by: 'test' });
    server = await startServe(home, [`models:/${name}@champion`, '--poll-interval-ms', '200'], {
      MLFLOW_TRACKING_URI: uri,
    });
  }, 120_000);

  afterAll(async () => {
    await server.stop();
    await registry.close();
    await tracking.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('answers like loadModel and follows the alias moved on the server', async () => {
    const rows = testRowObjects().slice(0, 8);
    const ask = async (): Promise<{ version: string; predictions: number[] }> => {
      const response = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        body: JSON.stringify({ inputs: rows }),
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { predictions: number[] };
      return { version: response.headers.get('x-model-version') ?? '', predictions: body.predictions };
    };
    for (const version of ['1', '2']) {
      if (version === '2') {
        await registry.setAlias(name, 'champion', '2', { reason: 'second', by: 'test' });
        await waitFor(async () => (await ask()).version === '2');
      }
      await using scorer = await loadModel(`models:/${name}/${version}`, { registry, tracking });
      const expected = await scorer.predict(rows);
      const answer = await ask();
      expect(answer.version).toBe(version);
      answer.predictions.forEach((p, i) => {
        expect(Math.abs(p - (expected[i] ?? Number.NaN))).toBeLessThan(1e-6);
      });
    }
  }, 60_000);
});
