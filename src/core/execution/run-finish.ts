/**
 * The end of a run: its final status from what happened (an internal error, a cancel, failed
 * steps, or none of these), written as a compare-and-set that keeps the word of a process that
 * ended the run first, then the run's last event and, for a run that did not succeed, the
 * definitions' run failure hooks.
 *
 * @example
 * ```ts
 * const verdict = runVerdict({ runId, internalError, canceled: signal.aborted, failures });
 * const final = await finishRun({ defs, instance, runId, writer, emit, startedAt, verdict });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { RunRecord, RunStatus } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import type { Instance } from '../instance/instance.js';
import type { EventWriter, RunEventEmitter } from './event-writer.js';
import { FAILURE_HOOKS_TAG, runFailureHooks } from './run-failure-hooks.js';
import { writeFinalStatus } from './run-watch.js';
import { deserializeError, serializeError } from './serialize-error.js';
import type { StepFailure } from './step-scheduler.js';

/** The final status of a run and its error. */
export interface RunVerdict {
  status: Extract<RunStatus, 'SUCCESS' | 'FAILURE' | 'CANCELED'>;
  error?: RunRecord['error'];
}

/** Options of {@link runVerdict}. */
export interface RunVerdictOptions {
  runId: string;
  /** An error of the machinery (storage, executor), not of a step. */
  internalError: unknown;
  canceled: boolean;
  failures: readonly StepFailure[];
}

/** An internal error makes FAILURE, else a cancel CANCELED, else a failed step FAILURE (naming the first). */
export function runVerdict(options: RunVerdictOptions): RunVerdict {
  const { runId, internalError, failures } = options;
  if (internalError !== undefined) {
    const error = new LakeloopError(
      'INTERNAL',
      `Run ${runId} could not execute: ${(internalError as Error).message}`,
      { cause: internalError },
    );
    return { status: 'FAILURE', error: serializeError(error) };
  }
  if (options.canceled) return { status: 'CANCELED' };
  const first = failures[0];
  if (first === undefined) return { status: 'SUCCESS' };
  const others = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
  const error = new LakeloopError(
    'STEP_FAILED',
    `Step "${first.key}" failed${others}: ${first.error.message}`,
    {
      cause: deserializeError(first.error),
    },
  );
  return { status: 'FAILURE', error: serializeError(error) };
}

/** Options of {@link finishRun}. */
export interface FinishRunOptions {
  defs: Definitions;
  instance: Instance;
  runId: string;
  writer: EventWriter;
  emit: RunEventEmitter;
  startedAt: number;
  verdict: RunVerdict;
}

/**
 * Stores the verdict (unless another process ended the run first: then its record is returned),
 * writes RUN_SUCCESS / RUN_FAILURE / RUN_CANCELED, runs the failure hooks, and returns the final record.
 * Removes the run from `instance.activeRuns` once its status is written.
 */
export async function finishRun(options: FinishRunOptions): Promise<RunRecord> {
  const { defs, instance, runId, writer, emit, startedAt } = options;
  const { status, error } = options.verdict;
  const endedAt = instance.clock.now();
  const ended = await writeFinalStatus({
    instance,
    runId,
    update: {
      status,
      endedAt,
      ...(error === undefined ? {} : { error }),
      ...(status === 'SUCCESS' ? {} : { tags: { [FAILURE_HOOKS_TAG]: 'pending' } }),
    },
  }).finally(() => instance.activeRuns.delete(runId));
  if (ended.taken !== undefined) return ended.taken; // another process ended it first: its word stands
  const message =
    status === 'SUCCESS'
      ? `Run ${runId} succeeded.`
      : status === 'CANCELED'
        ? `Run ${runId} canceled.`
        : `Run ${runId} failed: ${error?.message ?? ''}`;
  const type = status === 'SUCCESS' ? 'RUN_SUCCESS' : status === 'CANCELED' ? 'RUN_CANCELED' : 'RUN_FAILURE';
  void emit({
    type,
    message,
    level: status === 'SUCCESS' ? 'INFO' : 'ERROR',
    ...(error === undefined ? {} : { error }),
    data: { durationMs: endedAt - startedAt },
  });
  await writer.flush();
  let final = await instance.runs.getRun(runId);
  if (final === undefined) throw new LakeloopError('INTERNAL', `Run ${runId} disappeared from run storage.`);
  if (status !== 'SUCCESS' && defs.runFailureHooks.length > 0) {
    await runFailureHooks({ instance, defs, run: final });
    final = (await instance.runs.getRun(runId)) ?? final;
  }
  return final;
}
