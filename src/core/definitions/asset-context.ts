/**
 * What a compute function (and an asset check) receives besides its inputs: the asset and
 * partition it computes, the run, a logger that writes LOG events, the resources it declares
 * (typed), its run config (parsed), the data commit the run is for, the instance home, an
 * AbortSignal for cancellation, and `addMetadata`.
 *
 * @example
 * ```ts
 * const trained = defineAsset({
 *   key: 'model', deps: [features],
 *   compute: async (ctx, { features }) => {
 *     ctx.log.info(`training on ${features.length} rows`);
 *     ctx.signal.throwIfAborted();
 *     ctx.addMetadata({ rows: features.length });
 *     return train(features);
 *   },
 * });
 * ```
 */
import type { DataCommitRef } from './data-commit.js';
import type { TimeWindow } from './partitions-definition.js';

/**
 * Named resources as sensors, failure hooks and undeclared uses see them: any value by name.
 * Assets and checks get `ctx.resources` typed from the resources they declare instead.
 */
export type ResourceMap = Readonly<Record<string, unknown>>;

/** Log levels of LOG events. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** A logger whose lines become LOG events of the step. */
export interface StepLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The context of one execution of an asset's compute function. `TResources` is what the asset's
 * `resources` declare (see ResourceValues), `TConfig` the parsed value of its `config` schema.
 */
export interface AssetContext<TResources = ResourceMap, TConfig = undefined> {
  readonly assetKey: string;
  /** The partition being computed (partitioned assets only). */
  readonly partition: string | undefined;
  /** The time window of the partition (time-window partitions only). */
  readonly partitionWindow: TimeWindow | undefined;
  readonly runId: string;
  readonly runTags: Readonly<Record<string, string>>;
  /** 1 on the first attempt, 2 on the first retry, ... */
  readonly attempt: number;
  readonly log: StepLogger;
  /** The resources the asset declares (set up and bound to this step), plus the Definitions' plain values. */
  readonly resources: TResources;
  /** This asset's run config, parsed by its `config` schema (defaults applied); undefined without a schema. */
  readonly config: TConfig;
  /** The run's job config, parsed by the job's `config` schema; undefined when the job has none. */
  readonly jobConfig: unknown;
  /** The data commit the run is for (from its `lakeloop/data_*` tags), if any. */
  readonly dataCommit: DataCommitRef | undefined;
  /** The instance home folder (absolute). */
  readonly instanceHome: string;
  /** Aborted when the run is canceled: pass it to I/O, or call `throwIfAborted()` in long loops. */
  readonly signal: AbortSignal;
  /** Adds metadata (JSON values) to the materialization event of this step. */
  addMetadata(metadata: Readonly<Record<string, unknown>>): void;
}

/** The context of an asset check; `TResources` is what the check's `resources` declare. */
export interface CheckContext<TResources = ResourceMap> {
  readonly assetKey: string;
  readonly checkName: string;
  readonly partition: string | undefined;
  readonly runId: string;
  readonly runTags: Readonly<Record<string, string>>;
  readonly log: StepLogger;
  readonly resources: TResources;
  /** The data commit the run is for (from its `lakeloop/data_*` tags), if any. */
  readonly dataCommit: DataCommitRef | undefined;
  readonly signal: AbortSignal;
}
