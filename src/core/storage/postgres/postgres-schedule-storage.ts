/**
 * Sensor and schedule state in PostgreSQL: instigator states, ticks (a JSON body plus the columns
 * retention and look-ups need: last evaluation time, run ids in a GIN-indexed array), claimed run
 * keys (`INSERT ... ON CONFLICT DO NOTHING` on a primary key: exactly once across hosts) and
 * daemon heartbeats. `updateTick` locks the tick's row; `finishTick` also takes a transaction
 * advisory lock per instigator, so two hosts finishing ticks of one sensor coalesce one after the
 * other instead of both absorbing into the same tick.
 *
 * @example
 * ```ts
 * const storages = await openPostgresStorages({ url });
 * if (await storages.schedules.claimRunKey('new_data_sensor', commitId, runId)) await launch(runId);
 * ```
 */
import { systemClock } from '../../../clock.js';
import type { Clock } from '../../../clock.js';
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
import { PostgresStorageGuard } from './postgres-database.js';
import type { PostgresDatabase, PostgresQueryable } from './postgres-database.js';

/** Options of {@link PostgresScheduleStorage}. */
export interface PostgresScheduleStorageOptions {
  /** An open, migrated database (see openPostgresStorages). */
  db: PostgresDatabase;
  /** Source of the time a run key is claimed. Default: the system clock. */
  clock?: Clock;
}

interface InstigatorRow {
  name: string;
  type: InstigatorType;
  status: InstigatorStatus | null;
  cursor: string | null;
  last_tick_at: string | null;
  updated_at: string;
}

interface TickRow {
  id: string;
  body: string;
}

/** Ticks deleted per statement by deleteTicks (short transactions: the daemon keeps ticking). */
const DELETE_TICKS_BATCH = 2_000;
const TICK_LAST_TIME = 'coalesce(last_timestamp, timestamp)';

/** {@link ScheduleStorage} on PostgreSQL. */
export class PostgresScheduleStorage implements ScheduleStorage {
  readonly #db: PostgresDatabase;
  readonly #clock: Clock;
  readonly #guard = new PostgresStorageGuard('schedule storage');

  constructor(options: PostgresScheduleStorageOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? systemClock;
  }

  /** The stored state of a sensor or schedule, or undefined. */
  getInstigatorState(name: string): Promise<InstigatorState | undefined> {
    return this.#guard.call(async () => {
      const { rows } = await this.#db.query<InstigatorRow>('SELECT * FROM instigators WHERE name = $1', [
        name,
      ]);
      const row = rows[0];
      return row === undefined ? undefined : rowToState(row);
    });
  }

  /** Every stored instigator state, by name. */
  listInstigatorStates(): Promise<InstigatorState[]> {
    return this.#guard.call(async () => {
      const { rows } = await this.#db.query<InstigatorRow>('SELECT * FROM instigators ORDER BY name');
      return rows.map(rowToState);
    });
  }

  /** Creates or replaces the state of a sensor or schedule. */
  setInstigatorState(state: InstigatorState): Promise<void> {
    return this.#guard.call(async () => {
      await this.#db.query({
        name: 'lakeloop-upsert-instigator',
        text: `INSERT INTO instigators (name, type, status, cursor, last_tick_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (name) DO UPDATE SET type = excluded.type, status = excluded.status,
            cursor = excluded.cursor, last_tick_at = excluded.last_tick_at, updated_at = excluded.updated_at`,
        values: [
          state.name,
          state.type,
          state.status ?? null,
          state.cursor ?? null,
          state.lastTickAt ?? null,
          state.updatedAt,
        ],
      });
    });
  }

  /** Stores a tick (its `id` is ignored) and returns its new id. */
  addTick(tick: TickRecord): Promise<number> {
    return this.#guard.call(async () => {
      const { id: _ignored, ...body } = tick;
      const { rows } = await this.#db.query<{ id: string }>({
        name: 'lakeloop-add-tick',
        text: `INSERT INTO ticks (instigator_name, timestamp, last_timestamp, status, run_ids, body)
          VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        values: tickValues(body),
      });
      return Number(rows[0]?.id);
    });
  }

  /** Merges `update` into a tick; throws NOT_FOUND for an unknown id. */
  updateTick(id: number, update: Partial<TickRecord>): Promise<void> {
    return this.#guard.call(() =>
      this.#db.transaction(async (tx) => {
        const current = await selectTick(tx, id, true);
        if (current === undefined) throw unknownTickError(id);
        await writeTick(tx, id, { ...current, ...update, id });
      }),
    );
  }

  /** Merges the final update into a tick, coalescing repeated SKIPPED ticks (see {@link ScheduleStorage.finishTick}). */
  finishTick(id: number, update: Partial<TickRecord>): Promise<TickRecord> {
    return this.#guard.call(async () => {
      const unlocked = await selectTick(this.#db, id, false);
      if (unlocked === undefined) throw unknownTickError(id);
      return this.#db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `lakeloop:${this.#db.schema}:ticks:${unlocked.instigatorName}`,
        ]);
        const stored = await selectTick(tx, id, true);
        if (stored === undefined) throw unknownTickError(id);
        const tick: TickRecord = { ...stored, ...update, id };
        const { rows } = await tx.query<TickRow>(
          `SELECT id, body FROM ticks WHERE instigator_name = $1 AND id <> $2
           ORDER BY timestamp DESC, id DESC LIMIT 1 FOR UPDATE`,
          [tick.instigatorName, id],
        );
        const previousRow = rows[0];
        const previous = previousRow === undefined ? undefined : rowToTick(previousRow);
        if (previous?.id !== undefined && canCoalesce(previous, tick)) {
          const merged = coalesceTicks(previous, tick);
          await writeTick(tx, previous.id, merged);
          await tx.query('DELETE FROM ticks WHERE id = $1', [id]);
          return merged;
        }
        await writeTick(tx, id, tick);
        return tick;
      });
    });
  }

  /** Deletes ticks whose last evaluation is before `options.before`, in short batches; returns the count. */
  deleteTicks(options: DeleteTicksOptions): Promise<number> {
    return this.#guard.call(async () => {
      const params: unknown[] = [options.before];
      let where = `${TICK_LAST_TIME} < $1`;
      if (options.instigatorName !== undefined) {
        where += ' AND instigator_name = $2';
        params.push(options.instigatorName);
      }
      if (options.dryRun === true) {
        const { rows } = await this.#db.query<{ n: string }>(
          `SELECT count(*) AS n FROM ticks WHERE ${where}`,
          params,
        );
        return Number(rows[0]?.n ?? 0);
      }
      let deleted = 0;
      for (;;) {
        const { rowCount } = await this.#db.query(
          `DELETE FROM ticks WHERE id IN (SELECT id FROM ticks WHERE ${where} LIMIT ${DELETE_TICKS_BATCH})`,
          params,
        );
        deleted += rowCount ?? 0;
        if ((rowCount ?? 0) < DELETE_TICKS_BATCH) return deleted;
      }
    });
  }

  /** Ticks of one instigator, newest first (default limit 100). */
  listTicks(name: string, options: { limit?: number } = {}): Promise<TickRecord[]> {
    return this.#guard.call(async () => {
      const limit = checkLimit(options.limit, DEFAULT_TICK_LIMIT) ?? DEFAULT_TICK_LIMIT;
      const { rows } = await this.#db.query<TickRow>({
        name: 'lakeloop-list-ticks',
        text: 'SELECT id, body FROM ticks WHERE instigator_name = $1 ORDER BY timestamp DESC, id DESC LIMIT $2',
        values: [name, limit],
      });
      return rows.map(rowToTick);
    });
  }

  /** The newest tick that launched `runId` (of `options.instigatorName` when given), or undefined. */
  getTickByRunId(runId: string, options: { instigatorName?: string } = {}): Promise<TickRecord | undefined> {
    return this.#guard.call(async () => {
      const { rows } = await this.#db.query<TickRow>(
        `SELECT id, body FROM ticks WHERE run_ids @> ARRAY[$1::text] AND ($2::text IS NULL OR instigator_name = $2)
         ORDER BY timestamp DESC, id DESC LIMIT 1`,
        [runId, options.instigatorName ?? null],
      );
      const row = rows[0];
      return row === undefined ? undefined : rowToTick(row);
    });
  }

  /** Claims a run key; true for the first claim only (a primary key: exactly once across hosts). */
  claimRunKey(instigatorName: string, runKey: string, runId: string): Promise<boolean> {
    return this.#guard.call(async () => {
      const { rowCount } = await this.#db.query({
        name: 'lakeloop-claim-run-key',
        text: `INSERT INTO run_keys (instigator_name, run_key, run_id, claimed_at) VALUES ($1, $2, $3, $4)
          ON CONFLICT (instigator_name, run_key) DO NOTHING`,
        values: [instigatorName, runKey, runId, this.#clock.now()],
      });
      return rowCount === 1;
    });
  }

  /** The run id a run key was claimed with, or undefined. */
  getRunIdForKey(instigatorName: string, runKey: string): Promise<string | undefined> {
    return this.#guard.call(async () => {
      const { rows } = await this.#db.query<{ run_id: string }>(
        'SELECT run_id FROM run_keys WHERE instigator_name = $1 AND run_key = $2',
        [instigatorName, runKey],
      );
      return rows[0]?.run_id;
    });
  }

  /** Records that a daemon is alive at `timestamp`. */
  recordHeartbeat(daemonId: string, timestamp: number): Promise<void> {
    return this.#guard.call(async () => {
      await this.#db.query({
        name: 'lakeloop-heartbeat',
        text: `INSERT INTO daemon_heartbeats (daemon_id, timestamp) VALUES ($1, $2)
          ON CONFLICT (daemon_id) DO UPDATE SET timestamp = excluded.timestamp`,
        values: [daemonId, timestamp],
      });
    });
  }

  /** The most recent heartbeat of any daemon, or undefined. */
  latestHeartbeat(): Promise<{ daemonId: string; timestamp: number } | undefined> {
    return this.#guard.call(async () => {
      const { rows } = await this.#db.query<{ daemon_id: string; timestamp: string }>(
        'SELECT daemon_id, timestamp FROM daemon_heartbeats ORDER BY timestamp DESC, daemon_id LIMIT 1',
      );
      const row = rows[0];
      return row === undefined ? undefined : { daemonId: row.daemon_id, timestamp: Number(row.timestamp) };
    });
  }

  /** Stops using the storage (the bundle closes the pool). */
  close(): Promise<void> {
    this.#guard.close();
    return Promise.resolve();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The tick with this id (locked for the transaction when `forUpdate`), or undefined. */
async function selectTick(
  on: PostgresQueryable,
  id: number,
  forUpdate: boolean,
): Promise<TickRecord | undefined> {
  const { rows } = await on.query<TickRow>(
    `SELECT id, body FROM ticks WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const row = rows[0];
  return row === undefined ? undefined : rowToTick(row);
}

async function writeTick(tx: PostgresQueryable, id: number, tick: TickRecord): Promise<void> {
  const { id: _ignored, ...body } = tick;
  await tx.query(
    `UPDATE ticks SET instigator_name = $1, timestamp = $2, last_timestamp = $3, status = $4, run_ids = $5,
     body = $6 WHERE id = $7`,
    [...tickValues(body), id],
  );
}

/** The column values of a tick (without id): name, timestamp, last timestamp, status, run ids, body. */
function tickValues(body: Omit<TickRecord, 'id'>): unknown[] {
  return [
    body.instigatorName,
    body.timestamp,
    body.lastTimestamp ?? null,
    body.status,
    body.runIds,
    JSON.stringify(body),
  ];
}

function rowToTick(row: TickRow): TickRecord {
  return { ...(JSON.parse(row.body) as TickRecord), id: Number(row.id) };
}

function rowToState(row: InstigatorRow): InstigatorState {
  const state: InstigatorState = { name: row.name, type: row.type, updatedAt: Number(row.updated_at) };
  if (row.status !== null) state.status = row.status;
  if (row.cursor !== null) state.cursor = row.cursor;
  if (row.last_tick_at !== null) state.lastTickAt = Number(row.last_tick_at);
  return state;
}
