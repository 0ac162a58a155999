/**
 * Claims a created run for this process and starts it: only a NOT_STARTED or QUEUED run whose
 * assets all exist in these definitions; the claim is a compare-and-set to STARTING that names
 * this process the owner (so two processes never execute one run), then STARTED. A run canceled
 * while starting comes back with its controller already aborted.
 *
 * @example
 * ```ts
 * const { run, controller, startedAt } = await startRun({ defs, instance, runId, emit });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { RunRecord } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import type { Instance } from '../instance/instance.js';
import type { RunEventEmitter } from './event-writer.js';
import { ownerTags } from './run-ownership.js';

/** Options of {@link startRun}. */
export interface StartRunOptions {
  defs: Definitions;
  instance: Instance;
  runId: string;
  emit: RunEventEmitter;
}

/** A run this process now executes. */
export interface StartedRun {
  /** The record as it was before the claim. */
  run: RunRecord;
  /** Registered in `instance.activeRuns`; aborted on cancel. The caller removes it when the run ends. */
  controller: AbortController;
  startedAt: number;
}

/** Moves the run to STARTING then STARTED, owned by this process; CONFLICT when it cannot be executed. */
export async function startRun(options: StartRunOptions): Promise<StartedRun> {
  const { defs, instance, runId, emit } = options;
  const run = await instance.runs.getRun(runId);
  if (run === undefined)
    throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with \`lakeloop runs list\`.`);
  if (run.status !== 'NOT_STARTED' && run.status !== 'QUEUED') {
    throw new LakeloopError(
      'CONFLICT',
      `Run ${runId} is ${run.status}; only a NOT_STARTED or QUEUED run can be executed.`,
      { details: { runId, status: run.status } },
    );
  }
  for (const key of run.assetKeys) defs.asset(key); // every planned asset must exist in these definitions
  const clock = instance.clock;
  const controller = new AbortController();
  // Registered before the run names this process its owner, so no one in this process takes it for dead.
  instance.activeRuns.set(runId, controller);
  const claimed = await instance.runs
    .updateRun(runId, { status: 'STARTING', tags: ownerTags(instance.owner, clock.now()) }, run.status)
    .catch((error: unknown) => {
      instance.activeRuns.delete(runId);
      throw error;
    });
  if (!claimed) {
    instance.activeRuns.delete(runId);
    throw new LakeloopError('CONFLICT', `Run ${runId} was started or canceled by someone else.`, {
      details: { runId },
    });
  }
  void emit({ type: 'RUN_STARTING', message: `Run ${runId} starting.` });
  const startedAt = clock.now();
  const started = await instance.runs.updateRun(runId, { status: 'STARTED', startedAt }, 'STARTING');
  if (!started) controller.abort(); // canceled while starting
  return { run, controller, startedAt };
}
