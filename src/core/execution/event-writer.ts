/**
 * Writes a run's events to the event log in order (one append per event, chained so that
 * asynchronous log lines never overtake step events) and tells an optional listener first.
 *
 * @example
 * ```ts
 * const writer = new EventWriter({ events: instance.events, onEvent: (e) => console.log(e.type) });
 * void writer.emit({ runId, type: 'RUN_START', timestamp: Date.now(), message: 'started' });
 * await writer.flush();
 * ```
 */
import type { EventRecord } from '../events/event-types.js';
import type { EventLogStorage } from '../storage/storage-types.js';

/** Options of {@link EventWriter}. */
export interface EventWriterOptions {
  events: EventLogStorage;
  /** Called synchronously for each event before it is stored (live progress). Default none. */
  onEvent?: (event: EventRecord) => void;
}

/** An ordered event appender. */
export class EventWriter {
  readonly #events: EventLogStorage;
  readonly #onEvent: ((event: EventRecord) => void) | undefined;
  #tail: Promise<void> = Promise.resolve();
  #error: Error | undefined;

  constructor(options: EventWriterOptions) {
    this.#events = options.events;
    this.#onEvent = options.onEvent;
  }

  /** Queues an event; the promise settles when it (and all before it) are stored. */
  emit(event: EventRecord): Promise<void> {
    try {
      this.#onEvent?.(event);
    } catch {
      // a listener's failure must not break the run
    }
    this.#tail = this.#tail.then(async () => {
      if (this.#error !== undefined) return;
      try {
        await this.#events.appendEvents([event]);
      } catch (error) {
        this.#error = error instanceof Error ? error : new Error(String(error));
      }
    });
    return this.#tail;
  }

  /** Waits for every queued event; throws the first storage error, if any. */
  async flush(): Promise<void> {
    await this.#tail;
    if (this.#error !== undefined) throw this.#error;
  }
}
