/**
 * The storage seams of the orchestrator. Each interface has a SQLite implementation (the
 * embedded default), an in-memory one, and a shared contract suite under test/contracts/ that every
 * implementation must pass; PostgreSQL (postgres/) is the shared production one. Semantics: docs/storage.md.
 *
 * @example
 * ```ts
 * const storages = openSqliteStorages({ path: '.lakeloop/lakeloop.db' });
 * const runs: RunStorage = storages.runs;
 * ```
 */
import type { EventRecord, EventType, RunRecord, RunStatus, StoredEvent } from '../events/event-types.js';

/** Filter for {@link RunStorage.listRuns}. */
export interface RunFilter {
  statuses?: readonly RunStatus[];
  jobName?: string;
  /** Every given tag must match exactly. Give the most selective first (e.g. a commit id before a repository): it drives the look-up. */
  tags?: Readonly<Record<string, string>>;
  /** At most this many runs; default 100. */
  limit?: number;
  /** Only runs older than this run (by `createdAt`, ties by insertion order); for paging newest first. */
  beforeRunId?: string;
  /** Only runs newer than this run; for paging oldest first (e.g. a FIFO run queue). */
  afterRunId?: string;
  /** Listing order; default `'NEWEST_FIRST'`. */
  order?: RunOrder;
}

/** Order of {@link RunStorage.listRuns}: by `createdAt`, ties by insertion order. */
export type RunOrder = 'NEWEST_FIRST' | 'OLDEST_FIRST';

/** Partial update of a run record. */
export interface RunUpdate {
  status?: RunStatus;
  startedAt?: number;
  endedAt?: number;
  error?: RunRecord['error'];
  tags?: Record<string, string>;
}

/** Stores run records. */
export interface RunStorage {
  /** Adds a run; ALREADY_EXISTS when the id is taken. */
  addRun(run: RunRecord): Promise<void>;
  /** The run, or undefined for an unknown id. */
  getRun(runId: string): Promise<RunRecord | undefined>;
  /**
   * Runs matching the filter, newest first unless `order` says otherwise (by `createdAt`, ties by insertion
   * order); default limit 100; NOT_FOUND for an unknown `beforeRunId` or `afterRunId`.
   */
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /**
   * Applies an update (tags are merged into the run's tags; `updatedAt` is set from the storage's clock);
   * `expectedStatus` makes it a compare-and-set, atomic across processes (returns false, changing nothing,
   * when the status differed). NOT_FOUND for an unknown run.
   */
  updateRun(runId: string, update: RunUpdate, expectedStatus?: RunStatus): Promise<boolean>;
  /** Deletes the run and its tags (not its events); unknown ids are ignored. */
  deleteRun(runId: string): Promise<void>;
  /** Releases the storage; later calls fail with PRECONDITION_FAILED. */
  close(): Promise<void>;
}

/** Filter for {@link EventLogStorage.getEvents}. */
export interface EventFilter {
  runId?: string;
  types?: readonly EventType[];
  assetKey?: string;
  /** Only events with id greater than this (for tailing). */
  afterId?: number;
  /** Only events with id less than this (for paging backwards). */
  beforeId?: number;
  /** At most this many events (the first ones in `order`); default: all. */
  limit?: number;
  /** Default `'OLDEST_FIRST'` (write order); `'NEWEST_FIRST'` with `limit` gives the last N events. */
  order?: EventOrder;
}

/** Order of {@link EventLogStorage.getEvents}: by id (write order). */
export type EventOrder = 'OLDEST_FIRST' | 'NEWEST_FIRST';

/** The latest materialization of an asset (per partition). */
export interface LatestMaterialization {
  assetKey: string;
  partition?: string;
  event: StoredEvent;
}

/** Stores events, and indexes materializations and check evaluations by asset. */
export interface EventLogStorage {
  /** Appends events in one transaction (all or nothing); returns their ids, increasing and never reused. */
  appendEvents(events: readonly EventRecord[]): Promise<number[]>;
  /**
   * Events matching every given filter, in write order (or reversed, see `order`). `assetKey` matches the asset's materializations and
   * check evaluations, and step events whose `stepKey` is the asset key.
   */
  getEvents(filter: EventFilter): Promise<StoredEvent[]>;
  /**
   * The latest materialization per asset key (and partition), for the given keys (all when omitted), sorted by
   * key then partition; read from an index, not a scan of the log.
   */
  latestMaterializations(assetKeys?: readonly string[]): Promise<LatestMaterialization[]>;
  /** Deletes a run's events; the latest-materialization index falls back to older runs. */
  deleteEventsOfRun(runId: string): Promise<void>;
  /** The distinct run ids that have events, sorted (retention finds events whose run record is gone). */
  listRunIdsWithEvents(): Promise<string[]>;
  /** Releases the storage; later calls fail with PRECONDITION_FAILED. */
  close(): Promise<void>;
}

/** What kind of automation an instigator is. */
export type InstigatorType = 'SENSOR' | 'SCHEDULE';

/** Whether a sensor or schedule runs. */
export type InstigatorStatus = 'RUNNING' | 'STOPPED';

/** Stored state of a sensor or schedule. */
export interface InstigatorState {
  name: string;
  type: InstigatorType;
  /** Absent: the default declared in code applies. */
  status?: InstigatorStatus;
  cursor?: string;
  /** Epoch ms of the last evaluation (for minimum intervals and missed schedule ticks). */
  lastTickAt?: number;
  updatedAt: number;
}

/** Outcome of one tick. */
export type TickStatus = 'STARTED' | 'SKIPPED' | 'SUCCESS' | 'FAILURE';

/** One evaluation of a sensor or schedule. */
export interface TickRecord {
  id?: number;
  instigatorName: string;
  type: InstigatorType;
  timestamp: number;
  status: TickStatus;
  runKeys: string[];
  runIds: string[];
  skipReason?: string;
  error?: string;
  cursor?: string;
  /**
   * How many evaluations this tick stands for (absent: 1). Consecutive SKIPPED evaluations with the
   * same skip reason and cursor are coalesced into one tick by {@link ScheduleStorage.finishTick}.
   */
  count?: number;
  /** Epoch ms of the last evaluation a coalesced tick stands for (absent: `timestamp`). */
  lastTimestamp?: number;
}

/** Options of {@link ScheduleStorage.deleteTicks}. */
export interface DeleteTicksOptions {
  /** Deletes ticks whose last evaluation (`lastTimestamp`, else `timestamp`) is before this epoch ms. */
  before: number;
  /** Only this instigator's ticks. Default: every instigator. */
  instigatorName?: string;
  /** Only report how many would be deleted. Default false. */
  dryRun?: boolean;
}

/** Stores sensor/schedule state, ticks, run keys already launched, and the daemon heartbeat. */
export interface ScheduleStorage {
  /** The stored state, or undefined. */
  getInstigatorState(name: string): Promise<InstigatorState | undefined>;
  /** All stored states, by name. */
  listInstigatorStates(): Promise<InstigatorState[]>;
  /** Creates or replaces (whole record) the state of a sensor or schedule. */
  setInstigatorState(state: InstigatorState): Promise<void>;
  /** Stores a tick (any `id` given is ignored); returns its id. */
  addTick(tick: TickRecord): Promise<number>;
  /** Merges an update into a tick; NOT_FOUND for an unknown id. */
  updateTick(id: number, update: Partial<TickRecord>): Promise<void>;
  /**
   * Merges the final update into a tick, like `updateTick`, and coalesces: when the result is
   * SKIPPED and the instigator's newest other tick is SKIPPED with the same type, skip reason and
   * cursor, that tick absorbs this one (its `count` grows, its `lastTimestamp` becomes this tick's
   * `timestamp`) and this one is deleted, atomically. Returns the tick that now holds the
   * evaluation (its id is the absorbing tick's when coalesced). NOT_FOUND for an unknown id.
   */
  finishTick(id: number, update: Partial<TickRecord>): Promise<TickRecord>;
  /** Deletes old ticks (see {@link DeleteTicksOptions}); returns how many were (or would be) deleted. */
  deleteTicks(options: DeleteTicksOptions): Promise<number>;
  /** Ticks of one instigator, newest first (by timestamp); default limit 100. */
  listTicks(name: string, options?: { limit?: number }): Promise<TickRecord[]>;
  /**
   * The newest tick (by timestamp) whose `runIds` include `runId` — of `instigatorName` when given —
   * or undefined: the tick that launched a run, found by an index, not a scan of the ticks.
   */
  getTickByRunId(runId: string, options?: { instigatorName?: string }): Promise<TickRecord | undefined>;
  /** Claims a run key for an instigator; false when it was claimed before (exactly-once launch). */
  claimRunKey(instigatorName: string, runKey: string, runId: string): Promise<boolean>;
  /** The run id the key was first claimed with, or undefined. */
  getRunIdForKey(instigatorName: string, runKey: string): Promise<string | undefined>;
  /** Records that a daemon is alive at `timestamp`. */
  recordHeartbeat(daemonId: string, timestamp: number): Promise<void>;
  /** The newest heartbeat of any daemon, or undefined. */
  latestHeartbeat(): Promise<{ daemonId: string; timestamp: number } | undefined>;
  /** Releases the storage; later calls fail with PRECONDITION_FAILED. */
  close(): Promise<void>;
}
