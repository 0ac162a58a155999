/**
 * Run records in memory: the second implementation of {@link RunStorage} (for
 * `Instance.ephemeral()` and tests). Records are copied in and out, so callers cannot change
 * stored state by mutating objects.
 *
 * @example
 * ```ts
 * const runs = new MemoryRunStorage();
 * await runs.addRun(run);
 * ```
 */
import { systemClock } from '../../../clock.js';
import type { Clock } from '../../../clock.js';
import type { RunRecord, RunStatus } from '../../events/event-types.js';
import type { RunFilter, RunStorage, RunUpdate } from '../storage-types.js';
import {
  checkLimit,
  DEFAULT_RUN_LIMIT,
  duplicateRunError,
  throwIfClosed,
  unknownRunError,
} from '../storage-guards.js';

/** Options of {@link MemoryRunStorage}. */
export interface MemoryRunStorageOptions {
  /** Source of `updatedAt` on updates. Default: the system clock. */
  clock?: Clock;
}

interface Entry {
  seq: number;
  run: RunRecord;
}

/** {@link RunStorage} in memory. */
export class MemoryRunStorage implements RunStorage {
  readonly #clock: Clock;
  readonly #runs = new Map<string, Entry>();
  #seq = 0;
  #closed = false;

  /** An empty storage. */
  constructor(options: MemoryRunStorageOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  /** Adds a run; throws ALREADY_EXISTS when the id is taken. */
  addRun(run: RunRecord): Promise<void> {
    return this.#call(() => {
      if (this.#runs.has(run.runId)) throw duplicateRunError(run.runId);
      this.#runs.set(run.runId, { seq: ++this.#seq, run: structuredClone(run) });
    });
  }

  /** The run with this id, or undefined. */
  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#call(() => {
      const entry = this.#runs.get(runId);
      return entry === undefined ? undefined : structuredClone(entry.run);
    });
  }

  /** Runs matching the filter, newest first unless `order` says otherwise (by `createdAt`, then insertion order). */
  listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.#call(() => {
      const limit = checkLimit(filter.limit, DEFAULT_RUN_LIMIT) ?? DEFAULT_RUN_LIMIT;
      const before = this.#cursor(filter.beforeRunId);
      const after = this.#cursor(filter.afterRunId);
      const tags = Object.entries(filter.tags ?? {});
      const sign = filter.order === 'OLDEST_FIRST' ? 1 : -1;
      return [...this.#runs.values()]
        .filter(
          (entry) =>
            (filter.statuses === undefined || filter.statuses.includes(entry.run.status)) &&
            (filter.jobName === undefined || entry.run.jobName === filter.jobName) &&
            tags.every(([key, value]) => entry.run.tags[key] === value) &&
            (before === undefined || compareEntries(entry, before) < 0) &&
            (after === undefined || compareEntries(entry, after) > 0),
        )
        .sort((a, b) => sign * compareEntries(a, b))
        .slice(0, limit)
        .map(({ run }) => structuredClone(run));
    });
  }

  /**
   * Applies an update (tags are merged; `updatedAt` becomes now). With `expectedStatus` it is a
   * compare-and-set: returns false, changing nothing, when the status differs. Throws NOT_FOUND
   * for an unknown run.
   */
  updateRun(runId: string, update: RunUpdate, expectedStatus?: RunStatus): Promise<boolean> {
    return this.#call(() => {
      const entry = this.#runs.get(runId);
      if (entry === undefined) throw unknownRunError(runId);
      const run = entry.run;
      if (expectedStatus !== undefined && run.status !== expectedStatus) return false;
      if (update.status !== undefined) run.status = update.status;
      if (update.startedAt !== undefined) run.startedAt = update.startedAt;
      if (update.endedAt !== undefined) run.endedAt = update.endedAt;
      if (update.error !== undefined) run.error = structuredClone(update.error);
      if (update.tags !== undefined) run.tags = { ...run.tags, ...update.tags };
      run.updatedAt = this.#clock.now();
      return true;
    });
  }

  /** Deletes a run; unknown ids are ignored. */
  deleteRun(runId: string): Promise<void> {
    return this.#call(() => {
      this.#runs.delete(runId);
    });
  }

  /** Stops using the storage. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #cursor(runId: string | undefined): Entry | undefined {
    if (runId === undefined) return undefined;
    const entry = this.#runs.get(runId);
    if (entry === undefined) throw unknownRunError(runId);
    return entry;
  }

  #call<T>(fn: () => T): Promise<T> {
    // Errors thrown inside the executor reject the promise.
    return new Promise((resolve) => {
      throwIfClosed(this.#closed, 'run storage');
      resolve(fn());
    });
  }
}

/** Order by `createdAt`, then insertion order. */
function compareEntries(a: Entry, b: Entry): number {
  return a.run.createdAt - b.run.createdAt || a.seq - b.seq;
}
