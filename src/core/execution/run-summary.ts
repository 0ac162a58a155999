/**
 * Per-step summary of a run from its events (what `lakeloop runs show` prints): status,
 * attempts, start, duration, error.
 *
 * @example
 * ```ts
 * const steps = summarizeSteps(run, await instance.events.getEvents({ runId: run.runId }));
 * ```
 */
import type { RunRecord, SerializedError, StoredEvent } from '../events/event-types.js';

/** Status of a step in a run. */
export type StepStatus = 'NOT_STARTED' | 'IN_PROGRESS' | 'SUCCESS' | 'FAILURE' | 'SKIPPED';

/** One step of a run. */
export interface StepSummary {
  stepKey: string;
  status: StepStatus;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  error?: SerializedError;
  dataVersion?: string;
}

/** The event types {@link summarizeSteps} reads (the rest, e.g. LOG, can be left unfetched). */
export const STEP_SUMMARY_TYPES = [
  'STEP_START',
  'STEP_SUCCESS',
  'STEP_FAILURE',
  'STEP_SKIPPED',
  'ASSET_MATERIALIZATION',
] as const;

/** Summarizes the steps of `run` (in plan order) from its events. */
export function summarizeSteps(run: RunRecord, events: readonly StoredEvent[]): StepSummary[] {
  const steps = new Map<string, StepSummary>(
    run.assetKeys.map((k) => [k, { stepKey: k, status: 'NOT_STARTED', attempts: 0 }]),
  );
  for (const event of events) {
    if (event.stepKey === undefined) continue;
    const step = steps.get(event.stepKey);
    if (step === undefined) continue;
    switch (event.type) {
      case 'STEP_START':
        step.attempts += 1;
        step.status = 'IN_PROGRESS';
        step.startedAt ??= event.timestamp;
        break;
      case 'STEP_SUCCESS':
      case 'STEP_FAILURE':
      case 'STEP_SKIPPED':
        step.status =
          event.type === 'STEP_SUCCESS' ? 'SUCCESS' : event.type === 'STEP_FAILURE' ? 'FAILURE' : 'SKIPPED';
        step.endedAt = event.timestamp;
        if (step.startedAt !== undefined) step.durationMs = event.timestamp - step.startedAt;
        if (typeof event.data?.['durationMs'] === 'number') step.durationMs = event.data['durationMs'];
        if (event.error !== undefined) step.error = event.error;
        break;
      case 'ASSET_MATERIALIZATION':
        if (event.materialization !== undefined) step.dataVersion = event.materialization.dataVersion;
        break;
      case 'ASSET_CHECK_EVALUATION':
      case 'LOG':
      case 'RUN_CANCELED':
      case 'RUN_CANCELING':
      case 'RUN_ENQUEUED':
      case 'RUN_FAILURE':
      case 'RUN_START':
      case 'RUN_STARTING':
      case 'RUN_SUCCESS':
      case 'STEP_OUTPUT':
      case 'STEP_UP_FOR_RETRY':
        break;
    }
  }
  return [...steps.values()];
}
