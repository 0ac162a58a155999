/**
 * The event log in memory: the second implementation of {@link EventLogStorage}, with the same
 * latest-materialization index as the SQLite one.
 *
 * @example
 * ```ts
 * const events = new MemoryEventLogStorage();
 * await events.appendEvents([{ runId, type: 'RUN_START', timestamp: Date.now(), message: 'started' }]);
 * ```
 */
import type { EventRecord, StoredEvent } from '../../events/event-types.js';
import type { EventFilter, EventLogStorage, LatestMaterialization } from '../storage-types.js';
import { assetOfEvent, checkLimit, throwIfClosed } from '../storage-guards.js';

/** {@link EventLogStorage} in memory. */
export class MemoryEventLogStorage implements EventLogStorage {
  #events: StoredEvent[] = [];
  /** asset key -> partition ('' when none) -> latest materialization event. */
  readonly #latest = new Map<string, Map<string, StoredEvent>>();
  #nextId = 1;
  #closed = false;

  /** Appends events; returns their ids (increasing, in the given order). */
  appendEvents(events: readonly EventRecord[]): Promise<number[]> {
    return this.#call(() => {
      const stored = events.map((event) => ({ ...structuredClone(event), id: this.#nextId++ }));
      for (const event of stored) {
        this.#events.push(event);
        this.#index(event);
      }
      return stored.map((event) => event.id);
    });
  }

  /** Events matching every given filter, in write order or reversed (same `assetKey` rule as SQLite). */
  getEvents(filter: EventFilter): Promise<StoredEvent[]> {
    return this.#call(() => {
      const limit = checkLimit(filter.limit);
      const matches: StoredEvent[] = [];
      const ordered = filter.order === 'NEWEST_FIRST' ? [...this.#events].reverse() : this.#events;
      for (const event of ordered) {
        if (limit !== undefined && matches.length >= limit) break;
        if (filter.beforeId !== undefined && event.id >= filter.beforeId) continue;
        if (filter.runId !== undefined && event.runId !== filter.runId) continue;
        if (filter.types !== undefined && !filter.types.includes(event.type)) continue;
        if (filter.afterId !== undefined && event.id <= filter.afterId) continue;
        if (filter.assetKey !== undefined && assetOfEvent(event).assetKey !== filter.assetKey) continue;
        matches.push(structuredClone(event));
      }
      return matches;
    });
  }

  /** The latest materialization per asset key and partition, sorted by key then partition. */
  latestMaterializations(assetKeys?: readonly string[]): Promise<LatestMaterialization[]> {
    return this.#call(() => {
      const keys = (assetKeys === undefined ? [...this.#latest.keys()] : [...new Set(assetKeys)]).sort(
        compare,
      );
      const result: LatestMaterialization[] = [];
      for (const assetKey of keys) {
        const partitions = this.#latest.get(assetKey);
        if (partitions === undefined) continue;
        for (const partition of [...partitions.keys()].sort(compare)) {
          const event = partitions.get(partition);
          if (event === undefined) continue;
          const latest: LatestMaterialization = { assetKey, event: structuredClone(event) };
          if (partition !== '') latest.partition = partition;
          result.push(latest);
        }
      }
      return result;
    });
  }

  /** Deletes the events of a run; the latest-materialization index falls back to older runs. */
  deleteEventsOfRun(runId: string): Promise<void> {
    return this.#call(() => {
      this.#events = this.#events.filter((event) => event.runId !== runId);
      this.#latest.clear();
      for (const event of this.#events) this.#index(event);
    });
  }

  /** The distinct run ids that have events, sorted. */
  listRunIdsWithEvents(): Promise<string[]> {
    return this.#call(() => [...new Set(this.#events.map((event) => event.runId))].sort(compare));
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

  #index(event: StoredEvent): void {
    if (event.type !== 'ASSET_MATERIALIZATION' || event.materialization === undefined) return;
    const { assetKey, partition } = event.materialization;
    let partitions = this.#latest.get(assetKey);
    if (partitions === undefined) {
      partitions = new Map();
      this.#latest.set(assetKey, partitions);
    }
    partitions.set(partition ?? '', event);
  }

  #call<T>(fn: () => T): Promise<T> {
    // Errors thrown inside the executor reject the promise.
    return new Promise((resolve) => {
      throwIfClosed(this.#closed, 'event log storage');
      resolve(fn());
    });
  }
}

/** Binary (code unit) order, the same as SQLite's default collation. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
