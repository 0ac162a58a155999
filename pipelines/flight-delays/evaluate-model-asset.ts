/**
 * `evaluate_model`: AUC, log loss and a calibration table of the trained model on the evaluation
 * month; a new version of the registered model with lineage tags (data commit, pipeline run, code
 * version, gate verdict); the current champion (`models:/<name>@champion`) scored on the same rows
 * and the promotion verdict (floor, `championGate`, and "older data than the champion is never
 * promoted"). It moves no alias: its blocking checks `auc_floor` and `not_worse_than_champion`
 * report the verdict, and `promote_model` (downstream, so skipped when a check fails) moves it.
 *
 * @example
 * ```ts
 * const run = await materialize(defs, { select: '*', instance }); // load_data .. promote_model
 * ```
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defineAsset, defineCheck, isLakeloopError, output } from 'lakeloop';
import { calibrationTable, championGate, GradientBoostingModel, logLoss, rocAuc } from 'lakeloop/ml';
import type { CalibrationBin } from 'lakeloop/ml';
import { LineageTag, loadModel } from 'lakeloop/tracking';
import type { ModelRegistry, ModelScorer, ModelVersion } from 'lakeloop/tracking';
import type { DataRepository } from 'lakeloop/data';
import { pipelineCodeVersion } from './code-version.js';
import { flightResources, runConfigOf } from './flight-resources.js';
import { loadData } from './load-data-asset.js';
import type { LoadedData } from './load-data-asset.js';
import { preprocess } from './preprocess-asset.js';
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
  /** The first run of the re-execution chain that registered the version. */
  ROOT_RUN_ID: 'lakeloop.root_run_id',
} as const;

/** One gate's verdict. */
export interface GateResult {
  passed: boolean;
  /** Says what was compared, with the numbers. */
  description: string;
}

/** The promotion verdict: both gates (the blocking checks) and whether `promote_model` moves the alias. */
export interface PromotionVerdict {
  aucFloor: GateResult;
  notWorseThanChampion: GateResult;
  /** Both gates passed (version tag `lakeloop.gate`). */
  passed: boolean;
  /** The gates passed and the data is not older than the champion's. */
  promote: boolean;
  /** Why, recorded in the alias history. */
  reason: string;
}

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
  /** The champion before this run, scored on the same rows (undefined: none, or newer data). */
  champion: { version: string; auc: number; logLoss: number } | undefined;
  verdict: PromotionVerdict;
  aucFloor: number;
  aucTolerance: number;
}

/** The champion's scorer, or undefined when the model has no champion yet. */
async function loadChampion(
  ref: string,
  options: Parameters<typeof loadModel>[1],
): Promise<ModelScorer | undefined> {
  try {
    return await loadModel(ref, options);
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

/** The version an earlier attempt of this run chain registered (killed before it finished), if any. */
async function registeredByChain(
  registry: ModelRegistry,
  name: string,
  rootRunId: string,
): Promise<ModelVersion | undefined> {
  try {
    return (await registry.searchModelVersions({ name })).find(
      (v) =>
        v.tags[VERSION_TAG.ROOT_RUN_ID] === rootRunId || v.tags[LineageTag.PIPELINE_RUN_ID] === rootRunId,
    );
  } catch (error) {
    if (isLakeloopError(error, 'NOT_FOUND')) return undefined; // the model is not registered yet
    throw error;
  }
}

function versionTags(
  ctx: { runId: string },
  rootRunId: string,
  data: LoadedData,
  metrics: { auc: number; logLoss: number; trainRows: number; evaluationMonth: string; passed: boolean },
): Record<string, string> {
  return {
    [LineageTag.DATA_COMMIT]: data.commitId,
    [LineageTag.DATA_REPOSITORY]: data.repository,
    [LineageTag.PIPELINE_RUN_ID]: ctx.runId,
    [VERSION_TAG.ROOT_RUN_ID]: rootRunId,
    [VERSION_TAG.CODE_VERSION]: pipelineCodeVersion(),
    [VERSION_TAG.EVALUATION_MONTH]: metrics.evaluationMonth,
    [VERSION_TAG.TRAIN_ROWS]: String(metrics.trainRows),
    [VERSION_TAG.AUC]: metrics.auc.toFixed(6),
    [VERSION_TAG.LOG_LOSS]: metrics.logLoss.toFixed(6),
    [VERSION_TAG.GATE]: metrics.passed ? 'passed' : 'failed',
  };
}

/** The `evaluate_model` asset. */
export const evaluateModel = defineAsset({
  key: 'evaluate_model',
  deps: [trainModel, preprocess, loadData],
  group: 'flight_delays',
  codeVersion: 'evaluate-model-v2',
  description: 'Evaluates on the newest month against the champion and registers a model version.',
  resources: {
    tracking: flightResources.tracking,
    registry: flightResources.registry,
    data: flightResources.data,
    settings: flightResources.settings,
  },
  compute: async (ctx, inputs) => {
    const { tracking, registry, data: dataView, settings } = ctx.resources;
    const config = runConfigOf(ctx);
    const trained = inputs.train_model;
    const data = inputs.load_data;
    const test = evaluationData(inputs.preprocess);
    const evaluateStarted = performance.now();
    const scores = GradientBoostingModel.fromJSON(trained.model).predict(test.features, test.rows);
    const auc = rocAuc({ labels: test.labels, scores });
    const loss = logLoss({ labels: test.labels, scores });
    const calibration = calibrationTable({ labels: test.labels, scores }, { bins: 10 });

    const ref = `models:/${settings.modelName}@${CHAMPION_ALIAS}`;
    await using loaded = await loadChampion(ref, { registry, tracking: tracking.store });
    const championVersion =
      loaded?.version === undefined
        ? undefined
        : await registry.getModelVersion(settings.modelName, loaded.version);
    // A model of older data than the champion's is never promoted, nor compared with a champion
    // whose training rows include this run's evaluation month.
    const olderData =
      championVersion !== undefined &&
      (await isOlderThanChampion(dataView.repository, {
        repository: data.repository,
        commitId: data.commitId,
        champion: championVersion,
      }));
    let champion: EvaluationValue['champion'];
    let championScores: Float64Array | undefined;
    if (loaded !== undefined && !olderData) {
      championScores = await loaded.predict(test.features);
      champion = {
        version: loaded.version ?? '?',
        auc: rocAuc({ labels: test.labels, scores: championScores }),
        logLoss: logLoss({ labels: test.labels, scores: championScores }),
      };
    }
    const gate = await championGate({
      challenger: { scores },
      champion:
        championScores === undefined
          ? undefined
          : { version: champion?.version, predict: () => championScores },
      rows: test.features,
      labels: test.labels,
      metric: 'auc',
      tolerance: config.aucTolerance,
    });
    const floorPassed = auc >= config.aucFloor;
    const fmt = (x: number): string => x.toFixed(4);
    const aucFloor: GateResult = {
      passed: floorPassed,
      description: `AUC ${fmt(auc)} ${floorPassed ? '>=' : '<'} floor ${fmt(config.aucFloor)}.`,
    };
    const notWorseThanChampion: GateResult = olderData
      ? {
          passed: true,
          description: `Trained on older data than champion v${championVersion.version}: not compared, never promoted.`,
        }
      : { passed: gate.promote, description: gate.reason };
    const passed = aucFloor.passed && notWorseThanChampion.passed;
    const verdict: PromotionVerdict = {
      aucFloor,
      notWorseThanChampion,
      passed,
      promote: passed && !olderData,
      reason: passed ? `${aucFloor.description} ${notWorseThanChampion.description}` : '',
    };
    const evaluateSeconds = (performance.now() - evaluateStarted) / 1000;

    const runId = trained.trackingRunId;
    const calibrationDir = await mkdtemp(join(tmpdir(), 'lakeloop-calibration-'));
    try {
      const file = join(calibrationDir, 'calibration.json');
      await writeFile(
        file,
        JSON.stringify({ evaluationMonth: trained.testLabel, bins: calibration }, null, 2),
      );
      await tracking.store.logArtifact(runId, file, 'evaluation');
    } finally {
      await rm(calibrationDir, { recursive: true, force: true });
    }
    await tracking.store.logBatch(runId, {
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
      tags: { [VERSION_TAG.GATE]: passed ? 'passed' : 'failed' },
    });

    const registerStarted = performance.now();
    // An earlier attempt of this run (killed after registering) already registered this commit.
    const rootRunId = ctx.runTags['lakeloop/root_run_id'] ?? ctx.runId;
    const version =
      (await registeredByChain(registry, settings.modelName, rootRunId)) ??
      (await registry.registerModel(settings.modelName, {
        runId,
        artifactPath: trained.artifactPath,
        description: `Trained on ${trained.trainMonths.join(', ')}; evaluated on ${trained.testLabel}.`,
        tags: versionTags(ctx, rootRunId, data, {
          auc,
          logLoss: loss,
          trainRows: trained.trainRows,
          evaluationMonth: trained.testLabel,
          passed,
        }),
      }));
    const registerSeconds = (performance.now() - registerStarted) / 1000;
    ctx.log.info(
      `Registered ${settings.modelName} v${version.version}: AUC ${fmt(auc)}, log loss ${fmt(loss)}; ` +
        (verdict.promote
          ? 'gates passed.'
          : olderData
            ? `trained on older data than champion v${championVersion.version}, which stays.`
            : `gates failed, champion stays ${champion?.version ?? 'unset'}.`),
    );
    const value: EvaluationValue = {
      modelName: settings.modelName,
      version: version.version,
      auc,
      logLoss: loss,
      calibration,
      testRows: test.rows,
      evaluationMonth: trained.testLabel,
      champion,
      verdict,
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
        promote: verdict.promote,
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
    passed: value.verdict.aucFloor.passed,
    description: value.verdict.aucFloor.description,
    metadata: { auc: value.auc, floor: value.aucFloor, version: value.version },
  }),
});

/** Blocking check: not worse than the champion on the same rows by more than the tolerance (championGate). */
export const notWorseThanChampionCheck = defineCheck<EvaluationValue>({
  name: 'not_worse_than_champion',
  asset: evaluateModel,
  blocking: true,
  description: 'The model is not worse than the current champion on the same month (within a tolerance).',
  fn: (_ctx, value) => ({
    passed: value.verdict.notWorseThanChampion.passed,
    description: value.verdict.notWorseThanChampion.description,
    metadata: {
      auc: value.auc,
      champion_version: value.champion?.version ?? null,
      champion_auc: value.champion?.auc ?? null,
      tolerance: value.aucTolerance,
    },
  }),
});
