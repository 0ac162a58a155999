/**
 * The storage seams of the orchestrator. Each interface has a SQLite implementation (the
 * embedded default) and a shared contract suite under test/contracts/ that every implementation
 * must pass (PostgreSQL comes later).
 */
import type { EventRecord, EventType, RunRecord, RunStatus, StoredEvent } from '../events/event-types.js';

/** Filter for {@link RunStorage.listRuns}. */
export interface RunFilter {
  statuses?: readonly RunStatus[];
  jobName?: string;
  /** Every given tag must match exactly. */
  tags?: Readonly<Record<string, string>>;
  /** Newest first; default 100. */
  limit?: number;
  /** Only runs created before this run (for paging). */
  beforeRunId?: string;
}

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
  addRun(run: RunRecord): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** Applies an update; `expectedStatus` makes it a compare-and-set (returns false when the status differed). */
  updateRun(runId: string, update: RunUpdate, expectedStatus?: RunStatus): Promise<boolean>;
  deleteRun(runId: string): Promise<void>;
  close(): Promise<void>;
}

/** Filter for {@link EventLogStorage.getEvents}. */
export interface EventFilter {
  runId?: string;
  types?: readonly EventType[];
  assetKey?: string;
  /** Only events with id greater than this (for tailing). */
  afterId?: number;
  limit?: number;
}

/** The latest materialization of an asset (per partition). */
export interface LatestMaterialization {
  assetKey: string;
  partition?: string;
  event: StoredEvent;
}

/** Stores events, and indexes materializations and check evaluations by asset. */
export interface EventLogStorage {
  /** Appends events in one transaction; returns their ids. */
  appendEvents(events: readonly EventRecord[]): Promise<number[]>;
  getEvents(filter: EventFilter): Promise<StoredEvent[]>;
  /** The latest materialization per asset key (and partition), for the given keys (all when omitted). */
  latestMaterializations(assetKeys?: readonly string[]): Promise<LatestMaterialization[]>;
  deleteEventsOfRun(runId: string): Promise<void>;
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
}

/** Stores sensor/schedule state, ticks, run keys already launched, and the daemon heartbeat. */
export interface ScheduleStorage {
  getInstigatorState(name: string): Promise<InstigatorState | undefined>;
  listInstigatorStates(): Promise<InstigatorState[]>;
  setInstigatorState(state: InstigatorState): Promise<void>;
  addTick(tick: TickRecord): Promise<number>;
  updateTick(id: number, update: Partial<TickRecord>): Promise<void>;
  listTicks(name: string, options?: { limit?: number }): Promise<TickRecord[]>;
  /** Claims a run key for an instigator; false when it was claimed before (exactly-once launch). */
  claimRunKey(instigatorName: string, runKey: string, runId: string): Promise<boolean>;
  getRunIdForKey(instigatorName: string, runKey: string): Promise<string | undefined>;
  recordHeartbeat(daemonId: string, timestamp: number): Promise<void>;
  latestHeartbeat(): Promise<{ daemonId: string; timestamp: number } | undefined>;
  close(): Promise<void>;
}
