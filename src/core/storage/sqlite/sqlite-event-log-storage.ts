/**
 * The event log in SQLite: each event is a JSON body plus indexed columns (run, type, asset,
 * partition); appends run in one transaction that also keeps a table of the latest
 * materialization per asset and partition, so `latestMaterializations` never scans the log.
 *
 * @example
 * ```ts
 * const events = openSqliteEventLogStorage({ path: '.lakeloop/lakeloop.db' });
 * const [id] = await events.appendEvents([{ runId, type: 'STEP_START', stepKey: 'a', timestamp: Date.now(), message: 'a started' }]);
 * const tail = await events.getEvents({ runId, afterId: id });
 * ```
 */
import type { EventRecord, StoredEvent } from '../../events/event-types.js';
import type { SqliteDatabase } from '../../../util/sqlite-database.js';
import type { EventFilter, EventLogStorage, LatestMaterialization } from '../storage-types.js';
import { assetOfEvent, checkLimit } from '../storage-guards.js';
import { openStorageDatabase } from './sqlite-open.js';
import type { OpenSqliteStorageOptions } from './sqlite-open.js';
import { SqliteConnectionGuard } from './sqlite-connection-guard.js';
import { StatementCache } from '../../../util/statement-cache.js';

/** Options of {@link SqliteEventLogStorage}. */
export interface SqliteEventLogStorageOptions {
  /** An open, migrated database (see `openStorageDatabase`). */
  db: SqliteDatabase;
  /** Whether `close()` closes `db`. Default false (the owner of `db` closes it). */
  ownsDatabase?: boolean;
}

interface EventRow {
  id: number;
  body: string;
}

const INSERT_EVENT = `INSERT INTO event_logs (run_id, step_key, event_type, asset_key, partition_key, timestamp, body)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;
const UPSERT_LATEST = `INSERT INTO asset_latest_materializations (asset_key, partition_key, event_id) VALUES (?, ?, ?)
  ON CONFLICT (asset_key, partition_key) DO UPDATE SET event_id = excluded.event_id
  WHERE excluded.event_id > asset_latest_materializations.event_id`;
const SELECT_LATEST = `SELECT l.asset_key, l.partition_key, e.id, e.body
  FROM asset_latest_materializations l JOIN event_logs e ON e.id = l.event_id`;
const AFFECTED_LATEST = `SELECT l.asset_key, l.partition_key FROM asset_latest_materializations l
  JOIN event_logs e ON e.id = l.event_id WHERE e.run_id = ?`;
const DELETE_LATEST = 'DELETE FROM asset_latest_materializations WHERE asset_key = ? AND partition_key = ?';
const RECOMPUTE_LATEST = `INSERT INTO asset_latest_materializations (asset_key, partition_key, event_id)
  SELECT asset_key, coalesce(partition_key, ''), max(id) FROM event_logs
  WHERE asset_key = ? AND event_type = 'ASSET_MATERIALIZATION' AND coalesce(partition_key, '') = ?
  GROUP BY asset_key HAVING max(id) IS NOT NULL`;
const DELETE_EVENTS = 'DELETE FROM event_logs WHERE run_id = ?';
const RUN_IDS = 'SELECT DISTINCT run_id FROM event_logs ORDER BY run_id';

/** {@link EventLogStorage} on a SQLite database. */
export class SqliteEventLogStorage implements EventLogStorage {
  readonly #db: SqliteDatabase;
  readonly #guard: SqliteConnectionGuard;
  readonly #statements: StatementCache;
  readonly #append: (events: readonly EventRecord[]) => number[];
  readonly #deleteRun: (runId: string) => void;

  /** Wraps an open database; see {@link openSqliteEventLogStorage} to open a file. */
  constructor(options: SqliteEventLogStorageOptions) {
    this.#db = options.db;
    this.#guard = new SqliteConnectionGuard({
      db: options.db,
      ownsDatabase: options.ownsDatabase ?? false,
      label: 'event log storage',
    });
    this.#statements = new StatementCache(this.#db);
    // IMMEDIATE takes the write lock up front, so concurrent writers wait (busy timeout) instead
    // of failing when a read-then-write transaction cannot upgrade its lock.
    const append = this.#db.transaction((events: readonly EventRecord[]) => this.#insert(events));
    this.#append = (events) => append.immediate(events);
    const deleteRun = this.#db.transaction((runId: string) => {
      this.#delete(runId);
    });
    this.#deleteRun = (runId) => {
      deleteRun.immediate(runId);
    };
  }

  /** Appends events in one transaction; returns their ids (increasing, in the given order). */
  appendEvents(events: readonly EventRecord[]): Promise<number[]> {
    return this.#guard.call(() => (events.length === 0 ? [] : this.#append(events)));
  }

  /**
   * Events matching every given filter, in write order (ascending ids; descending with
   * `order: 'NEWEST_FIRST'`). `assetKey` matches events
   * about that asset: its materializations and check evaluations, and step events whose
   * `stepKey` is the asset key.
   */
  getEvents(filter: EventFilter): Promise<StoredEvent[]> {
    return this.#guard.call(() => {
      const limit = checkLimit(filter.limit);
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.runId !== undefined) {
        where.push('run_id = ?');
        params.push(filter.runId);
      }
      if (filter.assetKey !== undefined) {
        where.push('asset_key = ?');
        params.push(filter.assetKey);
      }
      if (filter.types !== undefined) {
        where.push('event_type IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify(filter.types));
      }
      if (filter.afterId !== undefined) {
        where.push('id > ?');
        params.push(filter.afterId);
      }
      if (filter.beforeId !== undefined) {
        where.push('id < ?');
        params.push(filter.beforeId);
      }
      let sql = `SELECT id, body FROM event_logs${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`}
        ORDER BY id${filter.order === 'NEWEST_FIRST' ? ' DESC' : ''}`;
      if (limit !== undefined) {
        sql += ' LIMIT ?';
        params.push(limit);
      }
      return (this.#statements.get(sql).all(...params) as EventRow[]).map(rowToEvent);
    });
  }

  /**
   * The latest ASSET_MATERIALIZATION per asset key and partition (by write order), sorted by
   * asset key then partition (unpartitioned first); for the given keys, or all when omitted.
   */
  latestMaterializations(assetKeys?: readonly string[]): Promise<LatestMaterialization[]> {
    return this.#guard.call(() => {
      const order = ' ORDER BY l.asset_key, l.partition_key';
      const rows = (
        assetKeys === undefined
          ? this.#statements.get(SELECT_LATEST + order).all()
          : this.#statements
              .get(`${SELECT_LATEST} WHERE l.asset_key IN (SELECT value FROM json_each(?))${order}`)
              .all(JSON.stringify(assetKeys))
      ) as (EventRow & { asset_key: string; partition_key: string })[];
      return rows.map((row) => {
        const latest: LatestMaterialization = { assetKey: row.asset_key, event: rowToEvent(row) };
        if (row.partition_key !== '') latest.partition = row.partition_key;
        return latest;
      });
    });
  }

  /** Deletes the events of a run; the latest-materialization index falls back to older runs. */
  deleteEventsOfRun(runId: string): Promise<void> {
    return this.#guard.call(() => {
      this.#deleteRun(runId);
    });
  }

  /** The distinct run ids that have events, sorted (read from the by-run index). */
  listRunIdsWithEvents(): Promise<string[]> {
    return this.#guard.call(() =>
      (this.#statements.get(RUN_IDS).all() as { run_id: string }[]).map((row) => row.run_id),
    );
  }

  /** Stops using the storage (and closes the database when it owns it). */
  close(): Promise<void> {
    return this.#guard.close();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #insert(events: readonly EventRecord[]): number[] {
    const insert = this.#statements.get(INSERT_EVENT);
    const upsertLatest = this.#statements.get(UPSERT_LATEST);
    const ids: number[] = [];
    for (const event of events) {
      const { assetKey, partition } = assetOfEvent(event);
      const id = Number(
        insert.run(
          event.runId,
          event.stepKey ?? null,
          event.type,
          assetKey ?? null,
          partition ?? null,
          event.timestamp,
          JSON.stringify(event),
        ).lastInsertRowid,
      );
      ids.push(id);
      if (event.type === 'ASSET_MATERIALIZATION' && event.materialization !== undefined) {
        upsertLatest.run(event.materialization.assetKey, event.materialization.partition ?? '', id);
      }
    }
    return ids;
  }

  #delete(runId: string): void {
    const affected = this.#statements.get(AFFECTED_LATEST).all(runId) as {
      asset_key: string;
      partition_key: string;
    }[];
    for (const row of affected) this.#statements.get(DELETE_LATEST).run(row.asset_key, row.partition_key);
    this.#statements.get(DELETE_EVENTS).run(runId);
    for (const row of affected) {
      this.#statements.get(RECOMPUTE_LATEST).run(row.asset_key, row.partition_key);
    }
  }
}

/** Opens (creating and migrating when needed) a SQLite file for the event log alone; `close()` closes it. */
export function openSqliteEventLogStorage(options: OpenSqliteStorageOptions): SqliteEventLogStorage {
  return new SqliteEventLogStorage({ db: openStorageDatabase(options), ownsDatabase: true });
}

function rowToEvent(row: EventRow): StoredEvent {
  return { ...(JSON.parse(row.body) as EventRecord), id: row.id };
}
