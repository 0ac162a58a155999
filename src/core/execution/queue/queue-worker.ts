/**
 * A queue worker (what `lakeloop worker` runs): takes step jobs from the queue executor's BullMQ
 * queue and runs each in a sandboxed step child process (multi-process/step-child.ts), at most
 * `concurrency` at a time. The children are reused for later steps with the same definitions
 * module; with `module` (`--defs`) they are started with the worker, so neither the first step nor
 * a recovered one waits for a child to load the definitions.
 *
 * - Locks and recovery: BullMQ renews the lock of each job this process holds (every
 *   `lockDurationMs / 2`); a step that blocks its event loop blocks only its child, so the lock
 *   stays renewed and the step is not taken by another worker. A worker that dies stops renewing:
 *   after at most `lockDurationMs` + `stalledIntervalMs` another worker's stalled check puts the
 *   job back and a worker runs it again (at most `maxStalledCount` times, then the job fails). A
 *   worker whose lock renewal failed stops its copy of the step (another worker may run it).
 * - The outcome (a StepOutcome, success or step failure) is the job's return value; the step's LOG
 *   lines and which worker took it travel as job progress. A step failure completes the job:
 *   executeRun's retry policy decides, the queue never retries a step failure.
 * - Cancel: the control channel (and the cancel mark for a job taken right after the cancel)
 *   aborts the step's `ctx.signal`; the child is killed when it does not stop within `abortGraceMs`.
 * - Heartbeat: besides the job locks, a key `<prefix>:<queue>:lakeloop:workers:<name>` with the
 *   worker's identity expires unless refreshed every `heartbeatMs`.
 * - `close()`: takes no new job, waits up to `graceMs` for the running steps, then hands the rest
 *   back to the queue (their children aborted), so another worker takes them at once.
 *
 * @example
 * ```ts
 * const worker = await QueueWorker.start({ redisUrl, instanceHome, concurrency: 2 });
 * process.once('SIGTERM', () => void worker.close());
 * ```
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { LakeloopError } from '../../../errors.js';
import type { LogLevel } from '../../definitions/asset-context.js';
import type { StepOutcome, StepWorkerIdentity } from '../executor.js';
import { StepChild } from '../multi-process/step-child.js';
import { serializeError } from '../serialize-error.js';
import { queueKeys } from './queue-protocol.js';
import type { QueueControlMessage, QueueKeys, StepJobData, StepJobProgress } from './queue-protocol.js';
import { connectRedis, quiet, redactRedisUrl } from './redis-url.js';

/** Recovery defaults: a dead worker's step runs again within about 15 s (BullMQ's own: ~56 s measured). */
export const QUEUE_WORKER_DEFAULTS = {
  lockDurationMs: 10_000,
  stalledIntervalMs: 5_000,
  maxStalledCount: 1,
  heartbeatMs: 5_000,
} as const;

/** Options of {@link QueueWorker.start}. */
export interface QueueWorkerOptions {
  redisUrl: string;
  /** Queue name. Default `lakeloop`. */
  queue?: string;
  /** BullMQ key prefix. Default `lakeloop`. */
  prefix?: string;
  /** Steps at once (one child process each). Default 1. */
  concurrency?: number;
  /** Definitions module for every step (`--defs`). Default: the one each job names. */
  module?: string;
  /** This host's instance home (the steps' `ctx.instanceHome`, resources). */
  instanceHome: string;
  /** IO manager URL for every step (`LAKELOOP_IO_URL` here). Default: the one each job names. */
  ioUrl?: string;
  /** Worker name (events say which worker ran a step). Default `<host>:<pid>`. */
  name?: string;
  /** Job lock duration. Default 10 000 ms. */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for. Default 5 000 ms. */
  stalledIntervalMs?: number;
  /** How often a job may stall (its worker died) before it fails. Default 1. */
  maxStalledCount?: number;
  /** Heartbeat key refresh. Default 5 000 ms. */
  heartbeatMs?: number;
  /** How long a canceled step may take to stop before its child is killed. Default 5 000 ms. */
  abortGraceMs?: number;
  /** Lines about what the worker does. Default none. */
  log?: (level: LogLevel, message: string) => void;
}

/** Options of {@link QueueWorker.close}. */
export interface QueueWorkerCloseOptions {
  /** How long running steps may take to finish before they are handed back. Default 30 000 ms. */
  graceMs?: number;
}

interface ActiveStep {
  controller: AbortController;
  /** Set when the step is stopped for a hand-back (close) or a lost lock, not a cancel. */
  handBack: boolean;
}

/** Child processes by definitions module, reused between steps (each step names its IO manager). */
class StepChildPool {
  readonly #idle = new Map<string, StepChild[]>();
  readonly #all = new Set<StepChild>();

  constructor(
    readonly limit: number,
    readonly instanceHome: string,
    readonly abortGraceMs: number,
  ) {}

  /** Starts children for `module` up to the limit (so the first steps, and recoveries, skip the start-up). */
  warm(module: string): void {
    const idle = this.#idle.get(module) ?? [];
    while (this.#all.size < this.limit) {
      const child = StepChild.start({
        module,
        instanceHome: this.instanceHome,
        abortGraceMs: this.abortGraceMs,
      });
      this.#all.add(child);
      idle.push(child);
    }
    this.#idle.set(module, idle);
  }

  acquire(module: string): { child: StepChild; release: () => void } {
    const idle = this.#idle.get(module) ?? [];
    let child = idle.pop();
    while (child !== undefined && !child.alive) {
      this.#all.delete(child);
      child = idle.pop();
    }
    if (child === undefined) {
      if (this.#all.size >= this.limit) this.#evictIdle();
      child = StepChild.start({ module, instanceHome: this.instanceHome, abortGraceMs: this.abortGraceMs });
      this.#all.add(child);
    }
    const taken = child;
    return {
      child: taken,
      release: () => {
        if (!taken.alive) {
          this.#all.delete(taken);
          return;
        }
        const list = this.#idle.get(module) ?? [];
        list.push(taken);
        this.#idle.set(module, list);
      },
    };
  }

  #evictIdle(): void {
    for (const list of this.#idle.values()) {
      const child = list.shift();
      if (child !== undefined) {
        this.#all.delete(child);
        void child.close();
        return;
      }
    }
  }

  endRun(runId: string): void {
    for (const child of this.#all) child.endRun(runId);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#all].map((child) => child.close()));
    this.#all.clear();
    this.#idle.clear();
  }
}

/** A running queue worker. */
export class QueueWorker {
  readonly identity: StepWorkerIdentity;
  readonly #options: QueueWorkerOptions;
  readonly #keys: QueueKeys;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  /** The BullMQ worker's connection (BullMQ does not close a connection it was given). */
  readonly #workerConnection: Redis;
  readonly #pool: StepChildPool;
  readonly #active = new Map<string, ActiveStep>();
  readonly #log: (level: LogLevel, message: string) => void;
  #worker: Worker<StepJobData, StepOutcome> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: QueueWorkerOptions) {
    this.#options = options;
    this.identity = {
      worker: options.name ?? `${hostname()}:${process.pid}`,
      host: hostname(),
      pid: process.pid,
    };
    this.#keys = queueKeys(options.prefix ?? 'lakeloop', options.queue ?? 'lakeloop');
    this.#redis = connectRedis(options.redisUrl, `lakeloop-worker:${this.identity.worker}`);
    this.#subscriber = quiet(this.#redis.duplicate());
    this.#workerConnection = quiet(this.#redis.duplicate());
    this.#pool = new StepChildPool(
      Math.max(1, options.concurrency ?? 1),
      options.instanceHome,
      options.abortGraceMs ?? 5000,
    );
    this.#log = options.log ?? (() => undefined);
  }

  /** Connects, subscribes to the control channel and starts taking jobs. */
  static async start(options: QueueWorkerOptions): Promise<QueueWorker> {
    const worker = new QueueWorker(options);
    try {
      await worker.#start();
    } catch (cause) {
      await worker.close({ graceMs: 0 }).catch(() => undefined);
      throw new LakeloopError(
        'UNAVAILABLE',
        `Cannot start the worker on ${redactRedisUrl(options.redisUrl)}: ${(cause as Error).message}`,
        { cause },
      );
    }
    return worker;
  }

  /** Steps running now. */
  get running(): number {
    return this.#active.size;
  }

  async #start(): Promise<void> {
    const options = this.#options;
    await this.#redis.ping();
    this.#subscriber.on('message', (_channel: string, text: string) => {
      this.#onControl(text);
    });
    await this.#subscriber.subscribe(this.#keys.control);
    await this.#beat();
    this.#heartbeat = setInterval(
      () => void this.#beat().catch(() => undefined),
      options.heartbeatMs ?? 5000,
    );
    this.#heartbeat.unref();
    const worker = new Worker<StepJobData, StepOutcome>(
      options.queue ?? 'lakeloop',
      (job, token) => this.#process(job, token),
      {
        connection: this.#workerConnection,
        prefix: options.prefix ?? 'lakeloop',
        concurrency: Math.max(1, options.concurrency ?? 1),
        lockDuration: options.lockDurationMs ?? QUEUE_WORKER_DEFAULTS.lockDurationMs,
        stalledInterval: options.stalledIntervalMs ?? QUEUE_WORKER_DEFAULTS.stalledIntervalMs,
        maxStalledCount: options.maxStalledCount ?? QUEUE_WORKER_DEFAULTS.maxStalledCount,
        name: this.identity.worker,
      },
    );
    worker.on('error', (error) => {
      this.#log('WARN', `queue error: ${error.message}`);
    });
    worker.on('stalled', (jobId) => {
      this.#log('WARN', `job ${jobId} stalled (its worker stopped renewing its lock): back in the queue`);
    });
    worker.on('lockRenewalFailed', (jobIds) => {
      // Another worker may take these steps now: stop our copies (their results would be refused).
      for (const jobId of jobIds) this.#stop(jobId, true);
      this.#log('WARN', `lost the lock of ${jobIds.join(', ')}: stopped those steps`);
    });
    worker.on('failed', (job, error) => {
      this.#log('WARN', `job ${job?.id ?? '?'} failed in the queue: ${error.message}`);
    });
    this.#worker = worker;
    if (options.module !== undefined) this.#pool.warm(resolve(options.module));
    await worker.waitUntilReady();
  }

  async #beat(): Promise<void> {
    const ttl = 3 * (this.#options.heartbeatMs ?? 5000);
    await this.#redis.set(
      this.#keys.worker(this.identity.worker),
      JSON.stringify({
        ...this.identity,
        concurrency: this.#pool.limit,
        running: this.running,
        at: Date.now(),
      }),
      'PX',
      ttl,
    );
  }

  #onControl(text: string): void {
    let message: QueueControlMessage;
    try {
      message = JSON.parse(text) as QueueControlMessage;
    } catch {
      return;
    }
    if (message.type === 'cancel') this.#stop(message.jobId, false);
    else this.#pool.endRun(message.runId);
  }

  #stop(jobId: string, handBack: boolean): void {
    const step = this.#active.get(jobId);
    if (step === undefined) return;
    step.handBack ||= handBack;
    step.controller.abort();
  }

  async #process(job: Job<StepJobData, StepOutcome>, token: string | undefined): Promise<StepOutcome> {
    const jobId = job.id ?? '';
    const { task } = job.data;
    const step: ActiveStep = { controller: new AbortController(), handBack: false };
    this.#active.set(jobId, step);
    try {
      const started = Date.now();
      if ((await this.#redis.exists(this.#keys.canceled(jobId))) === 1) {
        return {
          status: 'FAILURE',
          error: serializeError(
            new LakeloopError('CANCELED', `Step "${task.assetKey}" not started: the run was canceled.`),
          ),
          checks: [],
          retryable: false,
          durationMs: 0,
          executedBy: this.identity,
        };
      }
      const module = this.#options.module ?? job.data.module;
      if (module === undefined) {
        // No worker can run it without being told the definitions: fail it now, no retries.
        throw new UnrecoverableError(
          `Job ${jobId} names no definitions module and this worker has no --defs: start workers with --defs <file>.`,
        );
      }
      // Progress updates in order, and all of them before the outcome.
      let progressTail: Promise<unknown> = Promise.resolve();
      const report = (progress: StepJobProgress): void => {
        progressTail = progressTail.then(() => job.updateProgress(progress)).catch(() => undefined);
      };
      report({ kind: 'started', ...this.identity });
      this.#log(
        'INFO',
        `running ${task.assetKey}${task.partition === undefined ? '' : ` [${task.partition}]`} of run ${task.runId} (attempt ${task.attempt})`,
      );
      const ioUrl = this.#options.ioUrl ?? job.data.ioUrl;
      const { child, release } = this.#pool.acquire(resolve(module));
      const initError = await child.ready();
      if (initError !== undefined) {
        child.kill();
        release();
        // The queue retries it (with backoff), maybe on a worker that can load the definitions.
        throw new Error(
          `This worker cannot load the definitions ${module}: ${initError.message}${initError.cause === undefined ? '' : ` (${initError.cause.message})`}`,
        );
      }
      let outcome: StepOutcome;
      try {
        outcome = await child.run(
          task,
          {
            signal: step.controller.signal,
            log: (level, message) => {
              report({ kind: 'log', level, message });
            },
          },
          ioUrl,
        );
      } finally {
        release();
      }
      await progressTail;
      if (step.handBack) {
        // Stopped for a hand-back (closing) or a lost lock: not an outcome of the step.
        if (token !== undefined) await job.moveToWait(token).catch(() => undefined);
        throw new WaitingError();
      }
      this.#log(
        'INFO',
        `${task.assetKey} of run ${task.runId}: ${outcome.status} in ${Date.now() - started} ms`,
      );
      return { ...outcome, executedBy: this.identity };
    } finally {
      this.#active.delete(jobId);
    }
  }

  /** Stops taking jobs, lets running steps finish (up to `graceMs`), hands the rest back, disconnects. */
  close(options: QueueWorkerCloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      const handBack = setTimeout(() => {
        for (const jobId of this.#active.keys()) this.#stop(jobId, true);
      }, options.graceMs ?? 30_000);
      try {
        await this.#worker?.close();
      } finally {
        clearTimeout(handBack);
      }
      if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
      await this.#pool.close();
      await this.#redis.del(this.#keys.worker(this.identity.worker)).catch(() => undefined);
      this.#subscriber.disconnect();
      this.#workerConnection.disconnect();
      this.#redis.disconnect();
    })();
    return this.#closing;
  }
}
