/**
 * Sensors: a function the daemon evaluates every `minimumIntervalSeconds` (and immediately when a
 * watched data branch gets a commit) that looks at the world and its own `cursor`, and returns
 * run requests (each with a run key that launches at most once, ever), a skip reason and a new
 * cursor. Pure definitions: the daemon (src/core/daemon/) evaluates them.
 *
 * @example
 * ```ts
 * const newFiles = defineSensor({
 *   name: 'new_files',
 *   job: 'ingest',
 *   minimumIntervalSeconds: 10,
 *   evaluate: async (ctx) => {
 *     const files = await listFilesAfter(ctx.cursor);
 *     if (files.length === 0) return { skipReason: 'no new files' };
 *     return { runRequests: files.map((f) => ({ runKey: f, tags: { file: f } })), cursor: files.at(-1) };
 *   },
 * });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { InstigatorStatus } from '../storage/storage-types.js';
import type { ResourceMap } from './asset-context.js';

/** One run a sensor (or schedule) asks for. */
export interface RunRequest {
  /** Launches at most once per sensor, ever (across cursor resets and daemon restarts). */
  runKey: string;
  /** Run tags, added to the job's and the sensor's. Default none. */
  tags?: Record<string, string>;
  /** Partition of the run (required when the job's assets are partitioned). */
  partition?: string;
  /** Another job than the sensor's. Default: the sensor's job. */
  jobName?: string;
  /** Run config (`{ <asset key or job name>: {...} }`), validated at launch. Default none. */
  config?: Record<string, unknown>;
}

/** What `evaluate` returns (or `undefined`: nothing to do, cursor unchanged). */
export interface SensorResult {
  /** Runs to launch, in order. Default none. */
  runRequests?: RunRequest[];
  /** Why nothing was requested (recorded on the tick). */
  skipReason?: string;
  /** The new cursor (stored once every run request is handled). Default: unchanged. */
  cursor?: string;
}

/** What `evaluate` sees. */
export interface SensorEvaluationContext {
  readonly sensorName: string;
  /** The stored cursor (undefined on the first evaluation or after a reset). */
  readonly cursor: string | undefined;
  /** Epoch ms of this evaluation (the daemon's injected clock). */
  readonly now: number;
  /** Epoch ms of the previous evaluation, if any. */
  readonly lastTickAt: number | undefined;
  /** The named resources of the Definitions. */
  readonly resources: ResourceMap;
  /** Aborted when the evaluation times out or the daemon stops. */
  readonly signal: AbortSignal;
}

/**
 * Subscribes a sensor to something that should evaluate it now rather than at its next interval
 * (a data commit, a message): call `trigger` on each such event; return the unsubscribe function.
 * The daemon subscribes when it starts and unsubscribes when it stops.
 *
 * @example
 * ```ts
 * const wake: SensorWake = (trigger) => {
 *   const timer = setInterval(trigger, 100);
 *   return () => clearInterval(timer);
 * };
 * ```
 */
export type SensorWake = (trigger: () => void, context: { readonly resources: ResourceMap }) => () => void;

/** A defined sensor. */
export interface SensorDefinition {
  readonly kind: 'sensor';
  readonly name: string;
  /** Name of the job its run requests launch. */
  readonly jobName: string;
  /** Seconds between two evaluations (pushes may evaluate sooner). */
  readonly minimumIntervalSeconds: number;
  /** Status when nothing is stored (`lakeloop sensors start|stop` stores one). */
  readonly defaultStatus: InstigatorStatus;
  readonly description: string | undefined;
  /** Tags added to every run it launches (besides `lakeloop/sensor`). */
  readonly tags: Readonly<Record<string, string>>;
  /** In-process events that trigger an immediate evaluation. */
  readonly wake: SensorWake | undefined;
  /** Keys of out-of-process events (`Daemon.wake(key)`, e.g. from a webhook) that trigger an immediate evaluation. */
  readonly wakeKeys: readonly string[];
  readonly evaluate: (
    ctx: SensorEvaluationContext,
  ) => Promise<SensorResult | undefined> | SensorResult | undefined;
}

/** What {@link defineSensor} takes. */
export interface SensorSpec {
  name: string;
  /** The job (or its name) that run requests launch. */
  job: string | { readonly name: string };
  /** Default 30 seconds. */
  minimumIntervalSeconds?: number;
  /** Default `'RUNNING'`: sensors declared in code run without being switched on. */
  defaultStatus?: InstigatorStatus;
  description?: string;
  /** Default none. */
  tags?: Record<string, string>;
  /** Default none. */
  wake?: SensorWake;
  /** Default none. */
  wakeKeys?: readonly string[];
  evaluate: SensorDefinition['evaluate'];
}

/** Default seconds between sensor evaluations. */
export const DEFAULT_SENSOR_INTERVAL_SECONDS = 30;

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Checks an instigator (sensor/schedule) name; throws DEFINITION_ERROR. */
export function checkInstigatorName(kind: 'sensor' | 'schedule', name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Invalid ${kind} name ${JSON.stringify(name)}: use letters, digits, "_" and "-", starting with a letter or "_".`,
    );
  }
}

/** Defines a sensor (its job is checked when the daemon loads the Definitions). */
export function defineSensor(spec: SensorSpec): SensorDefinition {
  checkInstigatorName('sensor', spec.name);
  const interval = spec.minimumIntervalSeconds ?? DEFAULT_SENSOR_INTERVAL_SECONDS;
  if (!Number.isFinite(interval) || interval < 0) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Sensor "${spec.name}": minimumIntervalSeconds must be a number >= 0 (got ${String(interval)}).`,
    );
  }
  if (typeof spec.evaluate !== 'function') {
    throw new LakeloopError('DEFINITION_ERROR', `Sensor "${spec.name}" needs an evaluate function.`);
  }
  return {
    kind: 'sensor',
    name: spec.name,
    jobName: typeof spec.job === 'string' ? spec.job : spec.job.name,
    minimumIntervalSeconds: interval,
    defaultStatus: spec.defaultStatus ?? 'RUNNING',
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    wake: spec.wake,
    wakeKeys: [...(spec.wakeKeys ?? [])],
    evaluate: spec.evaluate,
  };
}

/** True when `value` is a {@link SensorDefinition}. */
export function isSensorDefinition(value: unknown): value is SensorDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'sensor' &&
    typeof (value as { evaluate?: unknown }).evaluate === 'function'
  );
}
