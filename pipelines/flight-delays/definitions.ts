/**
 * The flight-delay pipeline as a code location: assets `load_data` -> `preprocess` ->
 * `train_model` -> `evaluate_model`, their blocking checks, the job `retrain` (all four), and a
 * data-commit sensor on `flights@main` that launches `retrain` once per new commit. Backends come
 * from configuration: lakeFS when `LAKEFS_ENDPOINT` (+ keys) is set, MLflow when
 * `MLFLOW_TRACKING_URI` is set, else the embedded ones inside the instance home.
 *
 * @example
 * ```sh
 * lakeloop materialize --defs pipelines/flight-delays/definitions.ts --select '*'
 * lakeloop dev --defs pipelines/flight-delays/definitions.ts
 * ```
 * ```ts
 * import { buildDefinitions } from './definitions.js';
 * const { defs, backends } = buildDefinitions({ data, config: { aucFloor: 0.55 } });
 * ```
 */
import { defineJob, Definitions } from 'lakeloop';
import { dataCommitSensor } from 'lakeloop/data';
import type { CommitLogReader } from 'lakeloop/data';
import { evaluateModel, aucFloorCheck, notWorseThanChampionCheck } from './evaluate-model-asset.js';
import { chunksValid, loadData } from './load-data-asset.js';
import { PipelineBackends } from './pipeline-backends.js';
import type { PipelineBackendsOptions } from './pipeline-backends.js';
import { resolvePipelineConfig } from './pipeline-config.js';
import type { PipelineConfig, PipelineConfigOverrides } from './pipeline-config.js';
import { PIPELINE_RESOURCES } from './pipeline-resources.js';
import { preprocess } from './preprocess-asset.js';
import { trainModel } from './train-model-asset.js';
import { endTrackingRunsOfFailedRun } from './tracking-cleanup.js';

/** Name of the job that retrains on new data. */
export const RETRAIN_JOB = 'retrain';

/** Name of the sensor that watches the data branch. */
export const NEW_DATA_SENSOR = 'new_flight_data';

/** Options of {@link buildDefinitions}. */
export interface BuildDefinitionsOptions extends PipelineBackendsOptions {
  /** Overrides of the configuration (after `LAKELOOP_FLIGHTS_*` variables). Default none. */
  config?: PipelineConfigOverrides;
  /** Sensor polling interval in seconds (pushes from the embedded repository are immediate). Default 1. */
  sensorIntervalSeconds?: number;
}

/** What {@link buildDefinitions} returns. */
export interface FlightDelayDefinitions {
  defs: Definitions;
  /** The services the assets use (close it when done, when you created the Definitions yourself). */
  backends: PipelineBackends;
  config: PipelineConfig;
}

/** The sensor's view of the data: the backends' data repository, opened on first use. */
function commitLog(backends: PipelineBackends): CommitLogReader {
  return {
    getBranch: (options) => backends.data.getBranch(options),
    log: (options) => backends.data.log(options),
    onCommit: (listener) => backends.data.onCommit?.(listener) ?? (() => undefined),
  };
}

/** Builds the pipeline's Definitions with the given backends and configuration. */
export function buildDefinitions(options: BuildDefinitionsOptions = {}): FlightDelayDefinitions {
  const config = resolvePipelineConfig({
    ...(options.config === undefined ? {} : { overrides: options.config }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const backends = new PipelineBackends(options);
  const retrain = defineJob({
    name: RETRAIN_JOB,
    select: 'load_data+',
    description: 'Reload, preprocess, retrain, evaluate and register on the latest data.',
    tags: { 'lakeloop/pipeline': 'flight-delays' },
  });
  const sensor = dataCommitSensor({
    name: NEW_DATA_SENSOR,
    repository: config.repository,
    branch: config.branch,
    job: retrain,
    pathPrefix: `${config.prefix.replace(/\/+$/, '')}/`,
    dataRepository: commitLog(backends),
    minimumIntervalSeconds: options.sensorIntervalSeconds ?? 1,
    description: `Retrains once per new commit on ${config.repository}@${config.branch}.`,
  });
  const defs = new Definitions({
    assets: [loadData, preprocess, trainModel, evaluateModel],
    checks: [chunksValid, aucFloorCheck, notWorseThanChampionCheck],
    jobs: [retrain],
    sensors: [sensor],
    resources: { [PIPELINE_RESOURCES.backends]: backends, [PIPELINE_RESOURCES.config]: config },
    runFailureHooks: [endTrackingRunsOfFailedRun],
  });
  return { defs, backends, config };
}

/** The default code location (backends from the environment; embedded in the run's instance home). */
export const defs: Definitions = buildDefinitions().defs;
