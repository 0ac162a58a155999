/**
 * In-process notification that events were appended to an event log storage, so that a run
 * handle following a run executed in this process wakes as soon as the run writes, instead of
 * waiting for its next poll. One notifier per storage object. Writes of other processes reach it
 * only when the storage pushes (PostgreSQL's NOTIFY, relayed by the Instance); otherwise handles
 * poll the storage for those. `count` and `next(signal, since)` let a reader that looked at the
 * storage catch a notification sent between its look and its wait.
 *
 * @example
 * ```ts
 * const notifier = eventLogNotifier(instance.events);
 * const next = notifier.next(signal); // resolves at the next append in this process
 * await appendRunEvents(instance.events, [event]); // appends, then wakes `next`
 * ```
 */
import type { EventRecord } from './event-types.js';
import type { EventLogStorage } from '../storage/storage-types.js';

/** Wakes waiters when events are appended to one storage in this process. */
export interface EventLogNotifier {
  /**
   * Resolves at the next {@link EventLogNotifier.notify} — at once when `since` is given and
   * notifications came after `count` was `since` (never rejects; an aborted wait just stops listening).
   */
  next(signal?: AbortSignal, since?: number): Promise<void>;
  /** Wakes every waiter. */
  notify(): void;
  /** How many notifications were sent so far (read it before looking at the storage, pass it to `next`). */
  readonly count: number;
}

const notifiers = new WeakMap<EventLogStorage, EventLogNotifier>();

function createNotifier(): EventLogNotifier {
  const waiters = new Set<() => void>();
  let count = 0;
  return {
    get count() {
      return count;
    },
    next: (signal, since) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted === true || (since !== undefined && count > since)) {
          resolve();
          return;
        }
        const wake = (): void => {
          waiters.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        waiters.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      }),
    notify: () => {
      count++;
      for (const wake of [...waiters]) wake();
    },
  };
}

/** The notifier of `events` (created on first use). */
export function eventLogNotifier(events: EventLogStorage): EventLogNotifier {
  let notifier = notifiers.get(events);
  if (notifier === undefined) {
    notifier = createNotifier();
    notifiers.set(events, notifier);
  }
  return notifier;
}

/**
 * Appends events (one transaction, as `appendEvents`) and wakes this process's waiters on the storage.
 *
 * @example
 * ```ts
 * await appendRunEvents(instance.events, [{ runId, type: 'RUN_CANCELED', timestamp: now, message: 'canceled' }]);
 * ```
 */
export async function appendRunEvents(
  events: EventLogStorage,
  records: readonly EventRecord[],
): Promise<number[]> {
  const ids = await events.appendEvents(records);
  eventLogNotifier(events).notify();
  return ids;
}
