/**
 * The queue executor: steps run in `lakeloop worker` processes on any host, through a BullMQ queue
 * on Redis. executeRun (run-execution.ts) calls `runStep` only once a step's inputs are stored, so
 * this session is the per-run coordinator that queues each step when its inputs are ready (a DAG
 * with several parents per step, which BullMQ's tree-shaped FlowProducer cannot express).
 *
 * - `runStep` adds one job per step attempt to queue `<prefix>:<queue>` (its id derived from run,
 *   step, partition and attempt, so adding it again adds nothing) and waits for its outcome on the
 *   queue's event stream (BullMQ's QueueEvents: blocking reads, no polling); a slow reconciliation
 *   (every `reconcileMs`) reads the job of a waiting step in case an event was missed.
 * - The worker's progress messages carry which worker took the step and the step's LOG lines;
 *   they become `channel.log` calls, so this process stays the one writer of the run's events.
 * - Step failures come back as FAILURE outcomes (executeRun's retry policy decides); only the
 *   queue's own failures (a worker that cannot load the definitions, a job whose worker died more
 *   often than `maxStalledCount`) are retried by BullMQ, with exponential backoff and jitter.
 * - Cancellation (the run's signal): the job is removed while it waits; once a worker holds it,
 *   the worker is told on the queue's control channel (and a cancel mark covers a worker that is
 *   taking it right now) and kills the step child.
 *
 * Redis connections are opened when a run's session opens and closed when the last one closes.
 *
 * @example
 * ```ts
 * const executor = queueExecutor({ redisUrl: 'redis://127.0.0.1:6379', module: '/srv/defs.ts' });
 * await materialize(defs, { select: '*', instance, executor });
 * ```
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { LakeloopError } from '../../../errors.js';
import type { Executor, ExecutorSession, StepChannel, StepOutcome, StepTask } from '../executor.js';
import { CANCEL_MARK_TTL_MS, queueKeys, stepJobId } from './queue-protocol.js';
import type { QueueControlMessage, QueueKeys, StepJobData, StepJobProgress } from './queue-protocol.js';
import { connectRedis, quiet, redactRedisUrl } from './redis-url.js';
import { stepFailure } from '../step-failure.js';

/** The run tag naming the definitions module (written by `materialize` and the daemon). */
const DEFS_TAG = 'lakeloop/defs';

/** Options of {@link queueExecutor}. */
export interface QueueExecutorOptions {
  /** `redis://…` (see redis-url.ts). */
  redisUrl: string;
  /** Queue name. Default `lakeloop`. */
  queue?: string;
  /** BullMQ key prefix (keys are `<prefix>:<queue>:…`). Default `lakeloop`. */
  prefix?: string;
  /**
   * Absolute path of the definitions module the workers load (a worker's `--defs` wins). Default:
   * the run's `lakeloop/defs` tag.
   */
  module?: string;
  /** Steps of one run queued at once. Default 64 (the workers' concurrency is the real limit). */
  maxConcurrency?: number;
  /** Tries of a job when the queue itself fails it (not the step). Default 3. */
  attempts?: number;
  /** First backoff between those tries (exponential, 50% jitter). Default 1000 ms. */
  backoffMs?: number;
  /** How often a waiting step's job is read directly (missed events). Default 5000 ms. */
  reconcileMs?: number;
  /** How long a run's session waits for Redis when it opens before the run fails. Default 10 000 ms. */
  connectTimeoutMs?: number;
}

interface Waiter {
  channel: StepChannel;
  started: number;
  canceled: boolean;
  settle(outcome: StepOutcome): void;
}

/** The Redis side shared by the sessions of one executor. */
interface QueueClient {
  queue: Queue;
  events: QueueEvents;
  /** Commands (cancel marks, control messages). */
  redis: Redis;
  keys: QueueKeys;
  waiters: Map<string, Waiter>;
  reconcile: NodeJS.Timeout;
  close(): Promise<void>;
}

function isOutcome(value: unknown): value is StepOutcome {
  const status = (value as { status?: unknown } | null)?.status;
  return status === 'SUCCESS' || status === 'FAILURE';
}

function outcomeOf(returnvalue: unknown, started: number): StepOutcome {
  const value: unknown = typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue;
  return isOutcome(value)
    ? value
    : stepFailure(
        new LakeloopError(
          'INTERNAL',
          `A worker returned something that is not a step outcome: ${(JSON.stringify(value) as string | undefined)?.slice(0, 200) ?? 'undefined'}`,
        ),
        false,
        started,
      );
}

/** A job the queue failed for good: a FAILURE that executeRun does not retry (the queue already did). */
function queueFailure(reason: string | undefined, started: number): StepOutcome {
  return stepFailure(
    new LakeloopError('STEP_FAILED', `The queue gave up on the step: ${reason ?? 'unknown reason'}.`),
    false,
    started,
  );
}

/**
 * A canceled job that left the queue before any worker took it. One outcome for both paths that
 * can see it (the cancel's own remove, and a reconciliation reading the job gone in between).
 */
function canceledBeforeTaken(started: number): StepOutcome {
  return stepFailure(
    new LakeloopError('CANCELED', 'The step was canceled before a worker took it.'),
    false,
    started,
  );
}

/** Creates the queue executor. */
export function queueExecutor(options: QueueExecutorOptions): Executor {
  const queueName = options.queue ?? 'lakeloop';
  const prefix = options.prefix ?? 'lakeloop';
  const maxConcurrency = Math.max(1, options.maxConcurrency ?? 64);
  const attempts = Math.max(1, options.attempts ?? 3);
  const backoffMs = options.backoffMs ?? 1000;
  const reconcileMs = options.reconcileMs ?? 5000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const where = `${redactRedisUrl(options.redisUrl)} (queue ${prefix}:${queueName})`;
  let client: Promise<QueueClient> | undefined;
  let sessions = 0;

  const check = async (c: QueueClient, jobId: string): Promise<void> => {
    const waiter = c.waiters.get(jobId);
    if (waiter === undefined) return;
    // The state first, then the record: read the other way round, a job finishing in between
    // would look completed without its return value.
    const state = await c.queue.getJobState(jobId);
    if (state === 'unknown') {
      if (waiter.canceled) {
        waiter.settle(canceledBeforeTaken(waiter.started));
      }
      return;
    }
    if (state !== 'completed' && state !== 'failed') return;
    const job = await Job.fromId(c.queue, jobId);
    if (job === undefined) return;
    if (state === 'completed') waiter.settle(outcomeOf(job.returnvalue, waiter.started));
    else waiter.settle(queueFailure(job.failedReason, waiter.started));
  };

  /** Subscribes the session's handlers to the queue's event stream. */
  const listen = (events: QueueEvents, c: QueueClient): void => {
    events.on('progress', ({ jobId, data }) => {
      const waiter = c.waiters.get(jobId);
      if (waiter === undefined || typeof data !== 'object') return;
      const progress = data as StepJobProgress;
      if (progress.kind === 'log') waiter.channel.log(progress.level, progress.message);
      else {
        waiter.channel.log(
          'INFO',
          `Running on worker ${progress.worker} (host ${progress.host}, pid ${progress.pid}).`,
        );
      }
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      c.waiters.get(jobId)?.settle(outcomeOf(returnvalue, c.waiters.get(jobId)?.started ?? Date.now()));
    });
    events.on('failed', ({ jobId }) => {
      // Read the job: only a final failure settles (not an attempt the queue retries).
      void check(c, jobId).catch(() => undefined);
    });
    events.on('error', () => undefined); // ioredis reconnects; the reconciliation covers the gap
  };

  const connect = async (): Promise<QueueClient> => {
    const connection = connectRedis(options.redisUrl, `lakeloop-coordinator:${hostname()}:${process.pid}`);
    const redis = quiet(connection.duplicate());
    const queue = new Queue(queueName, { connection, prefix });
    queue.on('error', () => undefined);
    const eventsConnection = quiet(connection.duplicate());
    let events: QueueEvents | undefined;
    const disconnect = (): void => {
      for (const conn of [redis, eventsConnection, connection]) conn.disconnect();
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      events = await Promise.race([
        (async () => {
          await Promise.all([queue.waitUntilReady(), redis.ping()]);
          // Read the stream from its end as of now. QueueEvents' default ('$') means "from its first
          // blocking read", which it sends a moment after it reports ready: a step queued in between
          // would lose its first events (the "Running on worker" line, early LOG lines).
          const [last] = await redis.xrevrange(queue.toKey('events'), '+', '-', 'COUNT', 1);
          const opened = new QueueEvents(queueName, {
            connection: eventsConnection,
            prefix,
            lastEventId: last?.[0] ?? '0-0',
          });
          await opened.waitUntilReady();
          return opened;
        })(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`no answer within ${connectTimeoutMs} ms`));
          }, connectTimeoutMs);
        }),
      ]);
    } catch (cause) {
      // Not BullMQ's close: it waits for a connection that never came.
      disconnect();
      void events?.close().catch(() => undefined);
      void queue.close().catch(() => undefined);
      throw new LakeloopError(
        'UNAVAILABLE',
        `Cannot reach Redis at ${where}: ${(cause as Error).message}. Check LAKELOOP_REDIS_URL and that Redis runs.`,
        { cause },
      );
    } finally {
      clearTimeout(timer);
    }
    const waiters = new Map<string, Waiter>();
    const reconcile = setInterval(() => {
      for (const jobId of waiters.keys()) void check(c, jobId).catch(() => undefined);
    }, reconcileMs);
    reconcile.unref();
    const opened = events;
    const c: QueueClient = {
      queue,
      events: opened,
      redis,
      keys: queueKeys(prefix, queueName),
      waiters,
      reconcile,
      close: async () => {
        clearInterval(reconcile);
        await opened.close();
        await queue.close();
        disconnect();
      },
    };
    // No event is lost before this: QueueEvents emits from its reads' replies (I/O callbacks), and
    // only promise continuations have run since it reported ready.
    listen(opened, c);
    return c;
  };

  const publish = async (c: QueueClient, message: QueueControlMessage): Promise<void> => {
    await c.redis.publish(c.keys.control, JSON.stringify(message));
  };

  const cancel = async (c: QueueClient, jobId: string, waiter: Waiter): Promise<void> => {
    waiter.canceled = true;
    // Mark first: a worker taking the job from now on sees the mark; one holding it gets the message.
    await c.redis.set(c.keys.canceled(jobId), '1', 'PX', CANCEL_MARK_TTL_MS);
    const removed = await c.queue.remove(jobId);
    if (removed === 1) {
      waiter.settle(canceledBeforeTaken(waiter.started));
      return;
    }
    await publish(c, { type: 'cancel', jobId });
  };

  const runStep = async (
    c: QueueClient,
    task: StepTask,
    channel: StepChannel,
    ioUrl: string | undefined,
  ): Promise<StepOutcome> => {
    const started = Date.now();
    if (channel.signal.aborted) {
      return stepFailure(
        new LakeloopError('CANCELED', `Step "${task.assetKey}" not started: the run was canceled.`),
        false,
        started,
      );
    }
    const jobId = stepJobId(task);
    const module = options.module ?? task.runTags[DEFS_TAG];
    const data: StepJobData = {
      task,
      ...(module === undefined ? {} : { module: resolve(module) }),
      ...(ioUrl === undefined ? {} : { ioUrl }),
    };
    return new Promise<StepOutcome>((resolveOutcome) => {
      const onAbort = (): void => {
        void cancel(c, jobId, waiter).catch(() => undefined);
      };
      const waiter: Waiter = {
        channel,
        started,
        canceled: false,
        settle: (outcome) => {
          if (c.waiters.get(jobId) !== waiter) return; // settled already
          c.waiters.delete(jobId);
          channel.signal.removeEventListener('abort', onAbort);
          resolveOutcome(outcome);
        },
      };
      c.waiters.set(jobId, waiter);
      // One abort listener per queued step of the run (up to maxConcurrency), not a leak.
      setMaxListeners(maxConcurrency + 16, channel.signal);
      channel.signal.addEventListener('abort', onAbort, { once: true });
      c.queue
        .add('step', data, {
          jobId,
          attempts,
          backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 },
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 24 * 3600 },
        })
        // The event stream may have been read from a moment after the job finished: look once.
        .then(() => check(c, jobId))
        .catch((cause: unknown) => {
          waiter.settle(
            stepFailure(
              new LakeloopError(
                'UNAVAILABLE',
                `Cannot queue step "${task.assetKey}" on ${where}: ${(cause as Error).message}`,
                {
                  cause,
                },
              ),
              true,
              started,
            ),
          );
        });
    });
  };

  return {
    name: 'queue',
    open: async (context) => {
      sessions++;
      let c: QueueClient;
      try {
        client ??= connect();
        c = await client;
      } catch (error) {
        sessions--;
        client = undefined;
        throw error;
      }
      const ioUrl = context.ioManager.location;
      let closed = false;
      const session: ExecutorSession = {
        maxConcurrency,
        runStep: (task, channel) => runStep(c, task, channel, ioUrl),
        close: async () => {
          if (closed) return;
          closed = true;
          await publish(c, { type: 'run-closed', runId: context.runId }).catch(() => undefined);
          sessions--;
          if (sessions === 0) {
            const closing = client;
            client = undefined;
            await (await closing)?.close();
          }
        },
      };
      return session;
    },
  };
}
