/**
 * The daemon: the sensor loop, the schedule loop and the run queue of one instance, plus a
 * heartbeat, push notifications (a watched data branch got a commit: evaluate its sensors now) and
 * crash recovery (runs a killed daemon left in progress are marked FAILURE with the reason, or
 * re-executed, by policy). `tick(now)` runs one pass of everything — tests drive it with a manual
 * clock; `start()` runs passes on a timer until `stop()`.
 *
 * @example
 * ```ts
 * await using daemon = new Daemon({ defs, instance, maxConcurrentRuns: 2 });
 * await daemon.start();            // recovers, subscribes, heartbeats, ticks every 200 ms
 * // ... later
 * await daemon.stop();             // cancels the runs in progress, nothing left STARTED
 * ```
 */
import { describeError, LakeloopError } from '../../errors.js';
import type { RunRecord } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import { cancelRun, createReexecution } from '../execution/run-launcher.js';
import { endRunsOfDeadOwners } from '../execution/dead-run-recovery.js';
import { FAILURE_HOOKS_TAG, runPendingFailureHooks } from '../execution/run-failure-hooks.js';
import { reexecutionRunId, RETRY_NUMBER_TAG } from '../execution/reexecution-plan.js';
import { OWNER_LOST_KINDS, OWNER_LOST_TAG } from '../execution/run-ownership.js';
import { serializeError } from '../execution/serialize-error.js';
import type { Instance } from '../instance/instance.js';
import { pruneInstanceIfDue } from '../instance/retention.js';
import type { TickRecord } from '../storage/storage-types.js';
import { DAEMON_ID_TAG, IN_PROGRESS_STATUSES, PRIORITY_TAG, RunQueue, runPriority } from './run-queue.js';
import type { TagConcurrencyLimit } from './run-queue.js';
import { ScheduleLoop } from './schedule-loop.js';
import { SensorLoop } from './sensor-loop.js';

/** Default time between two heartbeats; `lakeloop daemon status` says unhealthy after two of them. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
/** Default time between two passes of the running daemon. */
export const DEFAULT_TICK_INTERVAL_MS = 200;

/** Re-executions the daemon queues by itself in one chain of runs whose process died. */
export const MAX_AUTOMATIC_REEXECUTIONS = 3;

/** What to do with runs a dead process left in progress. */
export type OrphanedRunPolicy = 'fail' | 'reexecute';

/** Where the daemon reports what it does (pino's `logger[level](fields, message)` fits). */
export type DaemonLogger = Record<
  'info' | 'warn' | 'error',
  (fields: Record<string, unknown>, message: string) => void
>;

/** Options of {@link Daemon}. */
export interface DaemonOptions {
  defs: Definitions;
  instance: Instance;
  /** Default: a new id from the instance. */
  daemonId?: string;
  /** Default 5000 ms. */
  heartbeatIntervalMs?: number;
  /** Time between passes once started. Default 200 ms. */
  tickIntervalMs?: number;
  /** Default 4. */
  maxConcurrentRuns?: number;
  /** Default none. */
  tagConcurrencyLimits?: readonly TagConcurrencyLimit[];
  /** Tags written on every run the daemon starts (the CLI records `lakeloop/defs`). Default none. */
  runTags?: Readonly<Record<string, string>>;
  /** Default 60 s. */
  evaluationTimeoutMs?: number;
  /** Default `'fail'`: mark them FAILURE; `'reexecute'` also queues a re-execution from the failed step. */
  orphanedRunPolicy?: OrphanedRunPolicy;
  /** How long `stop()` waits for canceled runs to end before marking them FAILURE. Default 10 s. */
  shutdownGraceMs?: number;
  /** Start even when another daemon's heartbeat is fresh. Default false (CONFLICT). */
  force?: boolean;
  /** Default: silent. */
  logger?: DaemonLogger;
}

/** What {@link Daemon.tick} did. */
export interface DaemonTickResult {
  sensorTicks: TickRecord[];
  scheduleTicks: TickRecord[];
  /** Runs the queue started. */
  startedRunIds: string[];
}

const silent: DaemonLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Runs sensors, schedules and the run queue of one instance. */
export class Daemon implements AsyncDisposable {
  readonly id: string;
  readonly sensors: SensorLoop;
  readonly schedules: ScheduleLoop;
  readonly queue: RunQueue;
  readonly heartbeatIntervalMs: number;
  readonly #defs: Definitions;
  readonly #instance: Instance;
  readonly #tickIntervalMs: number;
  readonly #policy: OrphanedRunPolicy;
  readonly #graceMs: number;
  readonly #force: boolean;
  readonly #log: DaemonLogger;
  readonly #unsubscribes: (() => void)[] = [];
  #lastHeartbeat: number | undefined;
  #lastRecovery: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(options: DaemonOptions) {
    this.#defs = options.defs;
    this.#instance = options.instance;
    this.id = options.daemonId ?? options.instance.ids();
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.#tickIntervalMs = options.tickIntervalMs ?? DEFAULT_TICK_INTERVAL_MS;
    this.#policy = options.orphanedRunPolicy ?? 'fail';
    this.#graceMs = options.shutdownGraceMs ?? 10_000;
    this.#force = options.force ?? false;
    this.#log = options.logger ?? silent;
    const wake = (): void => {
      if (this.#state !== 'stopping' && this.#state !== 'stopped')
        void this.queue.tick().catch(() => undefined);
    };
    const logTick = (tick: TickRecord): void => {
      const fields = { instigator: tick.instigatorName, status: tick.status, runIds: tick.runIds };
      if (tick.status === 'FAILURE')
        this.#log.warn({ ...fields, error: tick.error }, `${tick.instigatorName}: tick failed`);
      else if (tick.status === 'SUCCESS')
        this.#log.info(fields, `${tick.instigatorName}: queued ${tick.runIds.length} run(s)`);
    };
    this.sensors = new SensorLoop({
      defs: options.defs,
      instance: options.instance,
      onRunsQueued: wake,
      onTick: logTick,
      ...(options.evaluationTimeoutMs === undefined
        ? {}
        : { evaluationTimeoutMs: options.evaluationTimeoutMs }),
    });
    this.schedules = new ScheduleLoop({
      defs: options.defs,
      instance: options.instance,
      onRunsQueued: wake,
      onTick: logTick,
    });
    this.queue = new RunQueue({
      defs: options.defs,
      instance: options.instance,
      daemonId: this.id,
      ...(options.runTags === undefined ? {} : { launchTags: options.runTags }),
      ...(options.maxConcurrentRuns === undefined ? {} : { maxConcurrentRuns: options.maxConcurrentRuns }),
      ...(options.tagConcurrencyLimits === undefined
        ? {}
        : { tagConcurrencyLimits: options.tagConcurrencyLimits }),
      onRunFinished: (run, error) => {
        if (error !== undefined) this.#log.error({ error: describeError(error) }, 'run could not execute');
        else if (run !== undefined)
          this.#log.info({ runId: run.runId, status: run.status }, `run ${run.runId} ${run.status}`);
      },
    });
  }

  /** One pass: heartbeat (when due), due sensors, due schedules, the run queue. */
  async tick(now: number = this.#instance.clock.now()): Promise<DaemonTickResult> {
    await this.heartbeat(now);
    await this.#recoverWhenDue(now);
    const [sensorTicks, scheduleTicks] = await Promise.all([
      this.sensors.tick(now),
      this.schedules.tick(now),
    ]);
    const startedRunIds = await this.queue.tick(now);
    return { sensorTicks, scheduleTicks, startedRunIds };
  }

  async #recoverWhenDue(now: number): Promise<void> {
    if (this.#lastRecovery !== undefined && now - this.#lastRecovery < this.heartbeatIntervalMs) return;
    await this.recoverOrphanedRuns(now);
    await runPendingFailureHooks({ instance: this.#instance, defs: this.#defs });
  }

  /** Records a heartbeat when the last one is older than the interval (or `force`). */
  async heartbeat(now: number = this.#instance.clock.now(), force = false): Promise<void> {
    if (!force && this.#lastHeartbeat !== undefined && now - this.#lastHeartbeat < this.heartbeatIntervalMs)
      return;
    this.#lastHeartbeat = now;
    await this.#instance.schedules.recordHeartbeat(this.id, now);
  }

  /**
   * Evaluates, without waiting, every sensor listing `key` in its `wakeKeys`; returns their names.
   * Called by the lakeFS webhook endpoint (with lakeloop/data's `dataCommitWakeKey`).
   */
  wake(key: string): string[] {
    const names = this.sensors.sensors.filter((s) => s.wakeKeys.includes(key)).map((s) => s.name);
    for (const name of names) this.sensors.request(name);
    if (names.length > 0) this.#log.info({ key, sensors: names }, `${key}: evaluating ${names.join(', ')}`);
    return names;
  }

  /**
   * Ends the runs whose owner process died (FAILURE with the reason; CANCELED when they were
   * CANCELING) and, with policy `'reexecute'`, queues one re-execution of each such run this or
   * another daemon had launched (at most {@link MAX_AUTOMATIC_REEXECUTIONS} in a chain). Returns
   * the runs ended. Runs every heartbeat while the daemon runs.
   */
  async recoverOrphanedRuns(now: number = this.#instance.clock.now()): Promise<RunRecord[]> {
    this.#lastRecovery = now;
    const ended = await endRunsOfDeadOwners({ instance: this.#instance, now });
    for (const { run, previousStatus, reason } of ended) {
      this.#log.warn(
        { runId: run.runId, reason },
        `run ${run.runId} was ${previousStatus}, but ${reason}: marked ${run.status}`,
      );
    }
    if (this.#policy === 'reexecute') await this.#requeueLostRuns();
    return ended.map((e) => e.run);
  }

  /** Queues the re-execution of failed runs whose owner died; idempotent (derived run ids). */
  async #requeueLostRuns(): Promise<void> {
    const { runs } = this.#instance;
    for (const lost of OWNER_LOST_KINDS) {
      const failed = await runs.listRuns({
        statuses: ['FAILURE'],
        tags: { [OWNER_LOST_TAG]: lost },
        limit: 100,
      });
      for (const parent of failed) {
        if (parent.tags[DAEMON_ID_TAG] === undefined) continue; // a user's own run: theirs to re-execute
        if (Number(parent.tags[RETRY_NUMBER_TAG] ?? '0') >= MAX_AUTOMATIC_REEXECUTIONS) continue;
        const runId = reexecutionRunId(parent.runId);
        if ((await runs.getRun(runId)) !== undefined) continue;
        try {
          await createReexecution({
            instance: this.#instance,
            defs: this.#defs,
            parent,
            runId,
            status: 'QUEUED',
            // Ahead of the runs queued since: a sensor's commits still train in order.
            tags: { [PRIORITY_TAG]: String(runPriority(parent) + 1) },
          });
          this.#log.info(
            { runId, parentRunId: parent.runId },
            `queued re-execution ${runId} of ${parent.runId}`,
          );
        } catch (error) {
          if (error instanceof LakeloopError && error.code === 'ALREADY_EXISTS') continue;
          this.#log.error(
            { parentRunId: parent.runId, error: describeError(error) },
            `could not queue the re-execution of ${parent.runId}`,
          );
        }
      }
    }
  }

  /**
   * Starts the daemon: refuses (CONFLICT) when another daemon's heartbeat is fresh, recovers
   * orphaned runs, subscribes to commit notifications, then ticks every `tickIntervalMs`.
   */
  async start(): Promise<this> {
    if (this.#state !== 'new')
      throw new LakeloopError('PRECONDITION_FAILED', 'This daemon was already started; create a new one.');
    const now = this.#instance.clock.now();
    const latest = await this.#instance.schedules.latestHeartbeat();
    if (
      !this.#force &&
      latest !== undefined &&
      latest.daemonId !== this.id &&
      now - latest.timestamp < 2 * this.heartbeatIntervalMs
    ) {
      const waitS = Math.ceil((2 * this.heartbeatIntervalMs - (now - latest.timestamp)) / 1000);
      throw new LakeloopError(
        'CONFLICT',
        `Another daemon (${latest.daemonId}) is running on this instance (heartbeat ${now - latest.timestamp} ms ago); stop it first. ` +
          `If it was killed, retry in ${waitS} s or pass --force.`,
        { details: { daemonId: latest.daemonId } },
      );
    }
    this.#state = 'running';
    await this.heartbeat(now, true);
    await this.recoverOrphanedRuns(now);
    this.#subscribe();
    this.#log.info(
      {
        daemonId: this.id,
        sensors: this.sensors.sensors.map((s) => s.name),
        schedules: this.schedules.schedules.map((s) => s.name),
      },
      'daemon started',
    );
    const loop = (): void => {
      if (this.#state !== 'running') return;
      this.#loop = this.#pass().finally(() => {
        if (this.#state === 'running') this.#timer = setTimeout(loop, this.#tickIntervalMs);
      });
    };
    loop();
    return this;
  }

  async #pass(): Promise<void> {
    const now = this.#instance.clock.now();
    try {
      await this.heartbeat(now);
      // Sensor evaluations go on in the background (a slow sensor does not hold the other loops).
      this.sensors.tick(now).catch((error: unknown) => {
        this.#log.error({ error: describeError(error) }, 'sensor loop failed');
      });
      await this.#recoverWhenDue(now); // before the queue counts the runs in progress
      await this.schedules.tick(now);
      await this.queue.tick(now);
      await pruneInstanceIfDue({ instance: this.#instance, now }); // <home>/lakeloop.json retention, hourly
    } catch (error) {
      this.#log.error({ error: describeError(error) }, 'daemon pass failed');
    }
  }

  #subscribe(): void {
    // Runs queued (or slots freed) by other processes and hosts start without waiting for the next pass.
    const unsubscribeRuns = this.#instance.storages.subscribe?.('runs', () => {
      if (this.#state === 'running') void this.queue.tick().catch(() => undefined);
    });
    if (unsubscribeRuns !== undefined) this.#unsubscribes.push(unsubscribeRuns);
    for (const sensor of this.sensors.sensors) {
      if (sensor.wake === undefined) continue;
      const trigger = (): void => {
        this.sensors.request(sensor.name);
      };
      this.#unsubscribes.push(sensor.wake(trigger, { resources: this.#defs.resources }));
    }
  }

  /**
   * Stops: no new evaluations or launches, cancels the runs this daemon is executing (waiting up
   * to `shutdownGraceMs`, then marking what is left FAILURE), and clears its heartbeat. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopping';
    clearTimeout(this.#timer);
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    this.queue.stop();
    await this.#loop;
    await this.sensors.stop();
    const active = this.queue.activeRunIds;
    for (const runId of active) {
      await cancelRun(this.#instance, runId).catch(() => undefined);
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, this.#graceMs);
    });
    const outcome = await Promise.race([this.queue.idle().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const now = this.#instance.clock.now();
      for (const runId of this.queue.activeRunIds) {
        const run = await this.#instance.runs.getRun(runId);
        if (run === undefined || !IN_PROGRESS_STATUSES.includes(run.status)) continue;
        const error = new LakeloopError(
          'CANCELED',
          `Run ${runId} did not stop within ${this.#graceMs} ms of the daemon shutting down; marked FAILURE. Re-execute it from the failed step.`,
        );
        await this.#instance.runs.updateRun(
          runId,
          {
            status: 'FAILURE',
            endedAt: now,
            error: serializeError(error),
            tags: { [FAILURE_HOOKS_TAG]: 'pending' },
          },
          run.status,
        );
        await this.#instance.events.appendEvents([
          {
            runId,
            type: 'RUN_FAILURE',
            timestamp: now,
            level: 'ERROR',
            message: error.message,
            error: serializeError(error),
          },
        ]);
      }
    }
    if (wasRunning) await this.#instance.schedules.recordHeartbeat(this.id, 0).catch(() => undefined);
    this.#state = 'stopped';
    this.#log.info({ daemonId: this.id, canceled: active.length }, 'daemon stopped');
  }

  /** Same as {@link stop}. */
  close(): Promise<void> {
    return this.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Health of the daemon of an instance, from its stored heartbeat. */
export interface DaemonHealth {
  healthy: boolean;
  daemonId?: string;
  /** Epoch ms of the latest heartbeat. */
  lastHeartbeatAt?: number;
  /** Age of the latest heartbeat in ms. */
  ageMs?: number;
  /** Why it is unhealthy. */
  reason?: string;
}

/** Options of {@link daemonHealth}. */
export interface DaemonHealthOptions {
  instance: Instance;
  /** The daemon's heartbeat interval. Default 5000 ms. */
  heartbeatIntervalMs?: number;
  /** Default: the instance clock. */
  now?: number;
}

/** Healthy when the newest heartbeat is at most two heartbeat intervals old. */
export async function daemonHealth(options: DaemonHealthOptions): Promise<DaemonHealth> {
  const interval = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const now = options.now ?? options.instance.clock.now();
  const latest = await options.instance.schedules.latestHeartbeat();
  if (latest === undefined || latest.timestamp === 0) {
    return {
      healthy: false,
      reason:
        latest === undefined
          ? 'No daemon has ever run on this instance.'
          : `Daemon ${latest.daemonId} stopped.`,
      ...(latest === undefined ? {} : { daemonId: latest.daemonId }),
    };
  }
  const ageMs = now - latest.timestamp;
  const healthy = ageMs <= 2 * interval;
  const health: DaemonHealth = {
    healthy,
    daemonId: latest.daemonId,
    lastHeartbeatAt: latest.timestamp,
    ageMs,
  };
  if (!healthy)
    health.reason = `No heartbeat for ${(ageMs / 1000).toFixed(1)} s (more than two ${interval} ms intervals).`;
  return health;
}
