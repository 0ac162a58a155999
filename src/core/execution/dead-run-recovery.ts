/**
 * Ends the runs whose owner process died: a STARTING / STARTED run becomes FAILURE and a
 * CANCELING run CANCELED, each with the reason, a RUN_FAILURE / RUN_CANCELED event and the tag
 * `lakeloop/owner_lost`. Every transition is a compare-and-set on the status read, so a run its
 * owner ends meanwhile is left as the owner wrote it. Called when an instance opens, by the daemon
 * on every heartbeat, by `runs list` and by `cancelRun`.
 *
 * @example
 * ```ts
 * const ended = await endRunsOfDeadOwners({ instance });
 * for (const { run, reason } of ended) console.log(`${run.runId} -> ${run.status}: ${reason}`);
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { RunRecord, RunStatus } from '../events/event-types.js';
import type { Instance } from '../instance/instance.js';
import { OWNER_LOST_TAG, ownerState } from './run-ownership.js';
import type { OwnerState } from './run-ownership.js';
import { serializeError } from './serialize-error.js';
import { FAILURE_HOOKS_TAG } from './run-failure-hooks.js';

/** Statuses of runs that hold an owner. */
export const OWNED_RUN_STATUSES: readonly RunStatus[] = ['STARTING', 'STARTED', 'CANCELING'];

/** A run ended by {@link endRunsOfDeadOwners}. */
export interface EndedRun {
  /** The run as it is now (FAILURE or CANCELED; SUCCESS when every step had succeeded). */
  run: RunRecord;
  /** Its status before. */
  previousStatus: RunStatus;
  reason: string;
}

/** Whether the process executing `run` is alive, as judged from `instance`'s process. */
export function runOwnerState(instance: Instance, run: RunRecord, now: number): OwnerState {
  return ownerState(run, {
    self: instance.owner,
    executing: instance.activeRuns,
    now,
    leaseMs: instance.runLeaseMs,
  });
}

/** Options of {@link endRunsOfDeadOwners}. */
export interface EndRunsOfDeadOwnersOptions {
  instance: Instance;
  /** Default: the instance clock. */
  now?: number;
  /** Only these runs (default: every run in progress). */
  runs?: readonly RunRecord[];
}

/** Ends every run in progress whose owner is dead; returns the runs ended. */
export async function endRunsOfDeadOwners(options: EndRunsOfDeadOwnersOptions): Promise<EndedRun[]> {
  const { instance } = options;
  const now = options.now ?? instance.clock.now();
  const candidates =
    options.runs ?? (await instance.runs.listRuns({ statuses: OWNED_RUN_STATUSES, limit: 10_000 }));
  const ended: EndedRun[] = [];
  for (const run of candidates) {
    if (!OWNED_RUN_STATUSES.includes(run.status)) continue;
    const state = runOwnerState(instance, run, now);
    if (state.alive) continue;
    const options = { now, lost: state.lost, reason: state.reason };
    const result =
      run.status !== 'CANCELING' && (await everyStepSucceeded(instance, run))
        ? await endFinishedRun(instance, run, options)
        : await endRun(instance, run, options);
    if (result !== undefined) ended.push(result);
  }
  return ended;
}

/** Whether every planned step of `run` recorded STEP_SUCCESS (its value is stored). */
async function everyStepSucceeded(instance: Instance, run: RunRecord): Promise<boolean> {
  const succeeded = new Set(
    (await instance.events.getEvents({ runId: run.runId, types: ['STEP_SUCCESS'] })).map((e) => e.stepKey),
  );
  return run.assetKeys.length > 0 && run.assetKeys.every((key) => succeeded.has(key));
}

/**
 * Ends SUCCESS a run whose process died after every step succeeded but before it wrote the run's
 * end: its work is done, and as a FAILURE it could never be re-executed (there is no failed step),
 * so an automatic re-execution would be refused on every heartbeat and its data commit would keep
 * no successful run.
 */
async function endFinishedRun(
  instance: Instance,
  run: RunRecord,
  options: Pick<EndRunOptions, 'now' | 'lost' | 'reason'>,
): Promise<EndedRun | undefined> {
  const ok = await instance.runs.updateRun(
    run.runId,
    { status: 'SUCCESS', endedAt: options.now, tags: { [OWNER_LOST_TAG]: options.lost } },
    run.status,
  );
  if (!ok) return undefined;
  await instance.events.appendEvents([
    {
      runId: run.runId,
      type: 'RUN_SUCCESS',
      timestamp: options.now,
      message: `Run ${run.runId} succeeded: every step had succeeded when ${options.reason}.`,
    },
  ]);
  const current = (await instance.runs.getRun(run.runId)) ?? { ...run, status: 'SUCCESS' as const };
  return { run: current, previousStatus: run.status, reason: options.reason };
}

/** Options of {@link endRun}. */
export interface EndRunOptions {
  now: number;
  /** Recorded in the tag `lakeloop/owner_lost`. */
  lost: string;
  /** Why, in words ("its process pid 123 on host exited"). */
  reason: string;
  /** Default: CANCELED for a CANCELING run (and when `canceled`), else FAILURE. */
  canceled?: boolean;
}

/**
 * Ends one run in progress (CANCELING -> CANCELED, else FAILURE) if its status is still the one
 * read; returns undefined when someone else changed it first.
 */
export async function endRun(
  instance: Instance,
  run: RunRecord,
  options: EndRunOptions,
): Promise<EndedRun | undefined> {
  const canceled = options.canceled ?? run.status === 'CANCELING';
  const status: RunStatus = canceled ? 'CANCELED' : 'FAILURE';
  const error = new LakeloopError(
    canceled ? 'CANCELED' : 'UNAVAILABLE',
    `Run ${run.runId} was ${run.status}, but ${options.reason}; marked ${status}. ` +
      `Re-execute it from the failed step with \`lakeloop runs reexecute ${run.runId} --from-failure --defs <file>\`.`,
    { details: { runId: run.runId, ownerLost: options.lost } },
  );
  const serialized = serializeError(error);
  const ok = await instance.runs.updateRun(
    run.runId,
    {
      status,
      endedAt: options.now,
      error: serialized,
      tags: { [OWNER_LOST_TAG]: options.lost, [FAILURE_HOOKS_TAG]: 'pending' },
    },
    run.status,
  );
  if (!ok) return undefined;
  await instance.events.appendEvents([
    {
      runId: run.runId,
      type: canceled ? 'RUN_CANCELED' : 'RUN_FAILURE',
      timestamp: options.now,
      level: 'ERROR',
      message: error.message,
      error: serialized,
    },
  ]);
  const current = (await instance.runs.getRun(run.runId)) ?? { ...run, status };
  return { run: current, previousStatus: run.status, reason: options.reason };
}
