/**
 * Writes a run's events to the event log in order (appends chained so that asynchronous log
 * lines never overtake step events) and tells an optional listener first. By default the events
 * emitted in one tick go in one append. With a buffering policy (the storage bundle's
 * `eventBuffering`, e.g. PostgreSQL's, where each append is a network round trip) a step's events
 * wait and go in one multi-row append when the step ends (or at any run-level event), when
 * `maxEvents` are waiting, or `maxDelayMs` after the first one, and always on `flush()`.
 *
 * @example
 * ```ts
 * const writer = new EventWriter({ events: instance.events, buffering: instance.storages.eventBuffering });
 * void writer.emit({ runId, type: 'RUN_START', timestamp: Date.now(), message: 'started' });
 * await writer.flush();
 * ```
 */
import type { Clock } from '../../clock.js';
import { eventLogNotifier } from '../events/event-log-notifier.js';
import type { EventRecord, EventType } from '../events/event-types.js';
import type { EventBufferingPolicy } from '../storage/storages.js';
import type { EventLogStorage } from '../storage/storage-types.js';

/** Options of {@link EventWriter}. */
export interface EventWriterOptions {
  events: EventLogStorage;
  /** Called synchronously for each event before it is stored (live progress). Default none. */
  onEvent?: (event: EventRecord) => void;
  /** Buffer a step's events (see the module comment). Default none: each tick's events go in one append. */
  buffering?: EventBufferingPolicy;
}

/** Step events after which a buffered writer appends at once: the step ended (or waits for a retry). */
const STEP_END_TYPES: ReadonlySet<EventType> = new Set([
  'STEP_SUCCESS',
  'STEP_FAILURE',
  'STEP_SKIPPED',
  'STEP_UP_FOR_RETRY',
]);

/** Whether a buffered writer appends at once after `event`: a step's end, or any run-level event. */
function endsBatch(event: EventRecord): boolean {
  return event.stepKey === undefined || STEP_END_TYPES.has(event.type);
}

/**
 * An ordered event appender. Events emitted in the same tick are appended together, in one
 * storage call (one transaction); the next batch starts when the previous one is stored.
 */
export class EventWriter {
  readonly #events: EventLogStorage;
  readonly #onEvent: ((event: EventRecord) => void) | undefined;
  readonly #buffering: EventBufferingPolicy | undefined;
  #buffer: EventRecord[] = [];
  #tail: Promise<void> = Promise.resolve();
  #scheduled = false;
  /** Holds back the scheduled append of a buffering writer until it opens (timer, batch end, flush). */
  #gate: { open: () => void; timer: NodeJS.Timeout } | undefined;
  #error: Error | undefined;

  constructor(options: EventWriterOptions) {
    this.#events = options.events;
    this.#onEvent = options.onEvent;
    this.#buffering = options.buffering;
  }

  /** Queues an event; the promise settles when it (and all before it) are stored. */
  emit(event: EventRecord): Promise<void> {
    try {
      this.#onEvent?.(event);
    } catch {
      // a listener's failure must not break the run
    }
    this.#buffer.push(event);
    const buffering = this.#buffering;
    if (buffering === undefined || endsBatch(event) || this.#buffer.length >= buffering.maxEvents) {
      this.#openGate();
      this.#schedule();
    } else if (!this.#scheduled) {
      this.#scheduleGated(buffering.maxDelayMs);
    }
    return this.#tail;
  }

  /** Schedules an append of whatever is buffered once the previous one is stored. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#tail = this.#tail.then(() => this.#drain());
  }

  /** Schedules an append that waits for the gate (opened after `delayMs` at the latest). */
  #scheduleGated(delayMs: number): void {
    const opened = new Promise<void>((resolve) => {
      const open = (): void => {
        clearTimeout(timer);
        if (this.#gate?.open === open) this.#gate = undefined;
        resolve();
      };
      const timer = setTimeout(open, delayMs);
      this.#gate = { open, timer };
    });
    this.#scheduled = true;
    this.#tail = this.#tail.then(() => opened).then(() => this.#drain());
  }

  #openGate(): void {
    this.#gate?.open();
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

  /** Appends everything queued now and waits for it; throws the first storage error, if any. */
  async flush(): Promise<void> {
    this.#openGate();
    while (this.#scheduled || this.#buffer.length > 0) {
      if (!this.#scheduled) this.#schedule();
      this.#openGate();
      await this.#tail;
    }
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
