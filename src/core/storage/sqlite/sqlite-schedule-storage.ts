/**
 * Sensor and schedule state in SQLite: instigator states (status, cursor), ticks, claimed run
 * keys (a primary key makes each claim exactly-once, also across processes) and daemon heartbeats.
 *
 * @example
 * ```ts
 * const schedules = openSqliteScheduleStorage({ path: '.lakeloop/lakeloop.db' });
 * if (await schedules.claimRunKey('new_data_sensor', commitId, runId)) await launch(runId);
 * ```
 */
import { systemClock } from '../../../clock.js';
import type { Clock } from '../../../clock.js';
import type { SqliteDatabase } from '../../../util/sqlite-database.js';
import type {
  DeleteTicksOptions,
  InstigatorState,
  InstigatorStatus,
  InstigatorType,
  ScheduleStorage,
  TickRecord,
} from '../storage-types.js';
import {
  canCoalesce,
  checkLimit,
  coalesceTicks,
  DEFAULT_TICK_LIMIT,
  unknownTickError,
} from '../storage-guards.js';
import { openStorageDatabase } from './sqlite-open.js';
import type { OpenSqliteStorageOptions } from './sqlite-open.js';
import { SqliteConnectionGuard } from './sqlite-connection-guard.js';
import { StatementCache } from '../../../util/statement-cache.js';

/** Options of {@link SqliteScheduleStorage}. */
export interface SqliteScheduleStorageOptions {
  /** An open, migrated database (see `openStorageDatabase`). */
  db: SqliteDatabase;
  /** Source of the time a run key is claimed. Default: the system clock. */
  clock?: Clock;
  /** Whether `close()` closes `db`. Default false (the owner of `db` closes it). */
  ownsDatabase?: boolean;
}

interface InstigatorRow {
  name: string;
  type: InstigatorType;
  status: InstigatorStatus | null;
  cursor: string | null;
  last_tick_at: number | null;
  updated_at: number;
}

const SELECT_INSTIGATOR = 'SELECT * FROM instigators WHERE name = ?';
const LIST_INSTIGATORS = 'SELECT * FROM instigators ORDER BY name';
const UPSERT_INSTIGATOR = `INSERT INTO instigators (name, type, status, cursor, last_tick_at, updated_at)
  VALUES (@name, @type, @status, @cursor, @lastTickAt, @updatedAt)
  ON CONFLICT (name) DO UPDATE SET type = excluded.type, status = excluded.status, cursor = excluded.cursor,
  last_tick_at = excluded.last_tick_at, updated_at = excluded.updated_at`;
const INSERT_TICK = 'INSERT INTO ticks (instigator_name, timestamp, status, body) VALUES (?, ?, ?, ?)';
const SELECT_TICK = 'SELECT id, body FROM ticks WHERE id = ?';
const UPDATE_TICK = 'UPDATE ticks SET instigator_name = ?, timestamp = ?, status = ?, body = ? WHERE id = ?';
const LIST_TICKS = `SELECT id, body FROM ticks WHERE instigator_name = ?
  ORDER BY timestamp DESC, id DESC LIMIT ?`;
const TICK_BY_RUN_ID = `SELECT t.id, t.body FROM tick_runs r JOIN ticks t ON t.id = r.tick_id
  WHERE r.run_id = ? AND (? IS NULL OR t.instigator_name = ?)
  ORDER BY t.timestamp DESC, t.id DESC LIMIT 1`;
const PREVIOUS_TICK = `SELECT id, body FROM ticks WHERE instigator_name = ? AND id <> ?
  ORDER BY timestamp DESC, id DESC LIMIT 1`;
const DELETE_TICK = 'DELETE FROM ticks WHERE id = ?';
// A tick's last evaluation: `lastTimestamp` of a coalesced tick, else its `timestamp` column.
const TICK_LAST_TIME = "coalesce(json_extract(body, '$.lastTimestamp'), timestamp)";
/** Ticks deleted per transaction by deleteTicks (short write locks: the daemon keeps ticking). */
const DELETE_TICKS_BATCH = 2_000;
const CLAIM_RUN_KEY = `INSERT INTO run_keys (instigator_name, run_key, run_id, claimed_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (instigator_name, run_key) DO NOTHING`;
const SELECT_RUN_KEY = 'SELECT run_id FROM run_keys WHERE instigator_name = ? AND run_key = ?';
const UPSERT_HEARTBEAT = `INSERT INTO daemon_heartbeats (daemon_id, timestamp) VALUES (?, ?)
  ON CONFLICT (daemon_id) DO UPDATE SET timestamp = excluded.timestamp`;
const LATEST_HEARTBEAT = `SELECT daemon_id, timestamp FROM daemon_heartbeats
  ORDER BY timestamp DESC, daemon_id LIMIT 1`;

/** {@link ScheduleStorage} on a SQLite database. */
export class SqliteScheduleStorage implements ScheduleStorage {
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  readonly #guard: SqliteConnectionGuard;
  readonly #statements: StatementCache;
  readonly #updateTick: (id: number, update: Partial<TickRecord>) => void;
  readonly #finishTick: (id: number, update: Partial<TickRecord>) => TickRecord;

  /** Wraps an open database; see {@link openSqliteScheduleStorage} to open a file. */
  constructor(options: SqliteScheduleStorageOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? systemClock;
    this.#guard = new SqliteConnectionGuard({
      db: options.db,
      ownsDatabase: options.ownsDatabase ?? false,
      label: 'schedule storage',
    });
    this.#statements = new StatementCache(this.#db);
    const updateTick = this.#db.transaction((id: number, update: Partial<TickRecord>) => {
      const row = this.#statements.get(SELECT_TICK).get(id) as { id: number; body: string } | undefined;
      if (row === undefined) throw unknownTickError(id);
      const tick: TickRecord = { ...(JSON.parse(row.body) as TickRecord), ...update, id };
      this.#statements
        .get(UPDATE_TICK)
        .run(tick.instigatorName, tick.timestamp, tick.status, JSON.stringify(tick), id);
    });
    this.#updateTick = (id, update) => {
      updateTick.immediate(id, update);
    };
    const finishTick = this.#db.transaction((id: number, update: Partial<TickRecord>) => {
      const row = this.#statements.get(SELECT_TICK).get(id) as { id: number; body: string } | undefined;
      if (row === undefined) throw unknownTickError(id);
      const tick: TickRecord = { ...(JSON.parse(row.body) as TickRecord), ...update, id };
      const previousRow = this.#statements.get(PREVIOUS_TICK).get(tick.instigatorName, id) as
        { id: number; body: string } | undefined;
      const previous =
        previousRow === undefined
          ? undefined
          : { ...(JSON.parse(previousRow.body) as TickRecord), id: previousRow.id };
      if (previous !== undefined && canCoalesce(previous, tick)) {
        const merged = coalesceTicks(previous, tick);
        const { id: _ignored, ...body } = merged;
        this.#statements
          .get(UPDATE_TICK)
          .run(merged.instigatorName, merged.timestamp, merged.status, JSON.stringify(body), previous.id);
        this.#statements.get(DELETE_TICK).run(id);
        return merged;
      }
      const { id: _ignored, ...body } = tick;
      this.#statements
        .get(UPDATE_TICK)
        .run(tick.instigatorName, tick.timestamp, tick.status, JSON.stringify(body), id);
      return tick;
    });
    this.#finishTick = (id, update) => finishTick.immediate(id, update);
  }

  /** The stored state of a sensor or schedule, or undefined. */
  getInstigatorState(name: string): Promise<InstigatorState | undefined> {
    return this.#guard.call(() => {
      const row = this.#statements.get(SELECT_INSTIGATOR).get(name) as InstigatorRow | undefined;
      return row === undefined ? undefined : rowToState(row);
    });
  }

  /** Every stored instigator state, by name. */
  listInstigatorStates(): Promise<InstigatorState[]> {
    return this.#guard.call(() =>
      (this.#statements.get(LIST_INSTIGATORS).all() as InstigatorRow[]).map(rowToState),
    );
  }

  /** Creates or replaces the state of a sensor or schedule. */
  setInstigatorState(state: InstigatorState): Promise<void> {
    return this.#guard.call(() => {
      this.#statements.get(UPSERT_INSTIGATOR).run({
        name: state.name,
        type: state.type,
        status: state.status ?? null,
        cursor: state.cursor ?? null,
        lastTickAt: state.lastTickAt ?? null,
        updatedAt: state.updatedAt,
      });
    });
  }

  /** Stores a tick (its `id` is ignored) and returns its new id. */
  addTick(tick: TickRecord): Promise<number> {
    return this.#guard.call(() => {
      const { id: _ignored, ...body } = tick;
      return Number(
        this.#statements
          .get(INSERT_TICK)
          .run(tick.instigatorName, tick.timestamp, tick.status, JSON.stringify(body)).lastInsertRowid,
      );
    });
  }

  /** Merges `update` into a tick; throws NOT_FOUND for an unknown id. */
  updateTick(id: number, update: Partial<TickRecord>): Promise<void> {
    return this.#guard.call(() => {
      this.#updateTick(id, update);
    });
  }

  /** Merges the final update into a tick, coalescing repeated SKIPPED ticks (see {@link ScheduleStorage.finishTick}). */
  finishTick(id: number, update: Partial<TickRecord>): Promise<TickRecord> {
    return this.#guard.call(() => this.#finishTick(id, update));
  }

  /** Deletes ticks whose last evaluation is before `options.before`, in short batches; returns the count. */
  deleteTicks(options: DeleteTicksOptions): Promise<number> {
    return this.#guard.call(() => {
      const where = `${TICK_LAST_TIME} < ?${options.instigatorName === undefined ? '' : ' AND instigator_name = ?'}`;
      const params: unknown[] = [options.before];
      if (options.instigatorName !== undefined) params.push(options.instigatorName);
      if (options.dryRun === true) {
        const row = this.#statements.get(`SELECT count(*) AS n FROM ticks WHERE ${where}`).get(...params) as {
          n: number;
        };
        return row.n;
      }
      const batch = this.#statements.get(
        `DELETE FROM ticks WHERE id IN (SELECT id FROM ticks WHERE ${where} LIMIT ${DELETE_TICKS_BATCH})`,
      );
      let deleted = 0;
      for (;;) {
        const { changes } = batch.run(...params);
        deleted += changes;
        if (changes < DELETE_TICKS_BATCH) return deleted;
      }
    });
  }

  /** Ticks of one instigator, newest first (default limit 100). */
  listTicks(name: string, options: { limit?: number } = {}): Promise<TickRecord[]> {
    return this.#guard.call(() => {
      const limit = checkLimit(options.limit, DEFAULT_TICK_LIMIT) ?? DEFAULT_TICK_LIMIT;
      const rows = this.#statements.get(LIST_TICKS).all(name, limit) as { id: number; body: string }[];
      return rows.map((row) => ({ ...(JSON.parse(row.body) as TickRecord), id: row.id }));
    });
  }

  /** The newest tick that launched `runId` (of `options.instigatorName` when given), or undefined. */
  getTickByRunId(runId: string, options: { instigatorName?: string } = {}): Promise<TickRecord | undefined> {
    return this.#guard.call(() => {
      const name = options.instigatorName ?? null;
      const row = this.#statements.get(TICK_BY_RUN_ID).get(runId, name, name) as
        { id: number; body: string } | undefined;
      return row === undefined ? undefined : { ...(JSON.parse(row.body) as TickRecord), id: row.id };
    });
  }

  /** Claims a run key; true for the first claim only (exactly once, also across processes). */
  claimRunKey(instigatorName: string, runKey: string, runId: string): Promise<boolean> {
    return this.#guard.call(
      () =>
        this.#statements.get(CLAIM_RUN_KEY).run(instigatorName, runKey, runId, this.#clock.now()).changes ===
        1,
    );
  }

  /** The run id a run key was claimed with, or undefined. */
  getRunIdForKey(instigatorName: string, runKey: string): Promise<string | undefined> {
    return this.#guard.call(() => {
      const row = this.#statements.get(SELECT_RUN_KEY).get(instigatorName, runKey) as
        { run_id: string } | undefined;
      return row?.run_id;
    });
  }

  /** Records that a daemon is alive at `timestamp`. */
  recordHeartbeat(daemonId: string, timestamp: number): Promise<void> {
    return this.#guard.call(() => {
      this.#statements.get(UPSERT_HEARTBEAT).run(daemonId, timestamp);
    });
  }

  /** The most recent heartbeat of any daemon, or undefined. */
  latestHeartbeat(): Promise<{ daemonId: string; timestamp: number } | undefined> {
    return this.#guard.call(() => {
      const row = this.#statements.get(LATEST_HEARTBEAT).get() as
        { daemon_id: string; timestamp: number } | undefined;
      return row === undefined ? undefined : { daemonId: row.daemon_id, timestamp: row.timestamp };
    });
  }

  /** Stops using the storage (and closes the database when it owns it). */
  close(): Promise<void> {
    return this.#guard.close();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Opens (creating and migrating when needed) a SQLite file for schedule storage alone; `close()` closes it. */
export function openSqliteScheduleStorage(options: OpenSqliteStorageOptions): SqliteScheduleStorage {
  return new SqliteScheduleStorage({
    db: openStorageDatabase(options),
    clock: options.clock,
    ownsDatabase: true,
  });
}

function rowToState(row: InstigatorRow): InstigatorState {
  const state: InstigatorState = { name: row.name, type: row.type, updatedAt: row.updated_at };
  if (row.status !== null) state.status = row.status;
  if (row.cursor !== null) state.cursor = row.cursor;
  if (row.last_tick_at !== null) state.lastTickAt = row.last_tick_at;
  return state;
}
