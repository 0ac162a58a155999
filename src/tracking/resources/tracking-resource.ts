/**
 * `trackingResource()`: the tracking store as a resource of the assets that log training runs,
 * configured as `openTracking` is (MLflow when `MLFLOW_TRACKING_URI` is set, else the embedded
 * store in the instance home), opened once per process and instance home. A step sees
 * {@link StepTracking}: `startRun` starts a training run that carries the step's lineage tags
 * (pipeline run, asset, partition, data commit, repository, branch, attempt) and that ends
 * FINISHED when the step succeeds and FAILED when it throws.
 *
 * `await using run = …` flushes the buffered params and metrics when the block is left; the
 * status is written by the step's end, because `Symbol.asyncDispose` cannot tell a throw from a
 * return. A run the step ended itself (`run.end('KILLED')`) keeps that status.
 *
 * @example
 * ```ts
 * const train = defineAsset({
 *   key: 'train',
 *   resources: { tracking: trackingResource() },
 *   compute: async (ctx) => {
 *     await using run = await ctx.resources.tracking.startRun({ experiment: 'flights' });
 *     run.logParams({ learning_rate: 0.1 });
 *     await run.logModel({ model });
 *     return { trackingRunId: run.id };
 *   },
 * });
 * ```
 */
import { defineResource } from '../../core/definitions/resource-definition.js';
import type {
  ResourceDefinition,
  ResourceStep,
  ResourceStepResult,
} from '../../core/definitions/resource-definition.js';
import type { Clock } from '../../clock.js';
import { openTracking } from '../open-tracking.js';
import type { TrackingStore } from '../tracking-store.js';
import { LineageTag } from '../tracking-types.js';
import type { FetchFunction } from '../../util/http-client.js';
import { ActiveTrainingRun } from './active-training-run.js';
import type { ParamValue } from './active-training-run.js';

/** Options of {@link trackingResource} and `registryResource`. */
export interface TrackingResourceOptions {
  /** The backend URI; default `MLFLOW_TRACKING_URI`, else the embedded store in the instance home. */
  uri?: string;
  /** Environment to read; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Default: the system clock. */
  clock?: Clock;
  /** For the MLflow backend; default the global fetch. */
  fetch?: FetchFunction;
}

/** Options of {@link StepTracking.startRun}. */
export interface StartRunOptions {
  /** The experiment (created when missing). */
  experiment: string;
  /** Default: the asset key, with `[partition]` for a partitioned asset. */
  runName?: string;
  /** Extra tags; the lineage tags cannot be overridden. */
  tags?: Readonly<Record<string, string>>;
  /** Params written when the run starts. */
  params?: Readonly<Record<string, ParamValue>>;
  /** Log the step's data commit as the run's input dataset. Default true. */
  logDataCommit?: boolean;
}

/** What a step sees of the tracking resource. */
export interface StepTracking {
  /** The tracking store (shared by the process's steps; do not close it). */
  readonly store: TrackingStore;
  /** The tags every run started here carries. */
  readonly lineageTags: Readonly<Record<string, string>>;
  /** Starts a RUNNING training run that ends with the step (see the module comment). */
  startRun(options: StartRunOptions): Promise<ActiveTrainingRun>;
  /** The runs this step started. */
  readonly runs: readonly ActiveTrainingRun[];
}

/**
 * The lineage tags of training runs started by `step` (see {@link LineageTag}).
 *
 * @example
 * ```ts
 * lineageTagsOf(step)['lakeloop.pipeline_run_id']; // the pipeline run's id
 * ```
 */
export function lineageTagsOf(step: ResourceStep): Record<string, string> {
  const tags: Record<string, string> = {
    [LineageTag.PIPELINE_RUN_ID]: step.runId,
    [LineageTag.ASSET_KEY]: step.assetKey,
    [LineageTag.ATTEMPT]: String(step.attempt),
  };
  if (step.partition !== undefined) tags[LineageTag.PARTITION] = step.partition;
  if (step.dataCommit !== undefined) {
    tags[LineageTag.DATA_COMMIT] = step.dataCommit.commitId;
    tags[LineageTag.DATA_REPOSITORY] = step.dataCommit.repository;
    if (step.dataCommit.branch !== undefined) tags[LineageTag.DATA_BRANCH] = step.dataCommit.branch;
  }
  return tags;
}

/** The tracking store as a resource (see the module comment). */
export function trackingResource(
  options: TrackingResourceOptions = {},
): ResourceDefinition<TrackingStore, StepTracking> {
  return defineResource<TrackingStore, StepTracking>({
    description: 'Experiment tracking (MLflow when MLFLOW_TRACKING_URI is set, else embedded)',
    scope: 'process',
    setup: ({ instanceHome }) => openTracking({ ...options, home: instanceHome }),
    teardown: (store) => store.close(),
    bind: (store, step) => bindTracking(store, step, options.clock),
  });
}

function bindTracking(
  store: TrackingStore,
  step: ResourceStep,
  clock: Clock | undefined,
): { value: StepTracking; finish: (result: ResourceStepResult) => Promise<void> } {
  const lineageTags = lineageTagsOf(step);
  const runs: ActiveTrainingRun[] = [];
  const value: StepTracking = {
    store,
    lineageTags,
    runs,
    startRun: async (options) => {
      const experiment = await store.getOrCreateExperiment(options.experiment);
      const runName =
        options.runName ??
        (step.partition === undefined ? step.assetKey : `${step.assetKey}[${step.partition}]`);
      const created = await store.createRun({
        experimentId: experiment.experimentId,
        name: runName,
        tags: { ...options.tags, ...lineageTags },
      });
      const run = new ActiveTrainingRun({
        store,
        runId: created.info.runId,
        experimentId: experiment.experimentId,
        runName,
        ...(clock === undefined ? {} : { clock }),
      });
      runs.push(run);
      if (options.params !== undefined) {
        run.logParams(options.params);
        await run.flush();
      }
      if (step.dataCommit !== undefined && options.logDataCommit !== false) {
        const { repository, commitId } = step.dataCommit;
        await run.logInputs([
          {
            name: repository,
            digest: commitId.slice(0, 36),
            sourceType: 'lakeloop-data',
            source: `lakefs://${repository}/${commitId}`,
            tags: { 'mlflow.data.context': 'training' },
          },
        ]);
      }
      return run;
    },
  };
  return {
    value,
    // Every run the step left RUNNING ends here, so none stays RUNNING; the first error of a
    // successful step is thrown (its data did not all get written).
    finish: async (result) => {
      const errors: unknown[] = [];
      for (const run of runs) {
        try {
          await run.end(result.ok ? 'FINISHED' : 'FAILED');
        } catch (error) {
          errors.push(error);
        }
      }
      if (result.ok && errors.length > 0) throw errors[0];
    },
  };
}
