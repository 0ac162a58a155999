/**
 * `evaluate_model`: AUC, log loss and a calibration table of the trained model on the evaluation
 * month; the current champion scored (through its registered ONNX model) on the same rows; the
 * promotion gates (see quality-gates.ts); a new version of the registered model with lineage tags
 * (data commit, pipeline run id, code version, gate verdict); and, only when both gates pass, the
 * `champion` alias moved to it. The blocking checks `auc_floor` and `not_worse_than_champion`
 * report the same verdicts, so a failing gate fails the run while the champion stays.
 *
 * @example
 * ```ts
 * const run = await materialize(defs, { select: '*', instance }); // load_data .. evaluate_model
 * ```
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { defineAsset, defineCheck, isLakeloopError, output } from 'lakeloop';
import { calibrationTable, GradientBoostingModel, logLoss, rocAuc } from 'lakeloop/ml';
import type { CalibrationBin, TabularData } from 'lakeloop/ml';
import { LineageTag } from 'lakeloop/tracking';
import type { ModelRegistry, ModelVersion, TrackingStore } from 'lakeloop/tracking';
import type { DataRepository } from 'lakeloop/data';
import { pipelineCodeVersion } from './code-version.js';
import { loadData } from './load-data-asset.js';
import { PIPELINE_RESOURCES, pipelineServices } from './pipeline-resources.js';
import { preprocess } from './preprocess-asset.js';
import { evaluateGates } from './quality-gates.js';
import type { GateResults } from './quality-gates.js';
import { CODE_VERSION_TAG, evaluationData, trainModel } from './train-model-asset.js';

/** The alias that marks the model in production. */
export const CHAMPION_ALIAS = 'champion';

/** Model-version tags written besides {@link LineageTag}. */
export const VERSION_TAG = {
  CODE_VERSION: CODE_VERSION_TAG,
  EVALUATION_MONTH: 'lakeloop.evaluation_month',
  TRAIN_ROWS: 'lakeloop.train_rows',
  AUC: 'lakeloop.auc',
  LOG_LOSS: 'lakeloop.log_loss',
  GATE: 'lakeloop.gate',
} as const;

/** The value of `evaluate_model`. */
export interface EvaluationValue {
  modelName: string;
  /** The registered version. */
  version: string;
  auc: number;
  logLoss: number;
  calibration: CalibrationBin[];
  testRows: number;
  evaluationMonth: string;
  /** The champion before this run, scored on the same rows. */
  champion: { version: string; auc: number; logLoss: number } | undefined;
  gates: GateResults;
  /** True when the `champion` alias moved to {@link version}. */
  promoted: boolean;
  aucFloor: number;
  aucTolerance: number;
}

/** Scores rows with an ONNX model (input `input` [N, k] float32, output `probability`). */
export async function scoreOnnx(onnx: Uint8Array, data: TabularData): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const input = new ort.Tensor('float32', data.features, [data.rows, data.columns]);
    const result = await session.run({ input });
    const probability = result['probability'];
    if (probability === undefined) throw new Error('The ONNX model has no "probability" output.');
    return probability.data as Float32Array;
  } finally {
    await session.release();
  }
}

async function currentChampion(registry: ModelRegistry, name: string): Promise<ModelVersion | undefined> {
  try {
    return await registry.getModelVersionByAlias({ name, alias: CHAMPION_ALIAS });
  } catch (error) {
    if (isLakeloopError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

/**
 * Whether `commitId` is an ancestor of the champion's data commit (older data): a run that ends
 * late (a re-execution, a slow run) must not move the champion back to an older month's model.
 */
async function isOlderThanChampion(
  data: DataRepository,
  options: { repository: string; commitId: string; champion: ModelVersion },
): Promise<boolean> {
  const championCommit = options.champion.tags[LineageTag.DATA_COMMIT];
  if (championCommit === undefined || championCommit === options.commitId) return false;
  let after: string | undefined;
  for (;;) {
    const page = await data.log({
      repository: options.repository,
      ref: championCommit,
      ...(after === undefined ? {} : { after }),
    });
    if (page.results.some((c) => c.id === options.commitId)) return true;
    if (!page.hasMore) return false;
    after = page.nextOffset;
  }
}

/** Version tag: the first run of the re-execution chain that registered the version. */
const ROOT_RUN_TAG = 'lakeloop.root_run_id';

async function championOnnx(tracking: TrackingStore, version: ModelVersion): Promise<Uint8Array> {
  if (version.runId === undefined) throw new Error(`Model version ${version.version} has no run.`);
  const dir = await mkdtemp(join(tmpdir(), 'lakeloop-champion-'));
  try {
    const folder = await tracking.downloadArtifacts(version.runId, { path: 'model', destination: dir });
    return await readFile(join(folder, 'model.onnx'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The `evaluate_model` asset. */
export const evaluateModel = defineAsset({
  key: 'evaluate_model',
  deps: [trainModel, preprocess, loadData],
  group: 'flight_delays',
  codeVersion: 'evaluate-model-v1',
  description:
    'Evaluates on the newest month, registers a model version, moves `champion` when the gates pass.',
  resources: [PIPELINE_RESOURCES.backends, PIPELINE_RESOURCES.config],
  compute: async (ctx, inputs) => {
    const { tracking, registry, data: repository, config } = pipelineServices(ctx);
    const trained = inputs.train_model;
    const data = inputs.load_data;
    const test = evaluationData(inputs.preprocess);
    const evaluateStarted = performance.now();
    const model = GradientBoostingModel.fromJSON(trained.model);
    const scores = model.predict(test.features, test.rows);
    const auc = rocAuc({ labels: test.labels, scores });
    const loss = logLoss({ labels: test.labels, scores });
    const calibration = calibrationTable({ labels: test.labels, scores }, { bins: 10 });

    const before = await currentChampion(registry, config.modelName);
    // A model of older data than the champion's is never promoted, nor compared with a champion
    // whose training rows include this run's evaluation month.
    const olderData =
      before !== undefined &&
      (await isOlderThanChampion(repository, {
        repository: data.repository,
        commitId: data.commitId,
        champion: before,
      }));
    let champion: EvaluationValue['champion'];
    if (before !== undefined && !olderData) {
      const championScores = await scoreOnnx(await championOnnx(tracking, before), test);
      champion = {
        version: before.version,
        auc: rocAuc({ labels: test.labels, scores: championScores }),
        logLoss: logLoss({ labels: test.labels, scores: championScores }),
      };
    }
    const gates = evaluateGates({
      auc,
      championAuc: champion?.auc,
      ...(champion === undefined ? {} : { championVersion: champion.version }),
      aucFloor: config.aucFloor,
      aucTolerance: config.aucTolerance,
    });
    const evaluateSeconds = (performance.now() - evaluateStarted) / 1000;

    const runId = trained.trackingRunId;
    const calibrationDir = await mkdtemp(join(tmpdir(), 'lakeloop-calibration-'));
    try {
      const file = join(calibrationDir, 'calibration.json');
      await writeFile(
        file,
        JSON.stringify({ evaluationMonth: trained.testLabel, bins: calibration }, null, 2),
      );
      await tracking.logArtifact(runId, file, 'evaluation');
    } finally {
      await rm(calibrationDir, { recursive: true, force: true });
    }
    await tracking.logBatch(runId, {
      metrics: [
        { key: 'auc', value: auc },
        { key: 'log_loss', value: loss },
        ...(champion === undefined
          ? []
          : [
              { key: 'champion_auc', value: champion.auc },
              { key: 'champion_log_loss', value: champion.logLoss },
            ]),
      ],
      tags: { 'lakeloop.gate': gates.passed ? 'passed' : 'failed' },
    });

    const registerStarted = performance.now();
    await registry.getOrCreateRegisteredModel({
      name: config.modelName,
      description: 'Probability that a US domestic flight departs more than 15 minutes late.',
    });
    // An earlier attempt of this run (killed after registering) already registered this commit.
    const rootRunId = ctx.runTags['lakeloop/root_run_id'] ?? ctx.runId;
    const registered = (await registry.searchModelVersions({ name: config.modelName })).find(
      (v) => v.tags[ROOT_RUN_TAG] === rootRunId || v.tags[LineageTag.PIPELINE_RUN_ID] === rootRunId,
    );
    const version =
      registered ??
      (await registry.createModelVersion({
        name: config.modelName,
        runId,
        artifactPath: trained.artifactPath,
        description: `Trained on ${trained.trainMonths.join(', ')}; evaluated on ${trained.testLabel}.`,
        tags: {
          [LineageTag.DATA_COMMIT]: data.commitId,
          [LineageTag.DATA_REPOSITORY]: data.repository,
          [LineageTag.PIPELINE_RUN_ID]: ctx.runId,
          [ROOT_RUN_TAG]: rootRunId,
          [VERSION_TAG.CODE_VERSION]: pipelineCodeVersion(),
          [VERSION_TAG.EVALUATION_MONTH]: trained.testLabel,
          [VERSION_TAG.TRAIN_ROWS]: String(trained.trainRows),
          [VERSION_TAG.AUC]: auc.toFixed(6),
          [VERSION_TAG.LOG_LOSS]: loss.toFixed(6),
          [VERSION_TAG.GATE]: gates.passed ? 'passed' : 'failed',
        },
      }));
    const promoted = gates.passed && !olderData;
    if (promoted) {
      await registry.setAlias({ name: config.modelName, alias: CHAMPION_ALIAS, version: version.version });
    }
    const registerSeconds = (performance.now() - registerStarted) / 1000;
    ctx.log.info(
      `Registered ${config.modelName} v${version.version}: AUC ${auc.toFixed(4)}, log loss ${loss.toFixed(4)}; ` +
        (promoted
          ? 'now champion.'
          : olderData
            ? `trained on older data than champion v${before.version}, which stays.`
            : `gates failed, champion stays ${before?.version ?? 'unset'}.`),
    );
    const value: EvaluationValue = {
      modelName: config.modelName,
      version: version.version,
      auc,
      logLoss: loss,
      calibration,
      testRows: test.rows,
      evaluationMonth: trained.testLabel,
      champion,
      gates,
      promoted,
      aucFloor: config.aucFloor,
      aucTolerance: config.aucTolerance,
    };
    return output(value, {
      metadata: {
        model_version: version.version,
        auc,
        log_loss: loss,
        champion_before: champion?.version ?? null,
        champion_auc: champion?.auc ?? null,
        promoted,
        evaluate_seconds: Math.round(evaluateSeconds * 1000) / 1000,
        register_seconds: Math.round(registerSeconds * 1000) / 1000,
      },
    });
  },
});

/** Blocking check: AUC at least the configured floor. */
export const aucFloorCheck = defineCheck<EvaluationValue>({
  name: 'auc_floor',
  asset: evaluateModel,
  blocking: true,
  description: 'The model’s AUC on the evaluation month is at least the configured floor.',
  fn: (_ctx, value) => ({
    passed: value.gates.aucFloor.passed,
    description: value.gates.aucFloor.description,
    metadata: { auc: value.auc, floor: value.aucFloor, version: value.version },
  }),
});

/** Blocking check: not worse than the champion on the same month by more than the tolerance. */
export const notWorseThanChampionCheck = defineCheck<EvaluationValue>({
  name: 'not_worse_than_champion',
  asset: evaluateModel,
  blocking: true,
  description: 'The model is not worse than the current champion on the same month (within a tolerance).',
  fn: (_ctx, value) => ({
    passed: value.gates.notWorseThanChampion.passed,
    description: value.gates.notWorseThanChampion.description,
    metadata: {
      auc: value.auc,
      champion_version: value.champion?.version ?? null,
      champion_auc: value.champion?.auc ?? null,
      tolerance: value.aucTolerance,
    },
  }),
});
