/**
 * A whole training loop in one file, written from the docs only: rows read from the data
 * repository at the run's commit, a model trained with a run config, tracked and registered with
 * its lineage, a blocking quality check, and a `promote` step that moves the `champion` alias only
 * when the check passed — recording why. The packaging test installs lakeloop from its tarball into
 * an empty project and runs this file and its test there.
 *
 * ```sh
 * npx lakeloop materialize --defs train-and-promote.ts --select '*' --config config.yaml
 * ```
 */
import { z } from 'zod';
import { defineAsset, defineCheck, Definitions, output } from 'lakeloop';
import { dataRepositoryResource } from 'lakeloop/data';
import { championGate, rocAuc, trainGradientBoosting } from 'lakeloop/ml';
import type { TabularData } from 'lakeloop/ml';
import { registryResource, trackingResource } from 'lakeloop/tracking';

/** Registered model name. */
export const MODEL_NAME = 'toy-classifier';

const data = dataRepositoryResource({ repository: 'toy', branch: 'main' });
const tracking = trackingResource();
const registry = registryResource();

/** `rows.csv` at the run's data commit: feature columns `x0..xN` and a 0/1 `label`. */
export const trainingRows = defineAsset({
  key: 'training_rows',
  resources: { data },
  compute: async (ctx): Promise<TabularData> => {
    const table = await ctx.resources.data.readTable('rows.csv');
    const featureNames = table.columnNames.filter((name) => name !== 'label');
    const features = new Float32Array(table.rowCount * featureNames.length);
    featureNames.forEach((name, c) => {
      const column = table.columns[name] as ArrayLike<number>;
      for (let r = 0; r < table.rowCount; r++) features[r * featureNames.length + c] = column[r] ?? NaN;
    });
    const labels = Uint8Array.from(table.columns['label'] as ArrayLike<number>);
    ctx.log.info(`${table.rowCount} rows at commit ${table.commitId.slice(0, 12)}`);
    return { features, labels, rows: table.rowCount, columns: featureNames.length, featureNames };
  },
});

/** Every 5th row is held out for evaluation. */
function split(data: TabularData, holdout: boolean): TabularData {
  const keep = Array.from({ length: data.rows }, (_, r) => r).filter((r) => (r % 5 === 0) === holdout);
  const features = new Float32Array(keep.length * data.columns);
  keep.forEach((r, i) => {
    features.set(data.features.subarray(r * data.columns, (r + 1) * data.columns), i * data.columns);
  });
  return { ...data, features, labels: Uint8Array.from(keep, (r) => data.labels[r] ?? 0), rows: keep.length };
}

/** Gradient boosting, tracked (params, AUC, the ONNX model) and registered with its lineage. */
export const model = defineAsset({
  key: 'model',
  deps: [trainingRows],
  resources: { tracking, registry },
  config: z.object({
    maxIterations: z.number().int().min(1).default(30),
    learningRate: z.number().positive().max(1).default(0.1),
  }),
  compute: async (ctx, { training_rows }) => {
    const train = split(training_rows, false);
    const test = split(training_rows, true);
    await using run = await ctx.resources.tracking.startRun({ experiment: MODEL_NAME });
    run.logParams({ max_iterations: ctx.config.maxIterations, learning_rate: ctx.config.learningRate });
    const trained = await trainGradientBoosting(train, {
      maxIterations: ctx.config.maxIterations,
      learningRate: ctx.config.learningRate,
    });
    const scores = trained.predict(test.features, test.rows);
    const auc = rocAuc({ labels: test.labels, scores });
    run.logMetric('auc', auc);
    const { artifactPath } = await run.logModel({ model: trained }); // signature from the feature names
    const version = await ctx.resources.registry.registerModel(MODEL_NAME, { runId: run.id, artifactPath });
    const verdict = await championGate({
      challenger: { scores },
      champion: undefined,
      rows: test,
      labels: test.labels,
    });
    return output({ version: version.version, auc, reason: verdict.reason }, { metadata: { auc } });
  },
});

/** Blocking: a model no better than chance is never promoted. */
export const usefulModel = defineCheck({
  name: 'auc_above_chance',
  asset: model,
  blocking: true,
  fn: (_ctx, value) => ({ passed: value.auc > 0.6, description: `AUC ${value.auc.toFixed(3)} (floor 0.6)` }),
});

/** Runs only when the blocking check passed: moves `champion`, recorded in the alias history. */
export const promote = defineAsset({
  key: 'promote',
  deps: [model],
  resources: { registry },
  compute: async (ctx, { model }) => {
    await ctx.resources.registry.setAlias(MODEL_NAME, 'champion', model.version, { reason: model.reason });
    return { champion: model.version };
  },
});

export const defs = new Definitions({ assets: [trainingRows, model, promote], checks: [usefulModel] });
