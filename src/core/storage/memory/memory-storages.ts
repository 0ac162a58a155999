/**
 * In-memory storages: nothing touches disk; for `Instance.ephemeral()` and tests.
 *
 * @example
 * ```ts
 * const storages = createMemoryStorages({ clock: manualClock(0) });
 * await storages.runs.addRun(run);
 * ```
 */
import type { Clock } from '../../../clock.js';
import type { Storages } from '../storages.js';
import { MemoryEventLogStorage } from './memory-event-log-storage.js';
import { MemoryRunStorage } from './memory-run-storage.js';
import { MemoryScheduleStorage } from './memory-schedule-storage.js';

/** Options of {@link createMemoryStorages}. */
export interface MemoryStoragesOptions {
  /** Source of `updatedAt` on run updates. Default: the system clock. */
  clock?: Clock;
}

/** Memory storages of one instance. */
export interface MemoryStorages extends Storages, AsyncDisposable {
  runs: MemoryRunStorage;
  events: MemoryEventLogStorage;
  schedules: MemoryScheduleStorage;
}

/** Creates empty in-memory run, event log and schedule storages. */
export function createMemoryStorages(options: MemoryStoragesOptions = {}): MemoryStorages {
  const runs = new MemoryRunStorage({ clock: options.clock });
  const events = new MemoryEventLogStorage();
  const schedules = new MemoryScheduleStorage();
  const close = async (): Promise<void> => {
    await Promise.all([runs.close(), events.close(), schedules.close()]);
  };
  return { runs, events, schedules, close, [Symbol.asyncDispose]: close };
}
