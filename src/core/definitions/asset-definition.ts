/**
 * Software-defined assets: a key, the assets it depends on, and a compute function that gets
 * the upstream values (typed, when the deps are given as asset definitions) and returns the
 * asset's value. Metadata for the run record goes through `ctx.addMetadata` or `output()`.
 *
 * @example
 * ```ts
 * const raw = defineAsset({ key: 'raw', compute: () => [1, 2, 3] });
 * const doubled = defineAsset({
 *   key: 'doubled', deps: [raw], codeVersion: 'v1',
 *   compute: (_ctx, { raw }) => output(raw.map((x) => x * 2), { metadata: { rows: raw.length } }),
 * });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { IoManager } from '../execution/io/io-manager.js';
import type { AssetContext } from './asset-context.js';
import { checkAssetKey } from './asset-key.js';
import type { PartitionsDefinition } from './partitions-definition.js';
import type { ResourcesSpec, ResourceValues } from './resource-definition.js';
import { checkConfigSchema, checkResourcesSpec } from './resources-spec.js';
import type { ConfigSchema, ConfigValue } from './run-config.js';

/** How the delay between attempts grows. */
export type RetryBackoff = 'constant' | 'linear' | 'exponential';

/** Randomization of retry delays: none, `full` (0..delay), `plus-minus` (delay ± 50%). */
export type RetryJitter = 'none' | 'full' | 'plus-minus';

/** Retries of a failed step (Dagster's RetryPolicy). */
export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number;
  /** Delay before the first retry. Default 0. */
  delayMs?: number;
  /** Default `constant`; `exponential` doubles the delay on each retry, `linear` adds it. */
  backoff?: RetryBackoff;
  /** Default `none`. */
  jitter?: RetryJitter;
  /** Upper bound of any delay. Default unbounded. */
  maxDelayMs?: number;
}

declare const valueType: unique symbol;
declare const partitionedType: unique symbol;

/** A defined asset. `TValue` is the type of its value, `TPartitioned` whether it is partitioned. */
export interface AssetDefinition<
  TKey extends string = string,
  TValue = unknown,
  TPartitioned extends boolean = boolean,
> {
  readonly kind: 'asset';
  readonly key: TKey;
  /** Keys of the upstream assets. */
  readonly deps: readonly string[];
  readonly description: string | undefined;
  /** Group name; `default` when not given. */
  readonly group: string;
  /** Version of the compute logic; changing it makes the asset STALE. */
  readonly codeVersion: string | undefined;
  readonly partitions: PartitionsDefinition | undefined;
  readonly retryPolicy: RetryPolicy | undefined;
  /** IO manager for this asset only (default: the instance's). */
  readonly io: IoManager | undefined;
  /** Names of resources of the Definitions the compute function needs (checked when the Definitions are built). */
  readonly requiredResources: readonly string[];
  /** Resources declared on the asset itself (resource definitions or plain values), by name. */
  readonly resources: Readonly<Record<string, unknown>>;
  /** Schema of the asset's run config (`config[<asset key>]`), if any. */
  readonly config: ConfigSchema | undefined;
  /** The compute function (inputs keyed by upstream asset key). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- resources and config are typed at defineAsset
  readonly compute: (ctx: AssetContext<any, any>, inputs: Readonly<Record<string, unknown>>) => unknown;
  /** Type-level only: the value type. */
  readonly [valueType]?: TValue;
  /** Type-level only: whether partitioned. */
  readonly [partitionedType]?: TPartitioned;
}

/** A dependency: an asset definition (typed input) or an asset key (input typed `unknown`). */
export type AssetDep = string | AssetDefinition;

type DepKey<TDep> = TDep extends string ? TDep : TDep extends AssetDefinition<infer K> ? K : never;

type DepValue<TDep, TSelfPartitioned extends boolean> =
  TDep extends AssetDefinition<string, infer V, infer P>
    ? [P] extends [true]
      ? [TSelfPartitioned] extends [true]
        ? V
        : Readonly<Record<string, V>>
      : V
    : unknown;

/**
 * The inputs a compute function receives, keyed by upstream asset key. A partitioned upstream
 * read by a non-partitioned asset arrives as a record of partition key -> value.
 */
export type AssetInputs<TDeps extends readonly AssetDep[], TSelfPartitioned extends boolean> = {
  readonly [D in TDeps[number] as DepKey<D>]: DepValue<D, TSelfPartitioned>;
};

const OUTPUT_BRAND = Symbol.for('lakeloop.AssetOutput');

/** A value returned together with metadata for its materialization event. */
export interface AssetOutput<TValue> {
  readonly [OUTPUT_BRAND]: true;
  readonly value: TValue;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Wraps a compute function's return value with metadata (JSON values) for the run record. */
export function output<TValue>(
  value: TValue,
  options: { metadata?: Readonly<Record<string, unknown>> } = {},
): AssetOutput<TValue> {
  return { [OUTPUT_BRAND]: true, value, metadata: options.metadata ?? {} };
}

/** True when `result` was made by {@link output}. */
export function isAssetOutput(result: unknown): result is AssetOutput<unknown> {
  return typeof result === 'object' && result !== null && OUTPUT_BRAND in result;
}

/** The value type of a compute function's result (unwrapping promises and {@link output}). */
export type AssetValue<TResult> = Awaited<TResult> extends AssetOutput<infer V> ? V : Awaited<TResult>;

type IsPartitioned<TPartitions> = TPartitions extends PartitionsDefinition ? true : false;

/** What {@link defineAsset} takes. */
export interface AssetSpec<
  TKey extends string,
  TDeps extends readonly AssetDep[],
  TPartitions extends PartitionsDefinition | undefined,
  TResult,
  TResources extends ResourcesSpec = readonly [],
  TConfig extends ConfigSchema | undefined = undefined,
> {
  /** Unique key (`name` or `path/like/name`). */
  key: TKey;
  /** Upstream assets (definitions give typed inputs; plain keys give `unknown`). Default none. */
  deps?: TDeps;
  description?: string;
  /** Group for selections (`group:<name>`). Default `default`. */
  group?: string;
  /** Version of the compute logic; bump it when the logic changes. Default none. */
  codeVersion?: string;
  partitions?: TPartitions;
  /** Default: no retries. */
  retryPolicy?: RetryPolicy;
  /** IO manager for this asset. Default: the instance's filesystem IO manager. */
  io?: IoManager;
  /**
   * The resources the compute function uses: a record of resource definitions (or plain values)
   * types `ctx.resources`; a list of names of the Definitions' resources gives them as `unknown`.
   * Default none.
   */
  resources?: TResources;
  /** Schema of the asset's run config (`config: { <asset key>: {...} }` at launch); types `ctx.config`. Default none. */
  config?: TConfig;
  /** Computes the value from the upstream values. May return `output(value, { metadata })`. */
  compute: (
    ctx: AssetContext<ResourceValues<TResources>, ConfigValue<TConfig>>,
    inputs: AssetInputs<TDeps, IsPartitioned<TPartitions>>,
  ) => TResult;
}

function checkRetryPolicy(key: string, policy: RetryPolicy | undefined): void {
  if (policy === undefined) return;
  const bad = (what: string): never => {
    throw new LakeloopError('DEFINITION_ERROR', `Asset "${key}": invalid retryPolicy.${what}.`, {
      details: { key },
    });
  };
  if (!Number.isSafeInteger(policy.maxRetries) || policy.maxRetries < 0)
    bad('maxRetries (a whole number >= 0)');
  if (policy.delayMs !== undefined && !(policy.delayMs >= 0)) bad('delayMs (milliseconds >= 0)');
  if (policy.maxDelayMs !== undefined && !(policy.maxDelayMs >= 0)) bad('maxDelayMs (milliseconds >= 0)');
}

/**
 * Defines an asset. Throws DEFINITION_ERROR on an invalid key, dep, retry policy, resources or
 * config schema.
 *
 * @example
 * ```ts
 * const model = defineAsset({
 *   key: 'model', deps: [features],
 *   resources: { tracking: trackingResource() },
 *   config: z.object({ learningRate: z.number().default(0.1) }),
 *   compute: (ctx, { features }) => train(features, ctx.config.learningRate, ctx.resources.tracking),
 * });
 * ```
 */
export function defineAsset<
  const TKey extends string,
  const TDeps extends readonly AssetDep[] = readonly [],
  TPartitions extends PartitionsDefinition | undefined = undefined,
  TResult = unknown,
  TResources extends ResourcesSpec = readonly [],
  TConfig extends ConfigSchema | undefined = undefined,
>(
  spec: AssetSpec<TKey, TDeps, TPartitions, TResult, TResources, TConfig>,
): AssetDefinition<TKey, AssetValue<TResult>, IsPartitioned<TPartitions>> {
  checkAssetKey(spec.key);
  const deps = (spec.deps ?? []).map((dep) => (typeof dep === 'string' ? dep : dep.key));
  deps.forEach(checkAssetKey);
  const duplicate = deps.find((dep, i) => deps.indexOf(dep) !== i);
  if (duplicate !== undefined) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Asset "${spec.key}" lists dependency "${duplicate}" twice.`,
      {
        details: { key: spec.key, dep: duplicate },
      },
    );
  }
  if (deps.includes(spec.key)) {
    throw new LakeloopError('DEFINITION_ERROR', `Asset "${spec.key}" depends on itself.`, {
      details: { key: spec.key },
    });
  }
  checkRetryPolicy(spec.key, spec.retryPolicy);
  if (typeof spec.compute !== 'function') {
    throw new LakeloopError('DEFINITION_ERROR', `Asset "${spec.key}" needs a compute function.`);
  }
  const resources = checkResourcesSpec(`Asset "${spec.key}"`, spec.resources);
  checkConfigSchema(`Asset "${spec.key}"`, spec.config);
  return {
    kind: 'asset',
    key: spec.key,
    deps,
    description: spec.description,
    group: spec.group ?? 'default',
    codeVersion: spec.codeVersion,
    partitions: spec.partitions,
    retryPolicy: spec.retryPolicy,
    io: spec.io,
    requiredResources: resources.names,
    resources: resources.declared,
    config: spec.config,
    compute: spec.compute as AssetDefinition['compute'],
  };
}
