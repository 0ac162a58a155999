/**
 * `train_model`: histogram gradient boosting from `lakeloop/ml` (100 iterations, 31 leaves, lr 0.1
 * by default) on the training months, plus logistic regression as a logged baseline. Logged to
 * the tracking store: params, the training curve (log loss on the evaluation month after every
 * tree; monitoring only, no early stopping), the dataset input (the data commit URI), lineage tags,
 * and the model as an MLflow model folder with the ONNX flavor and a signature.
 *
 * @example
 * ```ts
 * const run = await materialize(defs, { select: '+train_model', instance });
 * ```
 */
import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { defineAsset, output } from 'lakeloop';
import { logLoss, rocAuc, trainGradientBoosting, trainLogisticRegression } from 'lakeloop/ml';
import type { TabularData } from 'lakeloop/ml';
import { LineageTag, logModel } from 'lakeloop/tracking';
import type { ModelSignature, TrackingStore } from 'lakeloop/tracking';
import { pipelineCodeVersion } from './code-version.js';
import { FEATURE_NAMES } from './features/index.js';
import { loadData } from './load-data-asset.js';
import type { LoadedData } from './load-data-asset.js';
import { PIPELINE_RESOURCES, pipelineServices } from './pipeline-resources.js';
import type { PipelineConfig } from './pipeline-config.js';
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

/** The model's MLflow signature: the float features of {@link FEATURE_NAMES} in, one probability out. */
export const MODEL_SIGNATURE: ModelSignature = {
  inputs: FEATURE_NAMES.map((name) => ({ name, type: 'float' as const })),
  outputs: { type: 'tensor', dtype: 'float32', shape: [-1, 1], name: 'probability' },
};

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

function lineageTags(ctx: { runId: string }, data: LoadedData): Record<string, string> {
  return {
    [LineageTag.DATA_COMMIT]: data.commitId,
    [LineageTag.DATA_REPOSITORY]: data.repository,
    [LineageTag.PIPELINE_RUN_ID]: ctx.runId,
    [CODE_VERSION_TAG]: pipelineCodeVersion(),
  };
}

async function trainBaseline(options: {
  tracking: TrackingStore;
  experimentId: string;
  parentRunId: string;
  tags: Record<string, string>;
  train: TabularData;
  test: TabularData;
  data: LoadedData;
}): Promise<NonNullable<TrainedModelValue['baseline']>> {
  const { tracking, train, test } = options;
  const sample = evenSample(train, BASELINE_MAX_ROWS);
  const run = await tracking.createRun({
    experimentId: options.experimentId,
    name: `logreg-baseline-${options.tags[LineageTag.DATA_COMMIT]?.slice(0, 8) ?? ''}`,
    tags: { ...options.tags, 'mlflow.parentRunId': options.parentRunId, 'lakeloop.role': 'baseline' },
  });
  try {
    const started = performance.now();
    const model = await trainLogisticRegression(sample, { l2Regularization: 1 });
    const seconds = (performance.now() - started) / 1000;
    const scores = model.predict(test.features, test.rows);
    const auc = rocAuc({ labels: test.labels, scores });
    const loss = logLoss({ labels: test.labels, scores });
    await tracking.logInputs(run.info.runId, [datasetInput(options.data)]);
    await tracking.logBatch(run.info.runId, {
      params: { model: 'logistic_regression', l2_regularization: 1, train_rows: sample.rows },
      metrics: [
        { key: 'auc', value: auc },
        { key: 'log_loss', value: loss },
        { key: 'train_seconds', value: seconds },
      ],
    });
    await tracking.endRun(run.info.runId, 'FINISHED');
    return { trackingRunId: run.info.runId, auc, logLoss: loss, trainRows: sample.rows };
  } catch (error) {
    await tracking.endRun(run.info.runId, 'FAILED').catch(() => undefined);
    throw error;
  }
}

function datasetInput(data: LoadedData): Parameters<TrackingStore['logInputs']>[1][number] {
  return {
    name: data.repository,
    digest: data.commitId.slice(0, 36),
    sourceType: 'lakefs',
    source: data.datasetUri,
    profile: JSON.stringify({ rows: data.rows, months: data.chunks.map((c) => c.month) }),
    tags: { 'mlflow.data.context': 'training' },
  };
}

function threadsOf(config: PipelineConfig): number {
  return config.threads === 0 ? availableParallelism() : config.threads;
}

/** The `train_model` asset. */
export const trainModel = defineAsset({
  key: 'train_model',
  deps: [preprocess, loadData],
  group: 'flight_delays',
  codeVersion: 'train-model-v1',
  description: 'Gradient boosting (+ logistic-regression baseline), logged with its ONNX model folder.',
  resources: [PIPELINE_RESOURCES.backends, PIPELINE_RESOURCES.config],
  compute: async (ctx, inputs) => {
    const { tracking, config } = pipelineServices(ctx);
    const data = inputs.load_data;
    const train = trainingData(inputs.preprocess);
    const test = evaluationData(inputs.preprocess);
    const split = planSplit(
      data.chunks.map((c) => c.month),
      config.singleMonthHoldoutDays,
    );
    const experiment = await tracking.getOrCreateExperiment(config.experimentName);
    const tags = lineageTags(ctx, data);
    const run = await tracking.createRun({
      experimentId: experiment.experimentId,
      name: `gbdt-${split.testLabel.slice(0, 7)}-${data.commitId.slice(0, 8)}`,
      tags: { ...tags, 'lakeloop.role': 'candidate', 'lakeloop.evaluation_month': split.testLabel },
    });
    const runId = run.info.runId;
    try {
      const curveRows = evenSample(test, CURVE_MAX_ROWS);
      const params = {
        model: 'gradient_boosting',
        max_iterations: config.gbdt.maxIterations,
        max_leaves: config.gbdt.maxLeaves,
        learning_rate: config.gbdt.learningRate,
        min_samples_leaf: config.gbdt.minSamplesLeaf,
        features: FEATURE_NAMES.join(','),
        train_rows: train.rows,
        test_rows: test.rows,
        curve_rows: curveRows.rows,
        train_months: split.trainMonths.join(','),
        evaluation_month: split.testLabel,
        data_commit: data.commitId,
      };
      await tracking.logParams(runId, params);
      await tracking.logInputs(runId, [datasetInput(data)]);
      const curve: { key: string; value: number; step: number }[] = [];
      const started = performance.now();
      const model = await trainGradientBoosting(train, {
        maxIterations: config.gbdt.maxIterations,
        maxLeaves: config.gbdt.maxLeaves,
        learningRate: config.gbdt.learningRate,
        minSamplesLeaf: config.gbdt.minSamplesLeaf,
        threads: threadsOf(config),
        // The evaluation month is only watched (the training curve), never used to stop early.
        validation: curveRows,
        earlyStoppingRounds: config.gbdt.maxIterations + 1,
        onIteration: (p) => {
          if (p.validationLoss !== undefined)
            curve.push({ key: 'eval_log_loss', value: p.validationLoss, step: p.iteration });
        },
      });
      const trainSeconds = (performance.now() - started) / 1000;
      ctx.log.info(
        `Trained ${model.iterations} trees on ${train.rows.toLocaleString('en-US')} rows in ${trainSeconds.toFixed(1)} s.`,
      );
      await tracking.logBatch(runId, {
        metrics: [...curve, { key: 'train_seconds', value: trainSeconds }],
      });
      const inputExample = {
        columns: [...FEATURE_NAMES],
        data: Array.from({ length: Math.min(3, test.rows) }, (_, r) =>
          Array.from(test.features.subarray(r * test.columns, (r + 1) * test.columns)),
        ),
      };
      const logged = await logModel(tracking, runId, {
        onnx: model.toOnnx(),
        signature: MODEL_SIGNATURE,
        inputExample,
        artifactPath: 'model',
      });
      const baseline = config.baseline
        ? await trainBaseline({
            tracking,
            experimentId: experiment.experimentId,
            parentRunId: runId,
            tags,
            train,
            test,
            data,
          })
        : undefined;
      if (baseline !== undefined) {
        await tracking.logBatch(runId, {
          metrics: [
            { key: 'baseline_auc', value: baseline.auc },
            { key: 'baseline_log_loss', value: baseline.logLoss },
          ],
        });
      }
      await tracking.endRun(runId, 'FINISHED');
      const value: TrainedModelValue = {
        trackingRunId: runId,
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
          tracking_run_id: runId,
          train_rows: train.rows,
          train_seconds: Math.round(trainSeconds * 1000) / 1000,
          iterations: model.iterations,
          final_eval_log_loss: curve.at(-1)?.value ?? null,
          baseline_auc: baseline?.auc ?? null,
        },
      });
    } catch (error) {
      await tracking.endRun(runId, 'FAILED').catch(() => undefined);
      throw error;
    }
  },
});
