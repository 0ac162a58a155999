/**
 * Hand repairs of the run list: `markRunFailed` ends a run in progress that no process will end
 * (`lakeloop runs mark-failed`), `deleteRun` removes a finished run and its events (`lakeloop runs
 * delete`). Both refuse a run whose owner process is alive unless forced: ending or deleting a run
 * that is still executing would let its process write over the repair.
 *
 * @example
 * ```ts
 * await markRunFailed({ instance, runId, reason: 'the machine was powered off' });
 * await deleteRun({ instance, runId });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { RunRecord } from '../events/event-types.js';
import { FINISHED_RUN_STATUSES } from '../events/event-types.js';
import type { Instance } from '../instance/instance.js';
import { endRun, runOwnerState } from './dead-run-recovery.js';

/** Options of {@link markRunFailed} and {@link deleteRun}. */
export interface RunAdminOptions {
  instance: Instance;
  runId: string;
  /** Act even when the run's owner process looks alive. Default false. */
  force?: boolean;
}

async function knownRun(instance: Instance, runId: string): Promise<RunRecord> {
  const run = await instance.runs.getRun(runId);
  if (run === undefined)
    throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with \`lakeloop runs list\`.`);
  return run;
}

function refuseLiveOwner(instance: Instance, run: RunRecord, action: string, force: boolean): void {
  if (force || run.status === 'QUEUED' || run.status === 'NOT_STARTED') return;
  const state = runOwnerState(instance, run, instance.clock.now());
  if (state.alive) {
    throw new LakeloopError(
      'CONFLICT',
      `Run ${run.runId} is ${run.status} and its process (pid ${run.tags['lakeloop/owner_pid'] ?? '?'} on ${run.tags['lakeloop/owner_host'] ?? '?'}) is alive; ` +
        `cancel it with \`lakeloop runs cancel ${run.runId}\`, or pass --force to ${action} it anyway.`,
      { details: { runId: run.runId, status: run.status } },
    );
  }
}

/** Ends a run in progress as FAILURE with `reason`; returns the run as it is now. */
export async function markRunFailed(options: RunAdminOptions & { reason?: string }): Promise<RunRecord> {
  const { instance, runId } = options;
  const run = await knownRun(instance, runId);
  if (FINISHED_RUN_STATUSES.includes(run.status)) {
    throw new LakeloopError('CONFLICT', `Run ${runId} already finished (${run.status}).`, {
      details: { runId, status: run.status },
    });
  }
  refuseLiveOwner(instance, run, 'mark', options.force === true);
  const ended = await endRun(instance, run, {
    now: instance.clock.now(),
    lost: 'marked_failed',
    reason: `it was marked failed by hand (${options.reason ?? 'no reason given'})`,
    canceled: false,
  });
  if (ended === undefined)
    throw new LakeloopError('CONFLICT', `Run ${runId} changed status meanwhile; look at it again.`);
  return ended.run;
}

/** Deletes a run that is not in progress (or forced), then its events. */
export async function deleteRun(options: RunAdminOptions): Promise<void> {
  const { instance, runId } = options;
  const run = await knownRun(instance, runId);
  if (!FINISHED_RUN_STATUSES.includes(run.status))
    refuseLiveOwner(instance, run, 'delete', options.force === true);
  // The run first: events left by a crash in between are deleted by the next prune.
  await instance.runs.deleteRun(runId);
  await instance.events.deleteEventsOfRun(runId);
}
