/**
 * The resources the flight-delay assets declare: the built-in data repository (pinned to the
 * run's data commit), tracking store and model registry, and the pipeline's settings as a plain
 * value. The declarations use the defaults; `buildDefinitions` gives resources of the same names
 * to the Definitions, which replace these (its repository, branch, tracking URI, settings).
 *
 * @example
 * ```ts
 * const asset = defineAsset({ key: 'x', resources: { data: flightResources.data }, compute: (ctx) => ctx.resources.data.commitId });
 * const config = runConfigOf(ctx); // the job's run config, else the Definitions' defaults
 * ```
 */
import { dataRepositoryResource } from 'lakeloop/data';
import { registryResource, trackingResource } from 'lakeloop/tracking';
import { DEFAULT_RUN_CONFIG, DEFAULT_SETTINGS } from './pipeline-config.js';
import type { FlightRunConfig, FlightSettings } from './pipeline-config.js';

/** The `settings` resource: definition-time settings, the run config's defaults, the tracking URI. */
export interface PipelineSettings extends FlightSettings {
  /** The run config of runs that are not of the job `retrain` (e.g. `--select '*'`). */
  runDefaults: FlightRunConfig;
  /** Tracking/registry URI; undefined: `MLFLOW_TRACKING_URI`, else embedded in the instance home. */
  trackingUri: string | undefined;
}

/** The resources of the assets, by name (see the module comment). */
export const flightResources = {
  data: dataRepositoryResource({ repository: DEFAULT_SETTINGS.repository, branch: DEFAULT_SETTINGS.branch }),
  tracking: trackingResource(),
  registry: registryResource(),
  settings: {
    ...DEFAULT_SETTINGS,
    runDefaults: DEFAULT_RUN_CONFIG,
    trackingUri: undefined,
  } as PipelineSettings,
};

/**
 * The run config a step uses: the job `retrain`'s (parsed, defaults applied), else the
 * Definitions' defaults.
 *
 * @example
 * ```ts
 * const { gbdt } = runConfigOf(ctx);
 * ```
 */
export function runConfigOf(ctx: {
  readonly jobConfig: unknown;
  readonly resources: { readonly settings: PipelineSettings };
}): FlightRunConfig {
  return (ctx.jobConfig as FlightRunConfig | undefined) ?? ctx.resources.settings.runDefaults;
}
