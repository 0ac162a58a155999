/**
 * What the queue executor (the per-run coordinator) and `lakeloop worker` processes exchange over
 * Redis: the job of one step attempt (its StepTask plus where to find the definitions and the
 * values), the progress messages a worker sends while it runs it (which worker took it, its LOG
 * lines), the control messages on the queue's pub/sub channel (cancel a step, a run ended), and the
 * names of the keys. Everything is JSON; values never travel through Redis (they go through the IO
 * manager).
 *
 * @example
 * ```ts
 * const id = stepJobId(task); // 'run-1|train_model|-|1'
 * ```
 */
import type { LogLevel } from '../../definitions/asset-context.js';
import type { StepTask, StepWorkerIdentity } from '../executor.js';

/** The data of the BullMQ job of one step attempt. */
export interface StepJobData {
  task: StepTask;
  /** Absolute path of the definitions module (a worker's `--defs` overrides it). */
  module?: string;
  /** Where values are stored (`file:///…`, `s3://…`): the coordinator's IO manager. */
  ioUrl?: string;
}

/** A progress message of a step job (BullMQ's job progress carries it to the coordinator). */
export type StepJobProgress =
  ({ kind: 'started' } & StepWorkerIdentity) | { kind: 'log'; level: LogLevel; message: string };

/** A message on the queue's control channel. */
export type QueueControlMessage =
  /** Stop the step of this job (the worker holding it aborts its step child, then kills it). */
  | { type: 'cancel'; jobId: string }
  /** The run's executor session closed: workers tear down that run's run-scoped resources. */
  | { type: 'run-closed'; runId: string };

/**
 * The job id of a step attempt: the same task always gets the same id, so adding it twice adds
 * one job (BullMQ ignores an add whose id exists). BullMQ forbids `:` in custom ids: each part is
 * URI-encoded and the parts are joined with `|`.
 */
export function stepJobId(task: Pick<StepTask, 'runId' | 'assetKey' | 'partition' | 'attempt'>): string {
  return [task.runId, task.assetKey, task.partition ?? '-', String(task.attempt)]
    .map((part) => encodeURIComponent(part))
    .join('|');
}

/** The key names of one queue (BullMQ's own keys are `<prefix>:<queue>:…` too). */
export interface QueueKeys {
  /** Pub/sub channel of {@link QueueControlMessage}s. */
  control: string;
  /** Set when a job's step is canceled (read by a worker that takes the job after the cancel). */
  canceled(jobId: string): string;
  /** A worker's heartbeat (a hash with its identity, expiring unless refreshed). */
  worker(workerId: string): string;
  /** Pattern matching every worker heartbeat key of the queue. */
  workerPattern: string;
}

/** The key names of queue `name` under `prefix`. */
export function queueKeys(prefix: string, name: string): QueueKeys {
  const base = `${prefix}:${name}:lakeloop`;
  return {
    control: `${base}:control`,
    canceled: (jobId) => `${base}:canceled:${jobId}`,
    worker: (workerId) => `${base}:workers:${workerId}`,
    workerPattern: `${base}:workers:*`,
  };
}

/** How long a cancel mark stays (long enough for any stalled job to be taken again). */
export const CANCEL_MARK_TTL_MS = 24 * 3600 * 1000;
