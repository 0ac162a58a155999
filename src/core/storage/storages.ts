/**
 * The three storages an instance needs, as one bundle with one `close()`, plus what a bundle may
 * offer beyond them: wake-ups pushed when any process writes (`subscribe`, PostgreSQL's
 * LISTEN/NOTIFY), and how event writers should buffer appends (`eventBuffering`).
 *
 * @example
 * ```ts
 * const storages = openSqliteStorages({ path: '.lakeloop/lakeloop.db' });
 * await storages.runs.addRun(run);
 * const stop = storages.subscribe?.('runs', (runId) => console.log('run changed', runId));
 * await storages.close();
 * ```
 */
import type { EventLogStorage, RunStorage, ScheduleStorage } from './storage-types.js';

/**
 * What a bundle can push: `'events'` — events of a run were appended; `'runs'` — a run was added
 * or changed status.
 */
export type StorageTopic = 'events' | 'runs';

/** Called with the run id a write was about, or undefined when anything may have changed (a reconnect). */
export type StorageWake = (runId: string | undefined) => void;

/**
 * How an event writer buffers a run's events for one storage: each step's events go in one
 * append, written when the step ends (or the run does), when `maxEvents` are waiting, or
 * `maxDelayMs` after the first one waiting, whichever comes first.
 */
export interface EventBufferingPolicy {
  maxEvents: number;
  maxDelayMs: number;
}

/** Run, event log and schedule storage of one instance, closed together. */
export interface Storages {
  runs: RunStorage;
  events: EventLogStorage;
  schedules: ScheduleStorage;
  /** Closes the three storages and what they share (for SQLite: the database connection). */
  close(): Promise<void>;
  /**
   * Present when the storage pushes: calls `onWake` soon after any process, on any host, writes on
   * `topic` (and with undefined when notifications may have been lost); returns the unsubscribe.
   * Readers keep a slow poll as a fallback. Absent (SQLite, memory): readers poll.
   */
  subscribe?(topic: StorageTopic, onWake: StorageWake): () => void;
  /** Present when appends are costly per call (a network round trip): how to buffer them. Absent: no buffering. */
  eventBuffering?: EventBufferingPolicy;
}
