/**
 * Sensor and schedule state in memory: the second implementation of {@link ScheduleStorage}.
 *
 * @example
 * ```ts
 * const schedules = new MemoryScheduleStorage();
 * await schedules.claimRunKey('new_data_sensor', commitId, runId); // true once, then false
 * ```
 */
import type { DeleteTicksOptions, InstigatorState, ScheduleStorage, TickRecord } from '../storage-types.js';
import {
  canCoalesce,
  checkLimit,
  coalesceTicks,
  DEFAULT_TICK_LIMIT,
  throwIfClosed,
  unknownTickError,
} from '../storage-guards.js';

/** {@link ScheduleStorage} in memory. */
export class MemoryScheduleStorage implements ScheduleStorage {
  readonly #states = new Map<string, InstigatorState>();
  readonly #ticks = new Map<number, TickRecord>();
  /** instigator name -> run key -> run id. */
  readonly #runKeys = new Map<string, Map<string, string>>();
  readonly #heartbeats = new Map<string, number>();
  #nextTickId = 1;
  #closed = false;

  /** The stored state of a sensor or schedule, or undefined. */
  getInstigatorState(name: string): Promise<InstigatorState | undefined> {
    return this.#call(() => {
      const state = this.#states.get(name);
      return state === undefined ? undefined : structuredClone(state);
    });
  }

  /** Every stored instigator state, by name. */
  listInstigatorStates(): Promise<InstigatorState[]> {
    return this.#call(() =>
      [...this.#states.values()]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((state) => structuredClone(state)),
    );
  }

  /** Creates or replaces the state of a sensor or schedule. */
  setInstigatorState(state: InstigatorState): Promise<void> {
    return this.#call(() => {
      this.#states.set(state.name, withoutUndefined(structuredClone(state)));
    });
  }

  /** Stores a tick (its `id` is ignored) and returns its new id. */
  addTick(tick: TickRecord): Promise<number> {
    return this.#call(() => {
      const id = this.#nextTickId++;
      this.#ticks.set(id, { ...structuredClone(tick), id });
      return id;
    });
  }

  /** Merges `update` into a tick; throws NOT_FOUND for an unknown id. */
  updateTick(id: number, update: Partial<TickRecord>): Promise<void> {
    return this.#call(() => {
      const tick = this.#ticks.get(id);
      if (tick === undefined) throw unknownTickError(id);
      this.#ticks.set(id, { ...tick, ...structuredClone(update), id });
    });
  }

  /** Merges the final update into a tick, coalescing repeated SKIPPED ticks (see {@link ScheduleStorage.finishTick}). */
  finishTick(id: number, update: Partial<TickRecord>): Promise<TickRecord> {
    return this.#call(() => {
      const stored = this.#ticks.get(id);
      if (stored === undefined) throw unknownTickError(id);
      const tick = withoutUndefined({ ...stored, ...structuredClone(update), id });
      const previous = this.#newestTicks(tick.instigatorName).find((t) => t.id !== id);
      if (previous?.id !== undefined && canCoalesce(previous, tick)) {
        const merged = coalesceTicks(previous, tick);
        this.#ticks.set(previous.id, merged);
        this.#ticks.delete(id);
        return structuredClone(merged);
      }
      this.#ticks.set(id, tick);
      return structuredClone(tick);
    });
  }

  /** Deletes ticks whose last evaluation is before `options.before`; returns the count. */
  deleteTicks(options: DeleteTicksOptions): Promise<number> {
    return this.#call(() => {
      let deleted = 0;
      for (const [id, tick] of this.#ticks) {
        if (options.instigatorName !== undefined && tick.instigatorName !== options.instigatorName) continue;
        if ((tick.lastTimestamp ?? tick.timestamp) >= options.before) continue;
        deleted++;
        if (options.dryRun !== true) this.#ticks.delete(id);
      }
      return deleted;
    });
  }

  /** Ticks of one instigator, newest first (default limit 100). */
  listTicks(name: string, options: { limit?: number } = {}): Promise<TickRecord[]> {
    return this.#call(() => {
      const limit = checkLimit(options.limit, DEFAULT_TICK_LIMIT) ?? DEFAULT_TICK_LIMIT;
      return this.#newestTicks(name)
        .slice(0, limit)
        .map((tick) => structuredClone(tick));
    });
  }

  /** The newest tick that launched `runId` (of `options.instigatorName` when given), or undefined. */
  getTickByRunId(runId: string, options: { instigatorName?: string } = {}): Promise<TickRecord | undefined> {
    return this.#call(() => {
      const found = [...this.#ticks.values()]
        .filter(
          (tick) =>
            tick.runIds.includes(runId) &&
            (options.instigatorName === undefined || tick.instigatorName === options.instigatorName),
        )
        .sort((a, b) => b.timestamp - a.timestamp || (b.id ?? 0) - (a.id ?? 0))[0];
      return found === undefined ? undefined : structuredClone(found);
    });
  }

  #newestTicks(name: string): TickRecord[] {
    return [...this.#ticks.values()]
      .filter((tick) => tick.instigatorName === name)
      .sort((a, b) => b.timestamp - a.timestamp || (b.id ?? 0) - (a.id ?? 0));
  }

  /** Claims a run key; true for the first claim only. */
  claimRunKey(instigatorName: string, runKey: string, runId: string): Promise<boolean> {
    return this.#call(() => {
      let keys = this.#runKeys.get(instigatorName);
      if (keys === undefined) {
        keys = new Map();
        this.#runKeys.set(instigatorName, keys);
      }
      if (keys.has(runKey)) return false;
      keys.set(runKey, runId);
      return true;
    });
  }

  /** The run id a run key was claimed with, or undefined. */
  getRunIdForKey(instigatorName: string, runKey: string): Promise<string | undefined> {
    return this.#call(() => this.#runKeys.get(instigatorName)?.get(runKey));
  }

  /** Records that a daemon is alive at `timestamp`. */
  recordHeartbeat(daemonId: string, timestamp: number): Promise<void> {
    return this.#call(() => {
      this.#heartbeats.set(daemonId, timestamp);
    });
  }

  /** The most recent heartbeat of any daemon, or undefined. */
  latestHeartbeat(): Promise<{ daemonId: string; timestamp: number } | undefined> {
    return this.#call(() => {
      let latest: { daemonId: string; timestamp: number } | undefined;
      for (const [daemonId, timestamp] of this.#heartbeats) {
        if (
          latest === undefined ||
          timestamp > latest.timestamp ||
          (timestamp === latest.timestamp && daemonId < latest.daemonId)
        ) {
          latest = { daemonId, timestamp };
        }
      }
      return latest;
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

  #call<T>(fn: () => T): Promise<T> {
    // Errors thrown inside the executor reject the promise.
    return new Promise((resolve) => {
      throwIfClosed(this.#closed, 'schedule storage');
      resolve(fn());
    });
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
