/**
 * What a compute function (and an asset check) receives besides its inputs: the asset and
 * partition it computes, the run, a logger that writes LOG events, the named resources of the
 * Definitions, the instance home, an AbortSignal for cancellation, and `addMetadata`.
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
import type { TimeWindow } from './partitions-definition.js';

/**
 * Named resources given to compute functions through `ctx.resources` (a data repository client,
 * a tracking store, ...). Extend it with declaration merging to type your resources:
 *
 * ```ts
 * declare module 'lakeloop' { interface Resources { repo: DataRepository } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Resources {}

/** The resources a compute function sees: the declared ones, typed, plus any other by name. */
export type ResourceMap = Resources & Readonly<Record<string, unknown>>;

/** Log levels of LOG events. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** A logger whose lines become LOG events of the step. */
export interface StepLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The context of one execution of an asset's compute function. */
export interface AssetContext {
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
  readonly resources: ResourceMap;
  /** The instance home folder (absolute). */
  readonly instanceHome: string;
  /** Aborted when the run is canceled: pass it to I/O, or call `throwIfAborted()` in long loops. */
  readonly signal: AbortSignal;
  /** Adds metadata (JSON values) to the materialization event of this step. */
  addMetadata(metadata: Readonly<Record<string, unknown>>): void;
}

/** The context of an asset check. */
export interface CheckContext {
  readonly assetKey: string;
  readonly checkName: string;
  readonly partition: string | undefined;
  readonly runId: string;
  readonly log: StepLogger;
  readonly resources: ResourceMap;
  readonly signal: AbortSignal;
}
