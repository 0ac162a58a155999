/**
 * One step of a run, attempt after attempt: reads its inputs from the run's index, runs the
 * attempt through the executor session, writes the attempt's events, and retries a failure as
 * the asset's retry policy says (waiting with the injected sleep, which a cancel interrupts).
 * The value a successful step stored joins the index for its downstream steps.
 *
 * @example
 * ```ts
 * const result = await runStepAttempts({ defs, run, session, index, emit, signal, sleep, random }, 'model');
 * if (result.state === 'failed') console.log(result.error.message);
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { RunRecord, SerializedError } from '../events/event-types.js';
import type { LogLevel } from '../definitions/asset-context.js';
import type { Definitions } from '../definitions/definitions.js';
import type { Sleep } from '../instance/instance.js';
import type { RunEventEmitter } from './event-writer.js';
import type { ExecutorSession, StepChannel, StepOutcome, StepTask } from './executor.js';
import { retryDecision } from './retry-policy.js';
import { addInput } from './run-inputs.js';
import type { InputIndex } from './run-inputs.js';
import { serializeError } from './serialize-error.js';
import { emitCheckEvaluations, emitStepSuccess } from './step-events.js';
import { stepInputs } from './step-inputs.js';

/** What every step of one run shares. */
export interface StepRunContext {
  defs: Definitions;
  run: RunRecord;
  session: ExecutorSession;
  /** The stored values the run reads, growing as its steps succeed. */
  index: InputIndex;
  emit: RunEventEmitter;
  /** Aborted when the run is canceled. */
  signal: AbortSignal;
  sleep: Sleep;
  random: () => number;
}

/** How a step ended. */
export type StepResult = { state: 'success' } | { state: 'failed'; error: SerializedError };

function missingUpstream(key: string, missing: string): Extract<StepOutcome, { status: 'FAILURE' }> {
  const error = new LakeloopError(
    'NOT_FOUND',
    `Upstream asset ${missing} of "${key}" has never been materialized; materialize it first or select it too (e.g. "+${key}").`,
  );
  return { status: 'FAILURE', error: serializeError(error), checks: [], retryable: false, durationMs: 0 };
}

/** Runs the step of `key` until it succeeds, fails for good, or the run is canceled. */
export async function runStepAttempts(context: StepRunContext, key: string): Promise<StepResult> {
  const { defs, run, emit, signal } = context;
  const asset = defs.asset(key);
  const partition = asset.partitions === undefined ? undefined : run.partition;
  const stepLabel = partition === undefined ? key : `${key} [${partition}]`;
  const channel: StepChannel = {
    signal,
    log: (level: LogLevel, message: string) => {
      void emit({ type: 'LOG', stepKey: key, level, message });
    },
  };
  for (let attempt = 1; ; attempt++) {
    void emit({
      type: 'STEP_START',
      stepKey: key,
      message: `Started ${stepLabel}${attempt > 1 ? ` (attempt ${attempt})` : ''}.`,
      data: { attempt },
    });
    const { inputs, missing } = stepInputs({ defs, assetKey: key, partition, index: context.index });
    let outcome: StepOutcome;
    if (missing !== undefined) {
      outcome = missingUpstream(key, missing);
    } else {
      const task: StepTask = {
        runId: run.runId,
        assetKey: key,
        attempt,
        runTags: run.tags,
        inputs,
        ...(partition === undefined ? {} : { partition }),
        ...(run.config === undefined ? {} : { config: run.config }),
        jobName: run.jobName,
      };
      outcome = await context.session.runStep(task, channel);
    }
    if (outcome.status === 'SUCCESS') {
      const produced = emitStepSuccess({
        emit,
        defs,
        assetKey: key,
        partition,
        stepLabel,
        attempt,
        inputs,
        outcome,
      });
      addInput(context.index, produced);
      return { state: 'success' };
    }
    emitCheckEvaluations(emit, key, stepLabel, outcome.checks);
    const decision = retryDecision({
      policy: asset.retryPolicy,
      attempt,
      retryable: outcome.retryable,
      canceled: signal.aborted,
      random: context.random,
    });
    if (decision.retry) {
      void emit({
        type: 'STEP_UP_FOR_RETRY',
        stepKey: key,
        level: 'WARN',
        message: `${stepLabel} failed (${outcome.error.message}); retry ${attempt} of ${decision.maxRetries} in ${decision.waitMs} ms.`,
        error: outcome.error,
        data: { attempt, waitMs: decision.waitMs },
      });
      try {
        await context.sleep(decision.waitMs, signal);
        continue;
      } catch {
        // canceled while waiting: fall through to failure
      }
    }
    void emit({
      type: 'STEP_FAILURE',
      stepKey: key,
      level: 'ERROR',
      message: `${stepLabel} failed: ${outcome.error.message}`,
      error: outcome.error,
      data: {
        durationMs: outcome.durationMs,
        attempt,
        ...(outcome.executedBy === undefined ? {} : { executedBy: outcome.executedBy }),
      },
    });
    return { state: 'failed', error: outcome.error };
  }
}
