/**
 * The flight-delay pipeline end to end against the real MLflow tracking server (started by the
 * global setup): three sensor-triggered monthly runs on flights-2k log to MLflow and register
 * versions with lineage; then Python's `mlflow.pyfunc.load_model("models:/<name>@champion")`
 * scores the newest month with the same probabilities as lakeloop, within 1e-6.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GradientBoostingModel } from 'lakeloop/ml';
import { FEATURE_NAMES } from '../../pipelines/flight-delays/features/index.js';
import { embeddedTestEnv } from '../support/lakefs-test-env.js';
import { startDemo } from '../../pipelines/flight-delays/demo-runner.js';
import type { Demo } from '../../pipelines/flight-delays/demo-runner.js';
import type { PreprocessedData } from '../../pipelines/flight-delays/preprocess-asset.js';
import type { TrainedModelValue } from '../../pipelines/flight-delays/train-model-asset.js';
import { VENV } from '../tracking/mlflow-server-process.js';
import { describeWithMlflow } from '../tracking/mlflow-test-server.js';
import { expectLineage, removeHome, tempHome } from './flight-delays-support.js';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '..', 'python', 'score_model.py');

let home: string;
let demo: Demo | undefined;

beforeEach(() => {
  home = tempHome();
});

afterEach(async () => {
  await demo?.close();
  demo = undefined;
  removeHome(home);
});

/** The latest stored value of an asset in the demo's instance. */
async function latestValue(d: Demo, assetKey: string): Promise<unknown> {
  const [latest] = await d.instance.events.latestMaterializations([assetKey]);
  const storagePath = latest?.event.materialization?.storagePath;
  if (storagePath === undefined) throw new Error(`${assetKey} was never materialized`);
  return d.instance.ioManager.read({ assetKey, storagePath });
}

describeWithMlflow('flight-delay pipeline against the MLflow server', (uri) => {
  it('registers sensor-triggered versions in MLflow; Python scores the champion like lakeloop', async () => {
    // A unique model and experiment per test run: the server may be shared with other suites.
    const suffix = randomUUID().slice(0, 8);
    const modelName = `flight-delays-e2e-${suffix}`;
    demo = await startDemo({
      home,
      env: embeddedTestEnv(),
      dataset: 'flights-2k',
      trackingUri: uri,
      config: {
        modelName,
        experimentName: `flight-delays-e2e-${suffix}`,
        aucFloor: 0,
        aucTolerance: 1,
        gbdt: { maxIterations: 20, maxLeaves: 8, minSamplesLeaf: 20 },
      },
    });
    const outcomes = [];
    for (const month of demo.source.months) outcomes.push(await demo.commitMonth(month));
    expect(outcomes.map((o) => o.run.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    const registry = demo.registry;
    expect(registry.uri).toContain(uri.replace(/^https?:\/\//, ''));
    for (const [i, outcome] of outcomes.entries()) {
      await expectLineage({ registry, modelName, version: String(i + 1), outcome, demo });
    }
    const champion = await registry.getModelVersionByAlias({ name: modelName, alias: 'champion' });
    expect(champion.version).toBe('3');

    // lakeloop's probabilities on the newest month (March), from the stored asset values
    const preprocessed = (await latestValue(demo, 'preprocess')) as PreprocessedData;
    const trained = (await latestValue(demo, 'train_model')) as TrainedModelValue;
    const columns = FEATURE_NAMES.length;
    const rows = preprocessed.testLabels.length;
    expect(rows).toBe(699);
    const expected = Array.from(
      GradientBoostingModel.fromJSON(trained.model).predict(preprocessed.testFeatures, rows),
    );
    const data = Array.from({ length: rows }, (_, r) =>
      Array.from(preprocessed.testFeatures.subarray(r * columns, (r + 1) * columns)),
    );
    const input = join(home, 'march.json');
    writeFileSync(input, JSON.stringify({ columns: [...FEATURE_NAMES], data }));
    const { stdout } = await run(
      join(VENV, 'bin', 'python'),
      [SCRIPT, '--uri', uri, '--model', `models:/${modelName}@champion`, '--input', input],
      {
        env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
        maxBuffer: 50_000_000,
      },
    );
    const actual = JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as number[];
    expect(actual).toHaveLength(rows);
    let worst = 0;
    for (const [i, p] of expected.entries()) worst = Math.max(worst, Math.abs((actual[i] ?? Number.NaN) - p));
    expect(worst).toBeLessThan(1e-6);
    expect(new Set(expected.map((p) => p.toFixed(3))).size).toBeGreaterThan(10);
  }, 300_000);
});
