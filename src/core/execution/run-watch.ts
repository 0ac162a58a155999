/**
 * What the process executing a run does besides its steps: it watches the stored run (a cancel
 * request from another process aborts the steps; so does any terminal status another process
 * wrote, e.g. a run taken over as dead; a storage that pushes status changes wakes the watch at
 * once instead of at its next poll), refreshes its owner heartbeat, and writes the final
 * status as a compare-and-set that never overwrites a status someone else ended the run with.
 *
 * @example
 * ```ts
 * const watch = watchRun({ instance, runId, controller, pollMs: 500 });
 * // ... steps ...
 * watch.stop();
 * const { taken } = await writeFinalStatus({ instance, runId, update: { status: 'SUCCESS', endedAt } });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { RunRecord } from '../events/event-types.js';
import { FINISHED_RUN_STATUSES } from '../events/event-types.js';
import type { Instance } from '../instance/instance.js';
import type { RunUpdate } from '../storage/storage-types.js';
import { OWNER_HEARTBEAT_TAG } from './run-ownership.js';

/** Options of {@link watchRun}. */
export interface WatchRunOptions {
  instance: Instance;
  runId: string;
  /** Aborted on a cancel request or when another process ended the run. */
  controller: AbortController;
  /** How often the stored run is read. */
  pollMs: number;
}

/** A running watch; `stop()` ends it. */
export interface RunWatch {
  stop(): void;
}

/** Polls the stored run and heartbeats until stopped. */
export function watchRun(options: WatchRunOptions): RunWatch {
  const { instance, runId, controller } = options;
  let lastBeat = instance.clock.now();
  let busy = false;
  const poll = async (): Promise<void> => {
    const current = await instance.runs.getRun(runId);
    if (current === undefined) return;
    if (current.status === 'CANCELING' || FINISHED_RUN_STATUSES.includes(current.status)) {
      controller.abort();
      return;
    }
    const now = instance.clock.now();
    if (now - lastBeat < instance.runHeartbeatMs) return;
    // Conditional on the status read: a heartbeat never revives a run someone else just ended.
    if (
      await instance.runs.updateRun(runId, { tags: { [OWNER_HEARTBEAT_TAG]: String(now) } }, current.status)
    )
      lastBeat = now;
  };
  const look = (): void => {
    if (busy) return;
    busy = true;
    poll()
      .catch(() => undefined) // a failed read or heartbeat is retried on the next poll
      .finally(() => {
        busy = false;
      });
  };
  const timer = setInterval(look, options.pollMs);
  timer.unref();
  const unsubscribe = instance.storages.subscribe?.('runs', (changed) => {
    if (changed === undefined || changed === runId) look();
  });
  return {
    stop: () => {
      clearInterval(timer);
      unsubscribe?.();
    },
  };
}

/** Options of {@link writeFinalStatus}. */
export interface WriteFinalStatusOptions {
  instance: Instance;
  runId: string;
  /** The terminal status and what goes with it. */
  update: RunUpdate & { status: RunRecord['status'] };
  /** Attempts on storage errors (a full disk, a locked database). Default 6 (about 6 s of backoff). */
  attempts?: number;
}

/** Outcome of {@link writeFinalStatus}. */
export interface FinalStatusOutcome {
  /** Set when another process had already ended the run: the record as it ended it. */
  taken?: RunRecord;
}

/**
 * Moves the run from whatever non-terminal status it has to `update.status`. Storage errors are
 * retried with backoff; when they persist, throws UNAVAILABLE (the run stays in progress, and the
 * next process that opens the instance ends it, since this process no longer executes it).
 */
export async function writeFinalStatus(options: WriteFinalStatusOptions): Promise<FinalStatusOutcome> {
  const { instance, runId, update } = options;
  const attempts = options.attempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    try {
      for (let race = 0; race < 10; race++) {
        const current = await instance.runs.getRun(runId);
        if (current === undefined)
          throw new LakeloopError('INTERNAL', `Run ${runId} disappeared from run storage.`);
        if (FINISHED_RUN_STATUSES.includes(current.status)) return { taken: current };
        if (await instance.runs.updateRun(runId, update, current.status)) return {};
      }
      throw new LakeloopError('CONFLICT', `Run ${runId} kept changing status while it was being ended.`);
    } catch (error) {
      if (error instanceof LakeloopError && error.code !== 'UNAVAILABLE') throw error;
      if (attempt >= attempts) {
        throw new LakeloopError(
          'UNAVAILABLE',
          `Run ${runId} finished ${update.status}, but its status could not be stored after ${attempt} attempts ` +
            `(${(error as Error).message}). Free disk space or release the database; the next lakeloop process that opens this instance marks the run FAILURE.`,
          { cause: error },
        );
      }
      await instance.sleep(100 * 2 ** (attempt - 1));
    }
  }
}
