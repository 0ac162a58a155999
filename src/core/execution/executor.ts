/**
 * The executor seam: WHERE a step runs (this process, worker processes, later a Redis queue).
 * executeRun (run-execution.ts) decides WHAT runs and when (dependencies, retries, skipping, events); an
 * executor opens a session per run and runs one step task at a time per slot. Tasks and
 * outcomes are plain JSON, and values travel through the IO manager, so a step can run anywhere
 * that can load the definitions and reach the instance's storage folder.
 *
 * @example
 * ```ts
 * const session = await inProcessExecutor().open({ defs, runId, instanceHome, ioManager });
 * const outcome = await session.runStep(task, { signal, log: (level, message) => {} });
 * await session.close();
 * ```
 */
import type { CheckEvaluationData, SerializedError } from '../events/event-types.js';
import type { LogLevel } from '../definitions/asset-context.js';
import type { Definitions } from '../definitions/definitions.js';
import type { IoManager, StoredOutput, StoredOutputRef } from './io/io-manager.js';

/** One stored upstream value a step reads. */
export interface StepInput extends StoredOutputRef {
  dataVersion: string;
}

/** What a step needs to run: JSON, so it can cross process boundaries. */
export interface StepTask {
  runId: string;
  assetKey: string;
  partition?: string;
  /** 1 on the first attempt. */
  attempt: number;
  runTags: Record<string, string>;
  /** The stored upstream values (several per upstream asset when reading all its partitions). */
  inputs: StepInput[];
  /** The run's config as stored (sections by asset key / job name); parsed in the step. Default none. */
  config?: Record<string, unknown>;
  /** The run's job (its config section becomes `ctx.jobConfig`). Default none. */
  jobName?: string;
}

/** Which worker process ran a step attempt (set by executors that run steps on other hosts). */
export interface StepWorkerIdentity {
  /** The worker's name (`lakeloop worker --name`, default `<host>:<pid>`). */
  worker: string;
  host: string;
  pid: number;
}

/** The result of a step attempt. */
export type StepOutcome = (
  | {
      status: 'SUCCESS';
      output: StoredOutput;
      metadata: Record<string, unknown>;
      checks: CheckEvaluationData[];
      durationMs: number;
    }
  | {
      status: 'FAILURE';
      error: SerializedError;
      checks: CheckEvaluationData[];
      /** False for failures a retry cannot fix (failed blocking check, cancellation, unstorable value). */
      retryable: boolean;
      durationMs: number;
    }
) & {
  /** Where the attempt ran (the queue executor's workers). Default: this host (not recorded). */
  executedBy?: StepWorkerIdentity;
};

/** How a running step talks back to the coordinator. */
export interface StepChannel {
  /** Aborted when the run is canceled. */
  signal: AbortSignal;
  /** Records a LOG event for the step. */
  log(level: LogLevel, message: string): void;
}

/** What an executor gets when a run starts. */
export interface ExecutorContext {
  defs: Definitions;
  runId: string;
  /** Absolute instance home (workers find the storage folder from it). */
  instanceHome: string;
  /** The instance's IO manager (in-process executors use it directly). */
  ioManager: IoManager;
  /** Run-level LOG events (e.g. a resource teardown that failed). Default: stderr. */
  log?: (level: LogLevel, message: string) => void;
}

/** An executor's resources for one run. */
export interface ExecutorSession {
  /** How many steps may run at once. */
  readonly maxConcurrency: number;
  runStep(task: StepTask, channel: StepChannel): Promise<StepOutcome>;
  /** Ends the session: tears down the run-scoped resources (see resource-scope.ts). */
  close(): Promise<void>;
}

/** Runs steps somewhere. */
export interface Executor {
  /** `in_process`, `multi_process`, ... (recorded as the run tag `lakeloop/executor`). */
  readonly name: string;
  open(context: ExecutorContext): Promise<ExecutorSession>;
}
