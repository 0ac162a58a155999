/**
 * `train_model`: histogram gradient boosting from `lakeloop/ml` (100 iterations, 31 leaves, lr 0.1
 * by default) on the training months, plus logistic regression as a baseline child run. Tracked
 * through the tracking resource (`startRun`: lineage tags and the data commit as input dataset
 * automatic, FINISHED/FAILED with the step): params, the training curve (log loss on the
 * evaluation month after every tree; monitoring only, no early stopping), and the model as an
 * MLflow model folder (ONNX flavor, signature inferred from the feature names). Progress lines
 * (trees done / elapsed) at least every 2 s.
 *
 * @example
 * ```ts
 * const run = await materialize(defs, { select: '+train_model', instance });
 * ```
 */
import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { defineAsset, output, stepProgress } from 'lakeloop';
import { logLoss, rocAuc, trainGradientBoosting, trainLogisticRegression } from 'lakeloop/ml';
import type { TabularData } from 'lakeloop/ml';
import type { StepTracking } from 'lakeloop/tracking';
import { pipelineCodeVersion } from './code-version.js';
import { FEATURE_NAMES } from './features/index.js';
import { flightResources, runConfigOf } from './flight-resources.js';
import { loadData } from './load-data-asset.js';
import { planSplit, preprocess } from './preprocess-asset.js';
import type { PreprocessedData } from './preprocess-asset.js';

/** Tag of the code version on training runs and model versions. */
export const CODE_VERSION_TAG = 'lakeloop.code_version';

/** At most this many (evenly spaced) training rows fit the logistic-regression baseline. */
export const BASELINE_MAX_ROWS = 250_000;

/**
 * At most this many (evenly spaced) evaluation rows trace the training curve: scoring every tree
 * on a whole month costs ~15% of the fit; 100k rows give the same curve for a fraction of it.
 */
export const CURVE_MAX_ROWS = 100_000;

/** The value of `train_model`. */
export interface TrainedModelValue {
  /** Tracking run holding params, metrics and the `model` artifact folder. */
  trackingRunId: string;
  artifactPath: string;
  /** `GradientBoostingModel.toJSON()`. */
  model: unknown;
  trainRows: number;
  trainMonths: string[];
  testLabel: string;
  trainSeconds: number;
  baseline: { trackingRunId: string; auc: number; logLoss: number; trainRows: number } | undefined;
}

/** A feature matrix of the pipeline's {@link FEATURE_NAMES} features with its labels. */
function featureMatrix(features: Float32Array, labels: Uint8Array): TabularData {
  return {
    features,
    labels,
    rows: labels.length,
    columns: FEATURE_NAMES.length,
    featureNames: [...FEATURE_NAMES],
  };
}

/** The training matrix of a `preprocess` value. */
export function trainingData(value: PreprocessedData): TabularData {
  return featureMatrix(value.trainFeatures, value.trainLabels);
}

/** The evaluation matrix of a `preprocess` value. */
export function evaluationData(value: PreprocessedData): TabularData {
  return featureMatrix(value.testFeatures, value.testLabels);
}

/** Every `step`-th row so that at most `maxRows` remain (deterministic). */
function evenSample(data: TabularData, maxRows: number): TabularData {
  if (data.rows <= maxRows) return data;
  const step = Math.ceil(data.rows / maxRows);
  const rows = Math.ceil(data.rows / step);
  const features = new Float32Array(rows * data.columns);
  const labels = new Uint8Array(rows);
  for (let r = 0, i = 0; i < data.rows; i += step, r++) {
    features.set(data.features.subarray(i * data.columns, (i + 1) * data.columns), r * data.columns);
    labels[r] = data.labels[i] ?? 0;
  }
  return { ...data, features, labels, rows };
}

/** The logistic-regression baseline, logged as a child run of the candidate's. */
async function trainBaseline(options: {
  tracking: StepTracking;
  experiment: string;
  parentRunId: string;
  tags: Record<string, string>;
  train: TabularData;
  test: TabularData;
}): Promise<NonNullable<TrainedModelValue['baseline']>> {
  const { train, test } = options;
  const sample = evenSample(train, BASELINE_MAX_ROWS);
  await using run = await options.tracking.startRun({
    experiment: options.experiment,
    runName: `logreg-baseline-${options.tags['lakeloop.evaluation_month'] ?? ''}`,
    tags: { ...options.tags, 'mlflow.parentRunId': options.parentRunId, 'lakeloop.role': 'baseline' },
    params: { model: 'logistic_regression', l2_regularization: 1, train_rows: sample.rows },
  });
  const started = performance.now();
  const model = await trainLogisticRegression(sample, { l2Regularization: 1 });
  const seconds = (performance.now() - started) / 1000;
  const scores = model.predict(test.features, test.rows);
  const auc = rocAuc({ labels: test.labels, scores });
  const loss = logLoss({ labels: test.labels, scores });
  run.logMetrics({ auc, log_loss: loss, train_seconds: seconds });
  return { trackingRunId: run.id, auc, logLoss: loss, trainRows: sample.rows };
}

/** The `train_model` asset. */
export const trainModel = defineAsset({
  key: 'train_model',
  deps: [preprocess, loadData],
  group: 'flight_delays',
  codeVersion: 'train-model-v2',
  description: 'Gradient boosting (+ logistic-regression baseline), logged with its ONNX model folder.',
  resources: { tracking: flightResources.tracking, settings: flightResources.settings },
  compute: async (ctx, inputs) => {
    const { tracking, settings } = ctx.resources;
    const config = runConfigOf(ctx);
    const data = inputs.load_data;
    const train = trainingData(inputs.preprocess);
    const test = evaluationData(inputs.preprocess);
    const split = planSplit(
      data.chunks.map((c) => c.month),
      config.singleMonthHoldoutDays,
    );
    const tags = { [CODE_VERSION_TAG]: pipelineCodeVersion(), 'lakeloop.evaluation_month': split.testLabel };
    const curveRows = evenSample(test, CURVE_MAX_ROWS);
    const { gbdt } = config;
    await using run = await tracking.startRun({
      experiment: settings.experimentName,
      runName: `gbdt-${split.testLabel.slice(0, 7)}-${data.commitId.slice(0, 8)}`,
      tags: { ...tags, 'lakeloop.role': 'candidate' },
      params: {
        model: 'gradient_boosting',
        max_iterations: gbdt.maxIterations,
        max_leaves: gbdt.maxLeaves,
        learning_rate: gbdt.learningRate,
        min_samples_leaf: gbdt.minSamplesLeaf,
        features: FEATURE_NAMES.join(','),
        train_rows: train.rows,
        test_rows: test.rows,
        curve_rows: curveRows.rows,
        train_months: split.trainMonths.join(','),
        evaluation_month: split.testLabel,
        data_commit: data.commitId,
      },
    });
    const progress = stepProgress(ctx.log);
    let finalEvalLoss: number | undefined;
    const started = performance.now();
    const model = await trainGradientBoosting(train, {
      ...gbdt,
      threads: config.threads === 0 ? availableParallelism() : config.threads,
      // The evaluation month is only watched (the training curve), never used to stop early.
      validation: curveRows,
      earlyStoppingRounds: gbdt.maxIterations + 1,
      onIteration: (p) => {
        if (p.validationLoss !== undefined) {
          run.logMetric('eval_log_loss', p.validationLoss, p.iteration);
          finalEvalLoss = p.validationLoss;
        }
        progress({ done: p.iteration, total: p.maxIterations, unit: 'trees' });
      },
    });
    const trainSeconds = (performance.now() - started) / 1000;
    ctx.log.info(
      `Trained ${model.iterations} trees on ${train.rows.toLocaleString('en-US')} rows in ${trainSeconds.toFixed(1)} s.`,
    );
    run.logMetric('train_seconds', trainSeconds);
    const inputExample = {
      columns: [...FEATURE_NAMES],
      data: Array.from({ length: Math.min(3, test.rows) }, (_, r) =>
        Array.from(test.features.subarray(r * test.columns, (r + 1) * test.columns)),
      ),
    };
    const logged = await run.logModel({
      model,
      inputExample,
      artifactPath: 'model',
      // Its per-feature profile travels with the model: the drift of served inputs is measured on it.
      trainingData: { features: train.features, rows: train.rows },
    });
    const baseline = config.baseline
      ? await trainBaseline({
          tracking,
          experiment: settings.experimentName,
          parentRunId: run.id,
          tags,
          train,
          test,
        })
      : undefined;
    if (baseline !== undefined)
      run.logMetrics({ baseline_auc: baseline.auc, baseline_log_loss: baseline.logLoss });
    const value: TrainedModelValue = {
      trackingRunId: run.id,
      artifactPath: logged.artifactPath,
      model: model.toJSON(),
      trainRows: train.rows,
      trainMonths: split.trainMonths,
      testLabel: split.testLabel,
      trainSeconds,
      baseline,
    };
    return output(value, {
      metadata: {
        tracking_run_id: run.id,
        train_rows: train.rows,
        train_seconds: Math.round(trainSeconds * 1000) / 1000,
        iterations: model.iterations,
        final_eval_log_loss: finalEvalLoss ?? null,
        baseline_auc: baseline?.auc ?? null,
      },
    });
  },
});
