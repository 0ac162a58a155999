/**
 * The names of the pipeline's resources and a typed accessor for steps: the services (data
 * repository, tracking store, model registry) of the run's instance home, and the configuration.
 *
 * @example
 * ```ts
 * const { data, tracking, registry, config } = pipelineServices(ctx);
 * ```
 */
import { DATA_COMMIT_TAG, LakeloopError } from 'lakeloop';
import type { PipelineConfig } from './pipeline-config.js';
import { PipelineBackends } from './pipeline-backends.js';
import type { PipelineServices } from './pipeline-backends.js';

/** Resource names in the Definitions. */
export const PIPELINE_RESOURCES = {
  backends: 'flightBackends',
  config: 'flightConfig',
} as const;

/** Tag holding the data commit a run was launched for (set by the data-commit sensor). */
export const DATA_COMMIT_RUN_TAG: string = DATA_COMMIT_TAG;

/** The parts of a step context the accessor reads. */
export interface ServicesContext {
  readonly resources: Readonly<Record<string, unknown>>;
  readonly instanceHome: string;
}

/** The services of the step's instance home and the pipeline configuration. */
export function pipelineServices(ctx: ServicesContext): PipelineServices & { config: PipelineConfig } {
  const backends = ctx.resources[PIPELINE_RESOURCES.backends];
  const config = ctx.resources[PIPELINE_RESOURCES.config] as PipelineConfig | undefined;
  if (!(backends instanceof PipelineBackends) || config === undefined) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `The flight-delay assets need the resources "${PIPELINE_RESOURCES.backends}" and "${PIPELINE_RESOURCES.config}"; ` +
        'build the Definitions with buildDefinitions().',
    );
  }
  return { ...backends.forHome(ctx.instanceHome), config };
}
