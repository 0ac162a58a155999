/**
 * The shared production storage: run, event log and schedule storage in one schema of a
 * PostgreSQL database, over one connection pool, with versioned migrations applied on open and
 * LISTEN/NOTIFY wake-ups (`subscribe`). Any number of processes on any number of hosts may open
 * the same schema at once.
 *
 * @example
 * ```ts
 * await using storages = await openPostgresStorages({ url: 'postgres://ll:pw@db:5432/lakeloop' });
 * await storages.events.appendEvents(events);
 * const stop = storages.subscribe('events', (runId) => console.log('new events of', runId));
 * ```
 */
import type { Clock } from '../../../clock.js';
import type { EventBufferingPolicy, Storages, StorageTopic, StorageWake } from '../storages.js';
import { PostgresDatabase } from './postgres-database.js';
import { PostgresEventLogStorage } from './postgres-event-log-storage.js';
import { PostgresNotifier } from './postgres-notifier.js';
import { PostgresRunStorage } from './postgres-run-storage.js';
import { PostgresScheduleStorage } from './postgres-schedule-storage.js';
import { migratePostgres } from './postgres-schema.js';
import { parsePostgresUrl } from './postgres-url.js';

/** Options of {@link openPostgresStorages}. */
export interface OpenPostgresStoragesOptions {
  /** `postgres://user:password@host:port/database[?schema=NAME]` (libpq URL parameters such as `sslmode` work). */
  url: string;
  /** The schema holding lakeloop's tables (created when missing). Default: the URL's `schema`, else `lakeloop`. */
  schema?: string;
  /** Source of `updatedAt` and claim times. Default: the system clock. */
  clock?: Clock;
  /** Most pooled connections. Default 10 (plus one LISTEN connection once something subscribes). */
  poolSize?: number;
  /** How event writers buffer appends. Default 500 events or 20 ms, and at every step's end. */
  eventBuffering?: EventBufferingPolicy;
}

/** PostgreSQL storages of one instance; `close()` ends the pool and the LISTEN connection. */
export interface PostgresStorages extends Storages, AsyncDisposable {
  runs: PostgresRunStorage;
  events: PostgresEventLogStorage;
  schedules: PostgresScheduleStorage;
  /** The schema in use. */
  schema: string;
  /** The URL with its password redacted. */
  redactedUrl: string;
  subscribe(topic: StorageTopic, onWake: StorageWake): () => void;
  /** Resolves once subscriptions receive notifications (the LISTEN connection is up). */
  listening(): Promise<void>;
  eventBuffering: EventBufferingPolicy;
}

/** The default buffering: a step's events in one append, at most 20 ms late. */
export const DEFAULT_POSTGRES_EVENT_BUFFERING: EventBufferingPolicy = { maxEvents: 500, maxDelayMs: 20 };

/**
 * Connects, creates the schema and applies missing migrations (under an advisory lock), and returns
 * the bundle. UNAVAILABLE when the server cannot be reached; PRECONDITION_FAILED when the schema is
 * newer than this lakeloop; messages never contain the password.
 */
export async function openPostgresStorages(options: OpenPostgresStoragesOptions): Promise<PostgresStorages> {
  const target = parsePostgresUrl(options.url, options.schema);
  const db = new PostgresDatabase({
    target,
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
  });
  try {
    await migratePostgres(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  const runs = new PostgresRunStorage({ db, clock: options.clock });
  const events = new PostgresEventLogStorage({ db });
  const schedules = new PostgresScheduleStorage({ db, clock: options.clock });
  const notifier = new PostgresNotifier({ db });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await Promise.all([runs.close(), events.close(), schedules.close()]);
    await notifier.close();
    await db.close();
  };
  return {
    runs,
    events,
    schedules,
    schema: target.schema,
    redactedUrl: target.redacted,
    subscribe: (topic, onWake) => notifier.subscribe(topic, onWake),
    listening: () => notifier.listening(),
    eventBuffering: options.eventBuffering ?? DEFAULT_POSTGRES_EVENT_BUFFERING,
    close,
    [Symbol.asyncDispose]: close,
  };
}
