/**
 * Run handles: a run followed by id, wherever it executes. `result()` resolves with the final
 * record, `events()` yields every event of the run from the first, then the new ones as they are
 * written, and ends with the run's last event (RUN_SUCCESS, RUN_FAILURE or RUN_CANCELED);
 * `cancel()` requests cancellation. A handle reads the event log storage with a cursor: for a run
 * executing in this process it wakes on an in-process notification (no polling); for a run of
 * another process (the daemon, a `lakeloop materialize`) it also looks every `pollMs` — or, when
 * the storage pushes writes of every process (PostgreSQL's NOTIFY), it wakes on those and looks
 * only every `pushedPollMs` as a fallback.
 *
 * @example
 * ```ts
 * const handle = runHandle(instance, runId);
 * for await (const event of handle.events()) console.log(event.type, event.stepKey ?? '');
 * const run = await handle.result();
 * ```
 */
import { LakeloopError } from '../../errors.js';
import { eventLogNotifier } from '../events/event-log-notifier.js';
import type { EventType, RunRecord, StoredEvent } from '../events/event-types.js';
import { FINISHED_RUN_STATUSES } from '../events/event-types.js';
import type { Instance, Sleep } from '../instance/instance.js';
import type { RunFilter } from '../storage/storage-types.js';
import { cancelRun } from './run-cancel.js';

/** A run being followed. */
export interface RunHandle {
  readonly runId: string;
  /** The final record (SUCCESS, FAILURE or CANCELED); rejects when the run could not be executed at all. */
  result(): Promise<RunRecord>;
  /** Every event of the run in write order, live until the run's last event. Each call starts from the first. */
  events(): AsyncIterable<StoredEvent>;
  /** Requests cancellation (see cancelRun); a run that already finished is returned as it is. */
  cancel(): Promise<RunRecord>;
}

/** Options of {@link runHandle}. */
export interface RunHandleOptions {
  /** How often to look at the storage for writes of other processes. Default 250 ms; 2 s when the storage pushes. */
  pollMs?: number;
  /** The wait between looks. Default the instance's sleep. */
  sleep?: Sleep;
  /**
   * The execution of the run in this process, when the caller started it (see launchRun): the
   * handle then waits on it and on the notifier only, never polls, and `result()` is its result.
   */
  execution?: Promise<RunRecord>;
}

/** Event types that end a run's log. */
export const RUN_END_EVENT_TYPES: readonly EventType[] = ['RUN_SUCCESS', 'RUN_FAILURE', 'RUN_CANCELED'];

const DEFAULT_POLL_MS = 250;
/** The fallback look when the storage pushes every process's writes (a lost notification costs at most this). */
const PUSHED_POLL_MS = 2_000;

/** The poll interval a reader of `instance` uses when not told: slow where the storage pushes. */
export function defaultPollMs(instance: Instance): number {
  return instance.storages.subscribe === undefined ? DEFAULT_POLL_MS : PUSHED_POLL_MS;
}

/** A handle on an existing run (NOT_FOUND when there is none). */
export async function openRunHandle(
  instance: Instance,
  runId: string,
  options: RunHandleOptions = {},
): Promise<RunHandle> {
  if ((await instance.runs.getRun(runId)) === undefined)
    throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with \`lakeloop runs list\`.`);
  return runHandle(instance, runId, options);
}

/**
 * A handle on run `runId` of `instance` (the run need not be executing in this process).
 * Prefer {@link openRunHandle}, which checks that the run exists.
 */
export function runHandle(instance: Instance, runId: string, options: RunHandleOptions = {}): RunHandle {
  const pollMs = options.pollMs ?? defaultPollMs(instance);
  const sleep = options.sleep ?? instance.sleep;
  const notifier = eventLogNotifier(instance.events);
  const execution = options.execution;
  let settled = false;
  // Marks the execution handled: a caller that never asks for result() gets no unhandled rejection.
  const executionSettled = execution?.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );

  /** Waits for a write notified since `since`, the local execution's end, or (remote runs) the next poll. */
  const wait = async (since: number): Promise<void> => {
    const stop = new AbortController();
    const waits: Promise<unknown>[] = [notifier.next(stop.signal, since)];
    if (executionSettled !== undefined) waits.push(executionSettled);
    else waits.push(sleep(pollMs, stop.signal).catch(() => undefined));
    try {
      await Promise.race(waits);
    } finally {
      stop.abort();
    }
  };

  const storedRun = async (): Promise<RunRecord> => {
    const run = await instance.runs.getRun(runId);
    if (run === undefined)
      throw new LakeloopError('NOT_FOUND', `Run ${runId} is gone from run storage (deleted?).`, {
        details: { runId },
      });
    return run;
  };

  async function* events(): AsyncGenerator<StoredEvent> {
    let afterId = 0;
    let finishedLooks = 0;
    for (;;) {
      const since = notifier.count;
      // Read the status before the events: a finished status seen here means the events read next are complete
      // but for the last one, which its process writes just after the status.
      const finishedBefore = settled || FINISHED_RUN_STATUSES.includes((await storedRun()).status);
      const batch = await instance.events.getEvents({ runId, afterId });
      for (const event of batch) {
        afterId = event.id;
        yield event;
        if (RUN_END_EVENT_TYPES.includes(event.type)) return;
      }
      if (finishedBefore) {
        // A local execution that settled wrote all it ever will; a remote process that stored the final status
        // but no last event within one more look died between the two.
        if (settled || ++finishedLooks > 1) return;
      }
      await wait(since);
    }
  }

  const result = async (): Promise<RunRecord> => {
    if (execution !== undefined) return execution;
    for (;;) {
      const since = notifier.count;
      const run = await storedRun();
      if (FINISHED_RUN_STATUSES.includes(run.status)) return run;
      await wait(since);
    }
  };

  const cancel = async (): Promise<RunRecord> => {
    try {
      return await cancelRun(instance, runId);
    } catch (error) {
      const run = await instance.runs.getRun(runId);
      if (run !== undefined && FINISHED_RUN_STATUSES.includes(run.status)) return run;
      throw error;
    }
  };

  return { runId, result, events: () => events(), cancel };
}

/** Options of {@link awaitRunHandle}. */
export interface AwaitRunHandleOptions extends Omit<RunHandleOptions, 'execution'> {
  /** Give up (TIMEOUT) after this long, by the instance's clock. Default 60 000 ms. */
  timeoutMs?: number;
}

/**
 * Waits until a run matching `filter` exists (e.g. the one a sensor launches for a data commit)
 * and returns its handle: woken by this process's writes (a daemon in this process), else it
 * looks every `pollMs`. TIMEOUT after `timeoutMs`.
 *
 * @example
 * ```ts
 * const handle = await awaitRunHandle(instance, { tags: { 'lakeloop/data_commit': commitId } });
 * const run = await handle.result();
 * ```
 */
export async function awaitRunHandle(
  instance: Instance,
  filter: Omit<RunFilter, 'limit'>,
  options: AwaitRunHandleOptions = {},
): Promise<RunHandle> {
  const pollMs = options.pollMs ?? defaultPollMs(instance);
  const sleep = options.sleep ?? instance.sleep;
  const deadline = instance.clock.now() + (options.timeoutMs ?? 60_000);
  const notifier = eventLogNotifier(instance.events);
  for (;;) {
    const since = notifier.count;
    const [run] = await instance.runs.listRuns({ ...filter, limit: 1 });
    if (run !== undefined) return runHandle(instance, run.runId, { pollMs, sleep });
    if (instance.clock.now() > deadline) {
      throw new LakeloopError(
        'TIMEOUT',
        `No run matching ${JSON.stringify(filter)} appeared within ${options.timeoutMs ?? 60_000} ms; is the daemon running its sensors? See \`lakeloop sensors list\`.`,
        { details: { filter } },
      );
    }
    const stop = new AbortController();
    try {
      await Promise.race([
        notifier.next(stop.signal, since),
        sleep(pollMs, stop.signal).catch(() => undefined),
      ]);
    } finally {
      stop.abort();
    }
  }
}
