/**
 * The push side of the PostgreSQL storage: ONE dedicated connection per storage bundle that
 * `LISTEN`s on the schema's channels and calls the subscribers of a topic with the run id a
 * NOTIFY carried. Opened on the first subscription; when the connection drops it reconnects with
 * backoff and then wakes every subscriber with `undefined` (notifications sent meanwhile are
 * lost, so readers look again). NOTIFY is transactional: a wake-up arrives after the write it
 * announces is committed, so the reader it wakes sees it.
 *
 * @example
 * ```ts
 * const notifier = new PostgresNotifier({ db });
 * const stop = notifier.subscribe('events', (runId) => console.log('new events of', runId));
 * await notifier.listening();
 * ```
 */
import type pg from 'pg';
import type { StorageTopic, StorageWake } from '../storages.js';
import type { PostgresDatabase } from './postgres-database.js';
import { postgresChannels } from './postgres-channels.js';

/** Options of {@link PostgresNotifier}. */
export interface PostgresNotifierOptions {
  db: PostgresDatabase;
  /** First wait before reconnecting a dropped connection (doubles up to 5 s). Default 100 ms. */
  reconnectMs?: number;
}

/** Subscriptions to a schema's NOTIFY channels over one LISTEN connection. */
export class PostgresNotifier {
  readonly #db: PostgresDatabase;
  readonly #reconnectMs: number;
  readonly #channels: Record<StorageTopic, string>;
  readonly #subscribers: Record<StorageTopic, Set<StorageWake>> = { events: new Set(), runs: new Set() };
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  constructor(options: PostgresNotifierOptions) {
    this.#db = options.db;
    this.#reconnectMs = options.reconnectMs ?? 100;
    this.#channels = postgresChannels(options.db.schema);
  }

  /** Calls `onWake` for each notification of `topic` (and with undefined after a reconnect); returns the unsubscribe. */
  subscribe(topic: StorageTopic, onWake: StorageWake): () => void {
    const entry: StorageWake = (runId) => {
      onWake(runId);
    };
    this.#subscribers[topic].add(entry);
    this.#ensureConnected();
    return () => {
      this.#subscribers[topic].delete(entry);
    };
  }

  /** Resolves once the LISTEN connection is up (rejects when the first attempt fails). */
  async listening(): Promise<void> {
    this.#ensureConnected();
    await this.#connecting;
  }

  /** Ends the LISTEN connection; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await this.#connecting?.catch(() => undefined);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #ensureConnected(): void {
    if (this.#closed || this.#client !== undefined || this.#connecting !== undefined) return;
    if (this.#retryTimer !== undefined) return;
    this.#connecting = this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    this.#connecting.catch(() => undefined); // retried by #scheduleReconnect
  }

  async #connect(): Promise<void> {
    let client: pg.Client;
    try {
      client = await this.#db.dedicatedClient();
      await client.query(`LISTEN "${this.#channels.events}"; LISTEN "${this.#channels.runs}"`);
    } catch (error) {
      this.#scheduleReconnect();
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    const reconnected = this.#failures > 0;
    this.#failures = 0;
    this.#client = client;
    client.on('notification', (message) => {
      const topic: StorageTopic | undefined =
        message.channel === this.#channels.events
          ? 'events'
          : message.channel === this.#channels.runs
            ? 'runs'
            : undefined;
      if (topic !== undefined) this.#wake(topic, message.payload);
    });
    client.once('end', () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#scheduleReconnect();
    });
    if (reconnected) {
      this.#wake('events', undefined);
      this.#wake('runs', undefined);
    }
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer !== undefined) return;
    if (this.#subscribers.events.size + this.#subscribers.runs.size === 0) return;
    const wait = Math.min(5_000, this.#reconnectMs * 2 ** this.#failures);
    this.#failures++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#ensureConnected();
    }, wait);
    this.#retryTimer.unref();
  }

  #wake(topic: StorageTopic, runId: string | undefined): void {
    for (const wake of [...this.#subscribers[topic]]) {
      try {
        wake(runId);
      } catch {
        // one subscriber's failure must not keep the others asleep
      }
    }
  }
}
