/**
 * `registryResource()`: the model registry as a resource, configured as `openRegistry` is
 * (MLflow when `MLFLOW_TRACKING_URI` is set, else embedded in the instance home), opened once per
 * process and instance home. A step sees a {@link ModelRegistry} whose alias moves are recorded
 * as made `by` the pipeline run (`lakeloop run <id> (<asset>)`) unless the call says otherwise;
 * its `close()` leaves the shared registry open.
 *
 * @example
 * ```ts
 * const promote = defineAsset({
 *   key: 'promote_model',
 *   resources: { registry: registryResource() },
 *   compute: async (ctx, { evaluate_model }) => {
 *     await ctx.resources.registry.setAlias('flights', 'champion', evaluate_model.version, { reason: 'gate passed' });
 *   },
 * });
 * ```
 */
import { defineResource } from '../../core/definitions/resource-definition.js';
import type { ResourceDefinition, ResourceStep } from '../../core/definitions/resource-definition.js';
import { setAliasArguments } from '../model-registry.js';
import type {
  AliasHistoryOptions,
  AliasMoveOptions,
  AliasRef,
  CreateModelVersionOptions,
  CreateRegisteredModelOptions,
  ModelRegistry,
  RegisterModelOptions,
  SearchModelVersionsOptions,
  SearchRegisteredModelsOptions,
  FindModelVersionsOptions,
  SetAliasOptions,
} from '../model-registry.js';
import { openRegistry } from '../open-tracking.js';
import type { AliasMove, ModelVersion, RegisteredModel } from '../tracking-types.js';
import type { TrackingResourceOptions } from './tracking-resource.js';

/** The model registry as a resource (see the module comment). */
export function registryResource(
  options: TrackingResourceOptions = {},
): ResourceDefinition<ModelRegistry, ModelRegistry> {
  return defineResource<ModelRegistry, ModelRegistry>({
    description: 'Model registry (MLflow when MLFLOW_TRACKING_URI is set, else embedded)',
    scope: 'process',
    setup: ({ instanceHome }) => openRegistry({ ...options, home: instanceHome }),
    teardown: (registry) => registry.close(),
    bind: (registry, step) => ({ value: new StepModelRegistry(registry, stepMover(step)) }),
  });
}

/** Who a step's alias moves are by: its pipeline run and asset. */
export function stepMover(step: Pick<ResourceStep, 'runId' | 'assetKey'>): string {
  return `lakeloop run ${step.runId} (${step.assetKey})`;
}

/** The pipeline run and asset of a {@link stepMover} `by`, or undefined for any other mover (a user, a token). */
export function parseStepMover(by: string): { runId: string; assetKey: string } | undefined {
  const match = /^lakeloop run (\S+) \((.+)\)$/.exec(by);
  return match === null ? undefined : { runId: match[1] as string, assetKey: match[2] as string };
}

/** A registry whose alias moves default to `by`; closing it leaves the underlying registry open. */
class StepModelRegistry implements ModelRegistry {
  readonly #registry: ModelRegistry;
  readonly #by: string;

  constructor(registry: ModelRegistry, by: string) {
    this.#registry = registry;
    this.#by = by;
  }

  get uri(): string {
    return this.#registry.uri;
  }

  createRegisteredModel(options: CreateRegisteredModelOptions): Promise<RegisteredModel> {
    return this.#registry.createRegisteredModel(options);
  }

  getOrCreateRegisteredModel(options: CreateRegisteredModelOptions): Promise<RegisteredModel> {
    return this.#registry.getOrCreateRegisteredModel(options);
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.#registry.getRegisteredModel(name);
  }

  searchRegisteredModels(options?: SearchRegisteredModelsOptions): Promise<RegisteredModel[]> {
    return this.#registry.searchRegisteredModels(options);
  }

  registerModel(name: string, options: RegisterModelOptions): Promise<ModelVersion> {
    return this.#registry.registerModel(name, options);
  }

  createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion> {
    return this.#registry.createModelVersion(options);
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.#registry.getModelVersion(name, version);
  }

  searchModelVersions(options: SearchModelVersionsOptions): Promise<ModelVersion[]> {
    return this.#registry.searchModelVersions(options);
  }

  findModelVersions(options: FindModelVersionsOptions): Promise<ModelVersion[]> {
    return this.#registry.findModelVersions(options);
  }

  setAlias(options: SetAliasOptions): Promise<void>;
  setAlias(name: string, alias: string, version: string, options?: AliasMoveOptions): Promise<void>;
  setAlias(...args: [SetAliasOptions] | [string, string, string, AliasMoveOptions?]): Promise<void> {
    return this.#registry.setAlias(setAliasArguments(args, this.#by));
  }

  deleteAlias(options: AliasRef & AliasMoveOptions): Promise<void> {
    return this.#registry.deleteAlias({ ...options, by: options.by ?? this.#by });
  }

  getModelVersionByAlias(options: AliasRef): Promise<ModelVersion> {
    return this.#registry.getModelVersionByAlias(options);
  }

  aliasHistory(name: string, options?: AliasHistoryOptions): Promise<AliasMove[]> {
    return this.#registry.aliasHistory(name, options);
  }

  /** Does nothing: the registry is the process's, closed when the resource is torn down. */
  async close(): Promise<void> {
    // Shared.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
