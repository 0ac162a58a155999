/** The API answers the Runs pages read (docs/api.md), trimmed to the fields they show. */

/** The run statuses (Dagster's), in the order the filter lists them. */
export const RUN_STATUSES = [
  'QUEUED',
  'NOT_STARTED',
  'STARTING',
  'STARTED',
  'SUCCESS',
  'FAILURE',
  'CANCELING',
  'CANCELED',
] as const;

/** The event types of the event log, in the order the filter lists them. */
export const EVENT_TYPES = [
  'RUN_ENQUEUED',
  'RUN_STARTING',
  'RUN_START',
  'RUN_SUCCESS',
  'RUN_FAILURE',
  'RUN_CANCELING',
  'RUN_CANCELED',
  'STEP_START',
  'STEP_OUTPUT',
  'STEP_SUCCESS',
  'STEP_FAILURE',
  'STEP_SKIPPED',
  'STEP_UP_FOR_RETRY',
  'ASSET_MATERIALIZATION',
  'ASSET_CHECK_EVALUATION',
  'LOG',
] as const;

/** The tag the data-commit sensors put on a run: the commit it trains on (src/core/definitions/data-commit.ts). */
export const DATA_COMMIT_TAG = 'lakeloop/data_commit';
/** The repository of that commit. */
export const DATA_REPOSITORY_TAG = 'lakeloop/data_repository';

/** A serialized error. */
export interface ApiErrorRecord {
  name: string;
  message: string;
  stack?: string;
}

/** One run (`GET /api/runs`, `GET /api/runs/:id`). */
export interface Run {
  runId: string;
  jobName: string;
  selection: string;
  assetKeys: string[];
  status: string;
  partition?: string;
  tags: Record<string, string>;
  parentRunId?: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  error?: ApiErrorRecord;
}

/** `GET /api/runs`. */
export interface RunsPage {
  runs: Run[];
  hasMore: boolean;
  nextOffset: string;
}

/** One step of `GET /api/runs/:id`. */
export interface StepSummary {
  stepKey: string;
  status: 'NOT_STARTED' | 'IN_PROGRESS' | 'SUCCESS' | 'FAILURE' | 'SKIPPED';
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  error?: ApiErrorRecord;
}

/** `GET /api/runs/:id`. */
export interface RunDetail {
  run: Run;
  steps: StepSummary[];
}

/** One stored event (`GET /api/runs/:id/events`). */
export interface RunEvent {
  id: number;
  runId: string;
  stepKey?: string;
  type: string;
  timestamp: number;
  message: string;
  level?: string;
  error?: ApiErrorRecord;
  data?: Record<string, unknown>;
}

/** `GET /api/runs/:id/events`. */
export interface EventsPage {
  events: RunEvent[];
  hasMore: boolean;
  nextOffset: string;
}

/** A `run` frame of the live stream. */
export interface RunFrame {
  runId: string;
  status: string;
  timestamp: number;
}

/** An `event` frame of the live stream. */
export interface EventFrame {
  id: number;
  runId: string;
}
