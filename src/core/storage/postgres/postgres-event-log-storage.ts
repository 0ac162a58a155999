/**
 * The event log in PostgreSQL. One `appendEvents` call is one transaction: a multi-row INSERT
 * (the batch as arrays, `unnest`ed), the latest-materialization index, and one
 * `NOTIFY <schema>_events, '<runId>'` per run in the batch (delivered when it commits). A batch
 * without materializations is one statement, so one round trip.
 *
 * Ids come from a bigserial and increase in write order, but a sequence alone would not do for
 * readers that tail with `afterId`: with two concurrent transactions, the one that took the higher
 * id may commit first, and a reader that sees it moves its cursor past the lower id, which then
 * commits "in the past" and is never read. So every append (and `deleteEventsOfRun`, which
 * rewrites the index) first takes a transaction-level advisory lock of the schema: appends of all
 * hosts take ids and commit one after the other, and an id is visible before any higher one.
 * PostgreSQL makes a transaction visible before it releases its locks, so the next appender's ids
 * are only taken after the previous ones are visible. The lock is held for one short statement.
 *
 * @example
 * ```ts
 * const storages = await openPostgresStorages({ url });
 * const ids = await storages.events.appendEvents(stepEvents); // one round trip of 4 statements
 * const tail = await storages.events.getEvents({ runId, afterId: ids.at(-1) });
 * ```
 */
import type { EventRecord, StoredEvent } from '../../events/event-types.js';
import type { EventFilter, EventLogStorage, LatestMaterialization } from '../storage-types.js';
import { assetOfEvent, checkLimit } from '../storage-guards.js';
import { PostgresStorageGuard } from './postgres-database.js';
import type { PostgresDatabase, PostgresQueryable } from './postgres-database.js';
import { postgresChannels } from './postgres-channels.js';

/** Options of {@link PostgresEventLogStorage}. */
export interface PostgresEventLogStorageOptions {
  /** An open, migrated database (see openPostgresStorages). */
  db: PostgresDatabase;
}

interface EventRow {
  id: string;
  body: string;
}

/** Rows one INSERT writes at most (bounded so a huge batch does not build one huge statement). */
const ROWS_PER_INSERT = 5_000;

/**
 * One statement that takes the append lock, inserts the batch in order and notifies once per run:
 * the lock's CTE is materialized and joined, and the sort consumes every row before the INSERT
 * takes the first id, so no id is taken before the lock is held. On its own (autocommit) it is a
 * whole transaction in one round trip.
 */
const APPEND_EVENTS = `WITH lock AS MATERIALIZED (SELECT 1 AS held FROM pg_advisory_xact_lock(hashtext($8))),
  inserted AS (
    INSERT INTO event_logs (run_id, step_key, event_type, asset_key, partition_key, timestamp, body)
    SELECT e.run_id, e.step_key, e.event_type, e.asset_key, e.partition_key, e.timestamp, e.body
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
      WITH ORDINALITY AS e (run_id, step_key, event_type, asset_key, partition_key, timestamp, body, ord)
      CROSS JOIN lock
    ORDER BY e.ord
    RETURNING id, run_id)
  SELECT id, (SELECT count(pg_notify($9, r.run_id)) FROM (SELECT DISTINCT run_id FROM inserted) r) AS notified
  FROM inserted`;
const UPSERT_LATEST = `INSERT INTO asset_latest_materializations (asset_key, partition_key, event_id)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
  ON CONFLICT (asset_key, partition_key) DO UPDATE SET event_id = excluded.event_id
  WHERE excluded.event_id > asset_latest_materializations.event_id`;

/** {@link EventLogStorage} on PostgreSQL. */
export class PostgresEventLogStorage implements EventLogStorage {
  readonly #db: PostgresDatabase;
  readonly #guard = new PostgresStorageGuard('event log storage');
  readonly #channel: string;
  readonly #lockKey: string;

  constructor(options: PostgresEventLogStorageOptions) {
    this.#db = options.db;
    this.#channel = postgresChannels(options.db.schema).events;
    this.#lockKey = `lakeloop:${options.db.schema}:events`;
  }

  /** Appends events in one transaction; returns their ids (increasing, in the given order). */
  appendEvents(events: readonly EventRecord[]): Promise<number[]> {
    return this.#guard.call(async () => {
      if (events.length === 0) return [];
      // Serialized before the transaction: a body that cannot be serialized stores nothing.
      const columns = toColumns(events);
      const append = async (on: PostgresQueryable): Promise<number[]> => {
        const ids: number[] = [];
        for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
          const end = Math.min(events.length, start + ROWS_PER_INSERT);
          const { rows } = await on.query<{ id: string }>({
            name: 'lakeloop-append-events',
            text: APPEND_EVENTS,
            values: [...columns.map((column) => column.slice(start, end)), this.#lockKey, this.#channel],
          });
          // Ids were taken in `ord` order; RETURNING's row order is not promised, so sort them.
          ids.push(...rows.map((row) => Number(row.id)).sort((a, b) => a - b));
        }
        return ids;
      };
      // Without materializations (most batches: logs, step starts) and within one INSERT, the
      // statement alone is the transaction: one round trip.
      if (events.length <= ROWS_PER_INSERT && !events.some(isIndexed)) return append(this.#db);
      return this.#db.transaction(async (tx) => {
        const ids = await append(tx);
        await this.#indexLatest(tx, events, ids);
        return ids;
      });
    });
  }

  /** Events matching every given filter, in write order (descending with `order: 'NEWEST_FIRST'`). */
  getEvents(filter: EventFilter): Promise<StoredEvent[]> {
    return this.#guard.call(async () => {
      const limit = checkLimit(filter.limit);
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown): string => {
        params.push(value);
        return `$${params.length}`;
      };
      if (filter.runId !== undefined) where.push(`run_id = ${param(filter.runId)}`);
      if (filter.assetKey !== undefined) where.push(`asset_key = ${param(filter.assetKey)}`);
      if (filter.types !== undefined) where.push(`event_type = ANY(${param(filter.types)}::text[])`);
      if (filter.afterId !== undefined) where.push(`id > ${param(filter.afterId)}`);
      if (filter.beforeId !== undefined) where.push(`id < ${param(filter.beforeId)}`);
      let sql = `SELECT id, body FROM event_logs${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`}
        ORDER BY id${filter.order === 'NEWEST_FIRST' ? ' DESC' : ''}`;
      if (limit !== undefined) sql += ` LIMIT ${param(limit)}`;
      const { rows } = await this.#db.query<EventRow>(sql, params);
      return rows.map(rowToEvent);
    });
  }

  /** The latest ASSET_MATERIALIZATION per asset key and partition, sorted by key then partition. */
  latestMaterializations(assetKeys?: readonly string[]): Promise<LatestMaterialization[]> {
    return this.#guard.call(async () => {
      const select = `SELECT l.asset_key, l.partition_key, e.id, e.body
        FROM asset_latest_materializations l JOIN event_logs e ON e.id = l.event_id`;
      const order = ' ORDER BY l.asset_key, l.partition_key';
      const { rows } =
        assetKeys === undefined
          ? await this.#db.query<EventRow & { asset_key: string; partition_key: string }>(select + order)
          : await this.#db.query<EventRow & { asset_key: string; partition_key: string }>(
              `${select} WHERE l.asset_key = ANY($1::text[])${order}`,
              [assetKeys],
            );
      return rows.map((row) => {
        const latest: LatestMaterialization = { assetKey: row.asset_key, event: rowToEvent(row) };
        if (row.partition_key !== '') latest.partition = row.partition_key;
        return latest;
      });
    });
  }

  /** Deletes the events of a run; the latest-materialization index falls back to older runs. */
  deleteEventsOfRun(runId: string): Promise<void> {
    return this.#guard.call(() =>
      this.#db.transaction(async (tx) => {
        await this.#lock(tx);
        const { rows: affected } = await tx.query<{ asset_key: string; partition_key: string }>(
          `DELETE FROM asset_latest_materializations l USING event_logs e
           WHERE e.id = l.event_id AND e.run_id = $1 RETURNING l.asset_key, l.partition_key`,
          [runId],
        );
        await tx.query('DELETE FROM event_logs WHERE run_id = $1', [runId]);
        if (affected.length === 0) return;
        await tx.query(
          `INSERT INTO asset_latest_materializations (asset_key, partition_key, event_id)
           SELECT a.asset_key, a.partition_key, latest.id
           FROM unnest($1::text[], $2::text[]) AS a (asset_key, partition_key)
           CROSS JOIN LATERAL (
             SELECT max(id) AS id FROM event_logs
             WHERE asset_key = a.asset_key AND event_type = 'ASSET_MATERIALIZATION'
               AND coalesce(partition_key, '') = a.partition_key
           ) latest
           WHERE latest.id IS NOT NULL`,
          [affected.map((row) => row.asset_key), affected.map((row) => row.partition_key)],
        );
      }),
    );
  }

  /** The distinct run ids that have events, sorted. */
  listRunIdsWithEvents(): Promise<string[]> {
    return this.#guard.call(async () => {
      const { rows } = await this.#db.query<{ run_id: string }>(
        'SELECT DISTINCT run_id FROM event_logs ORDER BY run_id',
      );
      return rows.map((row) => row.run_id);
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

  /** Serializes the schema's appends until this transaction ends (see the module comment). */
  async #lock(tx: PostgresQueryable): Promise<void> {
    await tx.query({
      name: 'lakeloop-lock-events',
      text: 'SELECT pg_advisory_xact_lock(hashtext($1))',
      values: [this.#lockKey],
    });
  }

  async #indexLatest(
    tx: PostgresQueryable,
    events: readonly EventRecord[],
    ids: readonly number[],
  ): Promise<void> {
    // The newest materialization per (asset, partition) in the batch; the upsert keeps the newest overall.
    const latest = new Map<string, [string, string, number]>();
    events.forEach((event, index) => {
      if (!isIndexed(event) || event.materialization === undefined) return;
      const { assetKey, partition = '' } = event.materialization;
      latest.set(JSON.stringify([assetKey, partition]), [assetKey, partition, ids[index] ?? 0]);
    });
    if (latest.size === 0) return;
    const rows = [...latest.values()];
    await tx.query({
      name: 'lakeloop-upsert-latest',
      text: UPSERT_LATEST,
      values: [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    });
  }
}

/** Whether an event goes into the latest-materialization index. */
function isIndexed(event: EventRecord): boolean {
  return event.type === 'ASSET_MATERIALIZATION' && event.materialization !== undefined;
}

/** The batch as one array per column (the INSERT's parameters). */
function toColumns(events: readonly EventRecord[]): unknown[][] {
  const columns: unknown[][] = [[], [], [], [], [], [], []];
  for (const event of events) {
    const { assetKey, partition } = assetOfEvent(event);
    const values = [
      event.runId,
      event.stepKey ?? null,
      event.type,
      assetKey ?? null,
      partition ?? null,
      Math.trunc(event.timestamp), // the body keeps the exact value
      JSON.stringify(event),
    ];
    values.forEach((value, index) => columns[index]?.push(value));
  }
  return columns;
}

function rowToEvent(row: EventRow): StoredEvent {
  return { ...(JSON.parse(row.body) as EventRecord), id: Number(row.id) };
}
