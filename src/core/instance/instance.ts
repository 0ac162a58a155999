/**
 * `Instance`: the one facade over an instance home — run, event log and schedule storage (one
 * SQLite file, `<home>/lakeloop.db`, or a PostgreSQL schema shared by several hosts when
 * `LAKELOOP_STORAGE_URL` / `storageUrl` is a `postgres://` URL), the IO manager (`<home>/storage/`,
 * or `LAKELOOP_IO_URL`), the default executor, and the injected clock, ids, sleep and randomness.
 * A storage that pushes (PostgreSQL's NOTIFY) wakes this process's event-log waiters (run handles,
 * the live feed) when any host writes. `Instance.ephemeral()` gives tests a throw-away instance
 * (temporary folder + in-memory storages, removed on close).
 *
 * @example
 * ```ts
 * await using instance = await Instance.open();          // $LAKELOOP_HOME or .lakeloop
 * const run = await materialize(defs, { select: '*', instance });
 * await using shared = await Instance.open({ storageUrl: 'postgres://ll:pw@db:5432/lakeloop' });
 * ```
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { randomId, systemClock } from '../../clock.js';
import type { Clock, IdGenerator } from '../../clock.js';
import { LakeloopError } from '../../errors.js';
import { eventLogNotifier } from '../events/event-log-notifier.js';
import { createMemoryStorages } from '../storage/memory/memory-storages.js';
import { isPostgresUrl } from '../storage/postgres/postgres-url.js';
import { openSqliteStorages } from '../storage/sqlite/sqlite-storages.js';
import type { Storages } from '../storage/storages.js';
import type { EventLogStorage, RunStorage, ScheduleStorage } from '../storage/storage-types.js';
import type { Executor } from '../execution/executor.js';
import { inProcessExecutor } from '../execution/in-process-executor.js';
import { FilesystemIoManager } from '../execution/io/filesystem-io-manager.js';
import type { IoManager } from '../execution/io/io-manager.js';
import { ioUrlFromEnv, openIoManager } from '../execution/io/io-manager-url.js';
import { executorFromEnv } from '../execution/executor-from-env.js';
import { endRunsOfDeadOwners } from '../execution/dead-run-recovery.js';
import {
  currentProcessOwner,
  DEFAULT_RUN_HEARTBEAT_MS,
  DEFAULT_RUN_LEASE_MS,
} from '../execution/run-ownership.js';
import type { RunOwner } from '../execution/run-ownership.js';

/** Waits `ms` (rejecting when `signal` aborts). Injected so retry tests need no real waiting. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The real sleep. */
export const systemSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal === undefined ? undefined : { signal });
};

/** Options of {@link Instance.open}. */
export interface InstanceOptions {
  /** Home folder. Default `$LAKELOOP_HOME`, else `.lakeloop` (resolved against the working directory). */
  home?: string;
  /** Default the system clock. */
  clock?: Clock;
  /** Default random UUIDs. */
  ids?: IdGenerator;
  /** Default: per `storageUrl`, else SQLite at `<home>/lakeloop.db`. */
  storages?: Storages;
  /**
   * A `postgres://user:password@host:port/database[?schema=NAME]` URL: run, event and schedule
   * storage on that PostgreSQL schema (created and migrated when missing). Default
   * `$LAKELOOP_STORAGE_URL`; unset or empty: the embedded SQLite file. Ignored when `storages` is given.
   */
  storageUrl?: string;
  /**
   * Default (`Instance.open`): the one `LAKELOOP_IO_URL` names (`file:///shared/path`,
   * `s3://bucket/prefix`; see io-manager-url.ts), else the filesystem IO manager under `<home>/storage`.
   */
  ioManager?: IoManager;
  /** Default executor of runs. Default (`Instance.open`): the one `LAKELOOP_EXECUTOR` names, else in-process. */
  executor?: Executor;
  /** Default real waiting. */
  sleep?: Sleep;
  /** Uniform [0,1) source for retry jitter. Default Math.random. */
  random?: () => number;
  /** How often the process executing a run records a heartbeat on it. Default 5 s. */
  runHeartbeatMs?: number;
  /** A run whose owner on another host sent no heartbeat for this long is ended as dead. Default 60 s. */
  runLeaseMs?: number;
  /** End the runs of dead processes when the instance opens. Default true. */
  recoverDeadRuns?: boolean;
}

/** Options of {@link Instance.ephemeral}. */
export interface EphemeralInstanceOptions extends Omit<InstanceOptions, 'home' | 'storages'> {
  /** `memory` (default) or `sqlite` (a database file in the temporary home). */
  storage?: 'memory' | 'sqlite';
}

/** An open instance home. */
export class Instance implements AsyncDisposable {
  /** Absolute home folder. */
  readonly home: string;
  readonly storages: Storages;
  readonly ioManager: IoManager;
  readonly executor: Executor;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly sleep: Sleep;
  readonly random: () => number;
  /** This process as the owner of the runs it executes. */
  readonly owner: RunOwner;
  readonly runHeartbeatMs: number;
  readonly runLeaseMs: number;
  /** Abort controllers of runs executing in this process (used by cancelRun). Internal. */
  readonly activeRuns = new Map<string, AbortController>();
  readonly #removeHome: boolean;
  readonly #unsubscribes: (() => void)[] = [];
  #closed = false;

  private constructor(home: string, options: InstanceOptions & { storages: Storages }, removeHome: boolean) {
    this.home = home;
    this.storages = options.storages;
    this.ioManager = options.ioManager ?? new FilesystemIoManager({ root: join(home, 'storage') });
    this.executor = options.executor ?? inProcessExecutor();
    this.clock = options.clock ?? systemClock;
    this.ids = options.ids ?? randomId;
    this.sleep = options.sleep ?? systemSleep;
    this.random = options.random ?? Math.random;
    this.owner = currentProcessOwner(this.ids());
    this.runHeartbeatMs = options.runHeartbeatMs ?? DEFAULT_RUN_HEARTBEAT_MS;
    this.runLeaseMs = options.runLeaseMs ?? DEFAULT_RUN_LEASE_MS;
    this.#removeHome = removeHome;
    // Writes of other processes (and hosts) wake the same waiters as this process's own appends.
    if (this.storages.subscribe !== undefined) {
      const wake = (): void => {
        eventLogNotifier(this.storages.events).notify();
      };
      this.#unsubscribes.push(this.storages.subscribe('events', wake), this.storages.subscribe('runs', wake));
    }
  }

  /** The default home: `$LAKELOOP_HOME`, else `.lakeloop`, as an absolute path. */
  static defaultHome(): string {
    const fromEnv = process.env.LAKELOOP_HOME;
    return resolve(fromEnv === undefined || fromEnv === '' ? '.lakeloop' : fromEnv);
  }

  /**
   * Opens (creating when needed) the instance at `home` (or per options), and ends the runs that a
   * dead process left in progress (see dead-run-recovery.ts).
   */
  static async open(homeOrOptions: string | InstanceOptions = {}): Promise<Instance> {
    const options = typeof homeOrOptions === 'string' ? { home: homeOrOptions } : homeOrOptions;
    const home = options.home === undefined ? Instance.defaultHome() : resolve(options.home);
    try {
      mkdirSync(home, { recursive: true });
    } catch (cause) {
      throw new LakeloopError(
        'UNAVAILABLE',
        `Cannot create the instance home ${home}: ${(cause as Error).message}`,
        { cause },
      );
    }
    // Before the storages open: a bad LAKELOOP_IO_URL must not leave a database open.
    const ioManager = options.ioManager ?? (await openIoManager({ home, url: ioUrlFromEnv() }));
    const executor = options.executor ?? (await executorFromEnv());
    const storages = options.storages ?? (await openConfiguredStorages(home, options));
    const instance = new Instance(
      home,
      { ...options, storages, ioManager, ...(executor === undefined ? {} : { executor }) },
      false,
    );

    if (options.recoverDeadRuns !== false) {
      try {
        await endRunsOfDeadOwners({ instance });
      } catch {
        // A read-only or full disk must not keep the instance from opening; the daemon retries.
      }
    }
    return instance;
  }

  /** A throw-away instance in a temporary folder, removed (with its storages) on close. */
  static ephemeral(options: EphemeralInstanceOptions = {}): Promise<Instance> {
    const home = mkdtempSync(join(tmpdir(), 'lakeloop-instance-'));
    const storages =
      options.storage === 'sqlite'
        ? openSqliteStorages({ path: join(home, 'lakeloop.db'), clock: options.clock })
        : createMemoryStorages({ clock: options.clock });
    return Promise.resolve(new Instance(home, { ...options, storages }, true));
  }

  /** Run storage. */
  get runs(): RunStorage {
    return this.storages.runs;
  }

  /** Event log storage. */
  get events(): EventLogStorage {
    return this.storages.events;
  }

  /** Sensor/schedule state storage. */
  get schedules(): ScheduleStorage {
    return this.storages.schedules;
  }

  /** Closes the storages (and removes an ephemeral home). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.activeRuns.values()) controller.abort();
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    await this.storages.close();
    if (this.#removeHome) rmSync(this.home, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The storages `storageUrl` (or `$LAKELOOP_STORAGE_URL`) names, else SQLite in the home. */
async function openConfiguredStorages(home: string, options: InstanceOptions): Promise<Storages> {
  const url = (options.storageUrl ?? process.env.LAKELOOP_STORAGE_URL ?? '').trim();
  if (url === '') return openSqliteStorages({ path: join(home, 'lakeloop.db'), clock: options.clock });
  if (!isPostgresUrl(url)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'LAKELOOP_STORAGE_URL (or storageUrl) must be a postgres:// URL, e.g. postgres://user:password@host:5432/lakeloop; unset it for the embedded SQLite storage.',
    );
  }
  // Loaded only when configured: the pg driver adds ~50 ms to every CLI start otherwise.
  const { openPostgresStorages } = await import('../storage/postgres/postgres-storages.js');
  const storages = await openPostgresStorages({
    url,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  // Wake-ups work once open returns (without them, readers still poll).
  await storages.listening().catch(() => undefined);
  return storages;
}
