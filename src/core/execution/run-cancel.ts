/**
 * Cancelling a run, whatever its status and wherever it executes: a waiting run ends CANCELED at
 * once, an executing one becomes CANCELING (its process aborts its steps), and a run whose
 * process is dead is ended here, since no one else would.
 *
 * @example
 * ```ts
 * const run = await cancelRun(instance, runId); // CANCELED, or CANCELING until its process stops
 * ```
 */
import { LakeloopError } from '../../errors.js';
import { appendRunEvents } from '../events/event-log-notifier.js';
import type { RunRecord } from '../events/event-types.js';
import { FINISHED_RUN_STATUSES } from '../events/event-types.js';
import type { Instance } from '../instance/instance.js';
import { endRun, runOwnerState } from './dead-run-recovery.js';

/**
 * Requests cancellation: a QUEUED or NOT_STARTED run becomes CANCELED at once; a STARTING or
 * STARTED run becomes CANCELING and its executing process aborts its steps (`ctx.signal`) and
 * marks it CANCELED. Throws CONFLICT when the run already finished.
 */
export async function cancelRun(instance: Instance, runId: string): Promise<RunRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const run = await instance.runs.getRun(runId);
    if (run === undefined)
      throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with \`lakeloop runs list\`.`);
    if (FINISHED_RUN_STATUSES.includes(run.status)) {
      throw new LakeloopError(
        'CONFLICT',
        `Run ${runId} already finished (${run.status}); nothing to cancel.`,
        {
          details: { runId, status: run.status },
        },
      );
    }
    const now = instance.clock.now();
    if (run.status !== 'QUEUED' && run.status !== 'NOT_STARTED') {
      // No live process would ever act on the request: end the run here.
      const state = runOwnerState(instance, run, now);
      if (!state.alive) {
        const ended = await endRun(instance, run, {
          now,
          lost: state.lost,
          reason: state.reason,
          canceled: true,
        });
        if (ended !== undefined) return ended.run;
        continue;
      }
    }
    if (run.status === 'CANCELING') {
      instance.activeRuns.get(runId)?.abort();
      return run;
    }
    const waiting = run.status === 'QUEUED' || run.status === 'NOT_STARTED';
    const update = waiting ? { status: 'CANCELED' as const, endedAt: now } : { status: 'CANCELING' as const };
    if (await instance.runs.updateRun(runId, update, run.status)) {
      await appendRunEvents(instance.events, [
        {
          runId,
          type: waiting ? 'RUN_CANCELED' : 'RUN_CANCELING',
          timestamp: now,
          message: waiting ? `Run ${runId} canceled before it started.` : `Run ${runId} canceling.`,
        },
      ]);
      instance.activeRuns.get(runId)?.abort();
      return (await instance.runs.getRun(runId)) ?? run;
    }
  }
  throw new LakeloopError('CONFLICT', `Run ${runId} kept changing status; try cancelling again.`);
}
