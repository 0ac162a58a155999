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
import type { Clock } from '../../clock.js';
import { eventLogNotifier } from '../events/event-log-notifier.js';
import type { EventRecord } from '../events/event-types.js';
import type { EventLogStorage } from '../storage/storage-types.js';

/** Options of {@link EventWriter}. */
export interface EventWriterOptions {
  events: EventLogStorage;
  /** Called synchronously for each event before it is stored (live progress). Default none. */
  onEvent?: (event: EventRecord) => void;
}

/**
 * An ordered event appender. Events emitted in the same tick are appended together, in one
 * storage call (one transaction for SQLite); the next batch starts when the previous one is stored.
 */
export class EventWriter {
  readonly #events: EventLogStorage;
  readonly #onEvent: ((event: EventRecord) => void) | undefined;
  #buffer: EventRecord[] = [];
  #tail: Promise<void> = Promise.resolve();
  #scheduled = false;
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
    this.#buffer.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#tail = this.#tail.then(() => this.#drain());
    }
    return this.#tail;
  }

  async #drain(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#buffer;
    this.#buffer = [];
    if (batch.length === 0 || this.#error !== undefined) return;
    try {
      await this.#events.appendEvents(batch);
      eventLogNotifier(this.#events).notify(); // run handles in this process read them now
    } catch (error) {
      this.#error = error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Waits for every queued event; throws the first storage error, if any. */
  async flush(): Promise<void> {
    while (this.#scheduled || this.#buffer.length > 0) await this.#tail;
    await this.#tail;
    if (this.#error !== undefined) throw this.#error;
  }
}

/** Emits one event of a run (run id and timestamp filled in); settles when it is stored. */
export type RunEventEmitter = (event: Omit<EventRecord, 'runId' | 'timestamp'>) => Promise<void>;

/**
 * An emitter of `runId`'s events through `writer`, stamped by `clock`.
 *
 * @example
 * ```ts
 * const emit = runEventEmitter(writer, runId, instance.clock);
 * void emit({ type: 'LOG', stepKey: 'model', level: 'INFO', message: 'hello' });
 * ```
 */
export function runEventEmitter(writer: EventWriter, runId: string, clock: Clock): RunEventEmitter {
  return (event) => writer.emit({ runId, timestamp: clock.now(), ...event });
}
