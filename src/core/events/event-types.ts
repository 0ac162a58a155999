/**
 * Runs and the events they write, in Dagster's vocabulary.
 *
 * @example
 * ```ts
 * const event: EventRecord = { runId, stepKey: 'train_model', type: 'STEP_START', timestamp: clock.now(), message: 'started' };
 * ```
 */

/** Run statuses (Dagster's). */
export const RunStatus = {
  QUEUED: 'QUEUED',
  NOT_STARTED: 'NOT_STARTED',
  STARTING: 'STARTING',
  STARTED: 'STARTED',
  SUCCESS: 'SUCCESS',
  FAILURE: 'FAILURE',
  CANCELING: 'CANCELING',
  CANCELED: 'CANCELED',
} as const;
/** A run status. */
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/** Statuses a run never leaves. */
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['SUCCESS', 'FAILURE', 'CANCELED'];

/** Event types written to the event log. */
export const EventType = {
  RUN_ENQUEUED: 'RUN_ENQUEUED',
  RUN_STARTING: 'RUN_STARTING',
  RUN_START: 'RUN_START',
  RUN_SUCCESS: 'RUN_SUCCESS',
  RUN_FAILURE: 'RUN_FAILURE',
  RUN_CANCELING: 'RUN_CANCELING',
  RUN_CANCELED: 'RUN_CANCELED',
  STEP_START: 'STEP_START',
  STEP_OUTPUT: 'STEP_OUTPUT',
  STEP_SUCCESS: 'STEP_SUCCESS',
  STEP_FAILURE: 'STEP_FAILURE',
  STEP_SKIPPED: 'STEP_SKIPPED',
  STEP_UP_FOR_RETRY: 'STEP_UP_FOR_RETRY',
  ASSET_MATERIALIZATION: 'ASSET_MATERIALIZATION',
  ASSET_CHECK_EVALUATION: 'ASSET_CHECK_EVALUATION',
  LOG: 'LOG',
} as const;
/** An event type. */
export type EventType = (typeof EventType)[keyof typeof EventType];

/** A serialized error with its cause chain, as stored in events and run records. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: SerializedError;
}

/** The payload of an ASSET_MATERIALIZATION event: provenance of one stored output. */
export interface MaterializationData {
  assetKey: string;
  partition?: string;
  codeVersion?: string;
  /** Hash of the stored output. */
  dataVersion: string;
  /** Data versions of the inputs it was computed from, by asset key (and partition, as `key[partition]`). */
  inputDataVersions: Record<string, string>;
  /** Where the IO manager stored the value. */
  storagePath?: string;
  metadata?: Record<string, unknown>;
}

/** The payload of an ASSET_CHECK_EVALUATION event. */
export interface CheckEvaluationData {
  assetKey: string;
  checkName: string;
  partition?: string;
  passed: boolean;
  severity: 'ERROR' | 'WARN';
  blocking: boolean;
  metadata?: Record<string, unknown>;
}

/** One event as written (before the storage assigns its id). */
export interface EventRecord {
  runId: string;
  /** The asset step (asset key) the event belongs to; absent for run-level events. */
  stepKey?: string;
  type: EventType;
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
  level?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  error?: SerializedError;
  materialization?: MaterializationData;
  checkEvaluation?: CheckEvaluationData;
  /** Anything else worth keeping (durations, metadata returned by compute). */
  data?: Record<string, unknown>;
}

/** An event as stored: with its storage id (increasing in write order). */
export interface StoredEvent extends EventRecord {
  id: number;
}

/** A run record. */
export interface RunRecord {
  runId: string;
  /** The job name, or `__asset_selection__` for an ad-hoc selection. */
  jobName: string;
  /** The selection string the run executes. */
  selection: string;
  /** Asset keys in the plan, in execution order. */
  assetKeys: string[];
  partition?: string;
  status: RunStatus;
  tags: Record<string, string>;
  /** Run this one re-executes (re-execution from failure). */
  parentRunId?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  updatedAt: number;
  error?: SerializedError;
  /** The run config given at launch (sections by asset key / job name; see run-config.ts). */
  config?: Record<string, unknown>;
}
