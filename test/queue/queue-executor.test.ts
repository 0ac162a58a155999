/**
 * The queue executor against a real Redis (test/support/redis-global-setup.ts): runs coordinated by
 * executeRun here, steps taken by QueueWorkers (each step in its own child process), every test on
 * its own queue prefix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { cancelRun, Instance, materialize } from '../../src/index.js';
import type { EventRecord } from '../../src/index.js';
import { Redis } from 'ioredis';
import { queueExecutor } from '../../src/core/execution/queue/queue-executor.js';
import { queueKeys, stepJobId } from '../../src/core/execution/queue/queue-protocol.js';
import { QueueWorker } from '../../src/core/execution/queue/queue-worker.js';
import type { QueueWorkerOptions } from '../../src/core/execution/queue/queue-worker.js';
import { defs } from './fixtures/queue-defs.js';
import { waitFor } from '../support/child-processes.js';
import { stepTraces } from './fixtures/step-traces.js';

const fixture = fileURLToPath(new URL('./fixtures/queue-defs.ts', import.meta.url));
const redisUrl = inject('redisUrl');
if (redisUrl === '') console.warn(`queue executor tests skipped: ${inject('redisUnavailable')}`);

let counter = 0;

describe.skipIf(redisUrl === '')('queue executor', { timeout: 120_000 }, () => {
  let dir: string;
  let instance: Instance;
  let prefix: string;
  const workers: QueueWorker[] = [];

  const startWorker = async (options: Partial<QueueWorkerOptions> = {}): Promise<QueueWorker> => {
    const worker = await QueueWorker.start({
      redisUrl,
      prefix,
      instanceHome: instance.home,
      lockDurationMs: 1000,
      stalledIntervalMs: 500,
      ...options,
    });
    workers.push(worker);
    return worker;
  };
  const executor = (options: { reconcileMs?: number } = {}) =>
    queueExecutor({ redisUrl, prefix, module: fixture, ...options });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-queue-'));
    process.env.LAKELOOP_QUEUE_TEST_DIR = dir;
    prefix = `test-queue-${process.pid}-${++counter}`;
    instance = await Instance.ephemeral({ storage: 'sqlite' });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close({ graceMs: 0 })));
    await instance.close();
    delete process.env.LAKELOOP_QUEUE_TEST_DIR;
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a diamond of steps in worker child processes; events say which worker ran each', async () => {
    await startWorker({ concurrency: 2, name: 'worker-a' });
    const run = await materialize(defs, { select: '+joined', instance, executor: executor() });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('SUCCESS');
    const events = await instance.events.getEvents({ runId: run.runId });
    const joined = events.find((e) => e.type === 'ASSET_MATERIALIZATION' && e.stepKey === 'joined');
    expect(
      await instance.ioManager.read({
        assetKey: 'joined',
        storagePath: joined?.materialization?.storagePath ?? '',
      }),
    ).toBe(3);
    // The step's own LOG line came back through the queue, and the worker said it took the step.
    const [childPid] = (stepTraces(dir, 'source')[0] ?? '').split(' ');
    expect(Number(childPid)).not.toBe(process.pid);
    expect(
      events.some(
        (e) => e.type === 'LOG' && e.stepKey === 'source' && e.message === `source ran in ${childPid}`,
      ),
    ).toBe(true);
    expect(
      events.some(
        (e) =>
          e.type === 'LOG' &&
          e.stepKey === 'source' &&
          e.message.startsWith('Running on worker worker-a (host '),
      ),
    ).toBe(true);
    const successes = events.filter((e) => e.type === 'STEP_SUCCESS');
    expect(successes.map((e) => e.stepKey).sort()).toEqual(['joined', 'left', 'right', 'source']);
    for (const success of successes) {
      expect(success.data?.executedBy).toMatchObject({ worker: 'worker-a', pid: process.pid });
    }
    // The worker's heartbeat key names it (and expires unless refreshed).
    const redis = new Redis(redisUrl);
    try {
      const key = queueKeys(prefix, 'lakeloop').worker('worker-a');
      expect(JSON.parse((await redis.get(key)) ?? '{}')).toMatchObject({
        worker: 'worker-a',
        concurrency: 2,
      });
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });

  it("retries a failed step by the asset's retry policy only (the queue does not retry step failures)", async () => {
    await startWorker();
    const flaky = await materialize(defs, { select: 'flaky', instance, executor: executor() });
    expect(flaky.status).toBe('SUCCESS');
    expect(stepTraces(dir, 'flaky').map((line) => line.split(' ')[2])).toEqual(['1', '2']);
    const failing = await materialize(defs, { select: 'always_fails', instance, executor: executor() });
    expect(failing.status).toBe('FAILURE');
    // maxRetries 1: two attempts, each run once (the queue's own attempts are not spent on it).
    expect(stepTraces(dir, 'always_fails').map((line) => line.split(' ')[2])).toEqual(['1', '2']);
    const events = await instance.events.getEvents({ runId: failing.runId });
    expect(events.filter((e) => e.type === 'STEP_UP_FOR_RETRY')).toHaveLength(1);
    expect(events.find((e) => e.type === 'STEP_FAILURE')?.error?.message).toContain('always fails');
  });

  it('a step that blocks its event loop past the lock duration keeps its lock and runs once', async () => {
    // Lock 1 s, stalled check every 0.5 s, the step busy for 2.5 s: without the child process the
    // lock would expire and the second worker would run the step again.
    await startWorker({ name: 'one' });
    await startWorker({ name: 'two' });
    const run = await materialize(defs, { select: 'blocks', instance, executor: executor() });
    expect(run.status).toBe('SUCCESS');
    expect(stepTraces(dir, 'blocks')).toHaveLength(1);
  });

  it('a closing worker hands its running step back to the queue; another worker runs it at once', async () => {
    const first = await startWorker({ name: 'closing', lockDurationMs: 60_000, stalledIntervalMs: 60_000 });
    const running = materialize(defs, { select: 'killed_once+', instance, executor: executor() });
    await waitFor(() => stepTraces(dir, 'killed_once').length === 1, { timeoutMs: 30_000 });
    await startWorker({ name: 'taker', lockDurationMs: 60_000, stalledIntervalMs: 60_000 });
    await first.close({ graceMs: 0 });
    const run = await running;
    expect(run.status).toBe('SUCCESS');
    expect(stepTraces(dir, 'killed_once')).toHaveLength(2);
    const events = await instance.events.getEvents({ runId: run.runId });
    const success = events.find((e) => e.type === 'STEP_SUCCESS' && e.stepKey === 'killed_once');
    expect(success?.data?.executedBy).toMatchObject({ worker: 'taker' });
    // Hand-backs are not attempts: one STEP_START, no failure, one materialization.
    expect(events.filter((e) => e.type === 'STEP_START' && e.stepKey === 'killed_once')).toHaveLength(1);
    expect(
      events.filter((e) => e.type === 'ASSET_MATERIALIZATION' && e.stepKey === 'killed_once'),
    ).toHaveLength(1);
  });

  it('cancel removes a step no worker took yet', async () => {
    // No worker: the job waits in the queue until the cancel removes it.
    let cancel: Promise<unknown> | undefined;
    const run = await materialize(defs, {
      select: 'source',
      instance,
      executor: executor(),
      onEvent: (event: EventRecord) => {
        if (event.type === 'STEP_START') cancel = cancelRun(instance, event.runId);
      },
    });
    await cancel;
    expect(run.status).toBe('CANCELED');
    const events = await instance.events.getEvents({ runId: run.runId });
    expect(events.find((e) => e.type === 'STEP_FAILURE')?.error?.message).toContain(
      'before a worker took it',
    );
    expect(stepTraces(dir, 'source')).toEqual([]);
  });

  it('cancel reaches the worker holding the step, which stops its step child', async () => {
    await startWorker();
    let cancel: Promise<unknown> | undefined;
    const run = await materialize(defs, {
      select: 'hangs+',
      instance,
      executor: executor(),
      onEvent: (event: EventRecord) => {
        if (event.type === 'LOG' && event.message === 'hanging') cancel = cancelRun(instance, event.runId);
      },
    });
    await cancel;
    expect(run.status).toBe('CANCELED');
    const events = await instance.events.getEvents({ runId: run.runId });
    const failure = events.find((e) => e.type === 'STEP_FAILURE');
    expect(failure?.error?.code).toBe('CANCELED');
    expect(failure?.error?.cause?.message).toMatch(/^hangs saw the abort in \d+$/);
    expect(events.filter((e) => e.type === 'STEP_SKIPPED').map((e) => e.stepKey)).toEqual(['after_hangs']);
  });

  it("retries the queue's own failures with backoff, then fails the step without a step retry", async () => {
    const broken = join(dir, 'broken-defs.ts');
    writeFileSync(broken, 'throw new Error("broken module");\n');
    await startWorker({ module: broken });
    const run = await materialize(defs, {
      select: 'flaky', // retryPolicy maxRetries 2: not spent on failures of the queue
      instance,
      executor: queueExecutor({ redisUrl, prefix, module: fixture, attempts: 2, backoffMs: 20 }),
    });
    expect(run.status).toBe('FAILURE');
    expect(run.error?.message).toMatch(
      /The queue gave up on the step: This worker cannot load the definitions/,
    );
    expect(run.error?.message).toContain('broken module');
    const events = await instance.events.getEvents({ runId: run.runId });
    expect(events.filter((e) => e.type === 'STEP_START')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'STEP_UP_FOR_RETRY')).toHaveLength(0);
    expect(stepTraces(dir, 'flaky')).toEqual([]);
    // Both tries of the job were made (a worker says it took the step each time).
    expect(events.filter((e) => e.type === 'LOG' && e.message.startsWith('Running on worker'))).toHaveLength(
      2,
    );
  });

  it("delivers a step's events sent the moment its session opened (not only after the first read)", async () => {
    // No worker: this test plays one, writing the job's progress and completion straight to the
    // queue's event stream as soon as the session is open, before its event reader has read once.
    const redis = new Redis(redisUrl);
    await redis.ping();
    const session = await executor().open({
      defs,
      runId: 'run-early-events',
      instanceHome: instance.home,
      ioManager: instance.ioManager,
    });
    const logs: string[] = [];
    const task = { runId: 'run-early-events', assetKey: 'source', attempt: 1, runTags: {}, inputs: [] };
    const outcome = session.runStep(task, {
      signal: new AbortController().signal,
      log: (_level, message) => logs.push(message),
    });
    try {
      const stream = `${prefix}:lakeloop:events`;
      const jobId = stepJobId(task);
      const identity = { kind: 'started', worker: 'by-hand', host: 'here', pid: 1 };
      await redis.xadd(stream, '*', 'event', 'progress', 'jobId', jobId, 'data', JSON.stringify(identity));
      const done = {
        status: 'FAILURE',
        error: { name: 'Error', message: 'by hand' },
        checks: [],
        retryable: false,
        durationMs: 0,
      };
      await redis.xadd(
        stream,
        '*',
        'event',
        'completed',
        'jobId',
        jobId,
        'returnvalue',
        JSON.stringify(done),
      );
      expect((await outcome).status).toBe('FAILURE');
      expect(logs).toEqual(['Running on worker by-hand (host here, pid 1).']);
    } finally {
      redis.disconnect();
      await session.close();
    }
  });

  it('says what to do when Redis cannot be reached', async () => {
    const run = await materialize(defs, {
      select: 'source',
      instance,
      executor: queueExecutor({
        redisUrl: 'redis://:secret@127.0.0.1:1',
        prefix,
        module: fixture,
        connectTimeoutMs: 500,
      }),
    });
    expect(run.status).toBe('FAILURE');
    expect(run.error?.message).toMatch(
      /Cannot reach Redis at redis:\/\/:REDACTED@127\.0\.0\.1:1\/? .*Check LAKELOOP_REDIS_URL/,
    );
    expect(JSON.stringify(run)).not.toContain('secret');
  });
});
