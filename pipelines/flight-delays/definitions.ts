/**
 * The flight-delay pipeline as a code location: assets `load_data` -> `preprocess` ->
 * `train_model` -> `evaluate_model` -> `promote_model`, their blocking checks, the job `retrain`
 * (all five, with the run-config schema), and a data-commit sensor on `flights@main` that launches
 * `retrain` once per new commit. The assets use the built-in data, tracking and registry
 * resources (lakeFS when `LAKEFS_ENDPOINT` and keys are set, MLflow when `MLFLOW_TRACKING_URI` is
 * set, else the embedded backends of the instance home); this module gives them the settings.
 *
 * @example
 * ```sh
 * lakeloop materialize --defs pipelines/flight-delays/definitions.ts --job retrain --config run.yaml
 * lakeloop dev --defs pipelines/flight-delays/definitions.ts
 * ```
 * ```ts
 * import { buildDefinitions } from './definitions.js';
 * const { defs, settings } = buildDefinitions({ data, config: { aucFloor: 0.55 } });
 * ```
 */
import { resolve } from 'node:path';
import { defineJob, Definitions } from 'lakeloop';
import { createDataRepository, dataCommitSensor, dataRepositoryResource } from 'lakeloop/data';
import type { CommitLogReader, DataRepository } from 'lakeloop/data';
import { registryResource, trackingResource } from 'lakeloop/tracking';
import { evaluateModel, aucFloorCheck, notWorseThanChampionCheck } from './evaluate-model-asset.js';
import type { PipelineSettings } from './flight-resources.js';
import { chunksValid, loadData } from './load-data-asset.js';
import { resolveFlightConfig, runConfigSchema } from './pipeline-config.js';
import type { FlightConfigOverrides, FlightRunConfig } from './pipeline-config.js';
import { preprocess } from './preprocess-asset.js';
import { promoteModel } from './promote-model-asset.js';
import { trainModel } from './train-model-asset.js';
import { endTrackingRunsOfFailedRun } from './tracking-cleanup.js';

/** Name of the job that retrains on new data. */
export const RETRAIN_JOB = 'retrain';

/** Name of the sensor that watches the data branch. */
export const NEW_DATA_SENSOR = 'new_flight_data';

/** Options of {@link buildDefinitions}. */
export interface BuildDefinitionsOptions {
  /** Settings and the run config's defaults. Default none (the defaults, `LAKELOOP_FLIGHTS_REPOSITORY`/`_BRANCH`). */
  config?: FlightConfigOverrides;
  /**
   * The data repository the sensor reads (e.g. the one `npm start` imports with, for its
   * commit notifications). Default: opened on first use in `home`. Steps use the data resource.
   */
  data?: DataRepository;
  /** Home of the sensor's repository when `data` is not given. Default `$LAKELOOP_HOME`, else `.lakeloop`. */
  home?: string;
  /** Tracking/registry URI of the steps. Default `MLFLOW_TRACKING_URI`, else embedded. */
  trackingUri?: string;
  /** Environment the backends and settings read. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Sensor polling interval in seconds (pushes from the embedded repository are immediate). Default 1. */
  sensorIntervalSeconds?: number;
}

/** What {@link buildDefinitions} returns. */
export interface FlightDelayDefinitions {
  defs: Definitions;
  settings: PipelineSettings;
  /** The run config of a run given no config (the schema's defaults). */
  runDefaults: FlightRunConfig;
}

/** The sensor's view of the data: the given repository, else one opened on first use. */
function commitLog(options: BuildDefinitionsOptions): CommitLogReader {
  let opened: DataRepository | undefined = options.data;
  const data = (): DataRepository => {
    const env = options.env ?? process.env;
    const home =
      options.home ??
      (env.LAKELOOP_HOME === undefined || env.LAKELOOP_HOME === '' ? '.lakeloop' : env.LAKELOOP_HOME);
    opened ??= createDataRepository({ home: resolve(home), env });
    return opened;
  };
  return {
    getBranch: (o) => data().getBranch(o),
    log: (o) => data().log(o),
    diff: (o) => data().diff(o),
    onCommit: (listener) => data().onCommit?.(listener) ?? (() => undefined),
  };
}

/** Builds the pipeline's Definitions with the given settings and run-config defaults. */
export function buildDefinitions(options: BuildDefinitionsOptions = {}): FlightDelayDefinitions {
  const env = options.env ?? process.env;
  const { settings: base, runDefaults } = resolveFlightConfig(options.config, env);
  const settings: PipelineSettings = { ...base, runDefaults, trackingUri: options.trackingUri };
  const retrain = defineJob({
    name: RETRAIN_JOB,
    select: 'load_data+',
    description: 'Reload, preprocess, retrain, evaluate, register and promote on the latest data.',
    tags: { 'lakeloop/pipeline': 'flight-delays' },
    config: runConfigSchema(runDefaults),
  });
  const sensor = dataCommitSensor({
    name: NEW_DATA_SENSOR,
    repository: settings.repository,
    branch: settings.branch,
    job: retrain,
    pathPrefix: `${settings.prefix.replace(/\/+$/, '')}/`,
    dataRepository: commitLog(options),
    minimumIntervalSeconds: options.sensorIntervalSeconds ?? 1,
    description: `Retrains once per new commit on ${settings.repository}@${settings.branch}.`,
  });
  const tracking = { env, ...(options.trackingUri === undefined ? {} : { uri: options.trackingUri }) };
  const defs = new Definitions({
    assets: [loadData, preprocess, trainModel, evaluateModel, promoteModel],
    checks: [chunksValid, aucFloorCheck, notWorseThanChampionCheck],
    jobs: [retrain],
    sensors: [sensor],
    // Same names as the assets declare: these replace the declared defaults.
    resources: {
      data: dataRepositoryResource({
        repository: settings.repository,
        branch: settings.branch,
        open: { env },
      }),
      tracking: trackingResource(tracking),
      registry: registryResource(tracking),
      settings,
    },
    runFailureHooks: [endTrackingRunsOfFailedRun],
  });
  return { defs, settings, runDefaults };
}

/** The default code location (backends from the environment; embedded in the run's instance home). */
export const defs: Definitions = buildDefinitions().defs;
