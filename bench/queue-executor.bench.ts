/**
 * The queue executor (BullMQ on a private redis-server, AOF everysec, noeviction):
 *
 * 1. Steps per second through the queue: 64 independent trivial steps queued at once by one run
 *    (the coordinator in this process, SQLite storage), taken by 1, 2 and 4 `lakeloop worker`
 *    processes (concurrency 1 each, every step in the worker's step child). Median of 3 runs after
 *    a warm-up run (which starts the step children).
 * 2. Recovery after SIGKILL: two workers with the default lock (10 s) and stalled interval (5 s);
 *    the worker holding a step is killed mid-step; the time until the other worker starts the
 *    step again (goal <= 15 s). 3 trials.
 *
 * ```sh
 * npm run bench -- queue-executor
 * ```
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Instance, materialize } from '../src/index.js';
import { queueExecutor } from '../src/core/execution/queue/queue-executor.js';
import { startRedisServer } from '../test/support/redis-server-process.js';
import { defs as queueTestDefs } from '../test/queue/fixtures/queue-defs.js';
import { median, reportBench } from './bench-report.js';
import type { BenchFigure } from './bench-report.js';
import { defs, TRIVIAL_STEPS } from './fixtures/queue-bench-defs.js';
import { stopChild, waitFor } from '../test/support/child-processes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDefs = join(root, 'bench', 'fixtures', 'queue-bench-defs.ts');
const testDefs = join(root, 'test', 'queue', 'fixtures', 'queue-defs.ts');
const RUNS = Number(process.env.QUEUE_BENCH_RUNS ?? 3);
const RECOVERY_TRIALS = Number(process.env.QUEUE_BENCH_RECOVERY_TRIALS ?? 3);

async function startWorker(options: {
  name: string;
  prefix: string;
  redisUrl: string;
  home: string;
  defs: string;
  env?: Record<string, string>;
}): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      'bin/lakeloop.js',
      '--home',
      options.home,
      'worker',
      '--prefix',
      options.prefix,
      '--name',
      options.name,
      '--defs',
      options.defs,
      '--quiet',
    ],
    {
      cwd: root,
      env: { ...process.env, LAKELOOP_REDIS_URL: options.redisUrl, ...options.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith(`lakeloop worker ${options.name}:`)) break;
  }
  child.stdout.resume();
  return child;
}

async function throughput(redisUrl: string, workers: number): Promise<number> {
  const instance = await Instance.ephemeral({ storage: 'sqlite' });
  const prefix = `bench-${workers}-${Date.now()}`;
  const procs = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      startWorker({ name: `w${i}`, prefix, redisUrl, home: instance.home, defs: benchDefs }),
    ),
  );
  const executor = queueExecutor({ redisUrl, prefix, module: benchDefs, maxConcurrency: TRIVIAL_STEPS });
  try {
    const rates: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const started = performance.now();
      const done = await materialize(defs, { select: '*', instance, executor });
      const seconds = (performance.now() - started) / 1000;
      if (done.status !== 'SUCCESS')
        throw new Error(`run ${done.runId} ${done.status}: ${done.error?.message ?? ''}`);
      if (run > 0) rates.push(TRIVIAL_STEPS / seconds); // run 0 warms up (step children start)
    }
    return median(rates);
  } finally {
    await Promise.all(procs.map(stopChild));
    await instance.close();
  }
}

async function recoveryMs(redisUrl: string, trial: number): Promise<number> {
  const instance = await Instance.ephemeral({ storage: 'sqlite' });
  const dir = mkdtempSync(join(tmpdir(), 'lakeloop-queue-bench-'));
  process.env.LAKELOOP_QUEUE_TEST_DIR = dir;
  const prefix = `bench-recovery-${trial}-${Date.now()}`;
  const env = { LAKELOOP_QUEUE_TEST_DIR: dir };
  const procs = await Promise.all(
    ['a', 'b'].map((name) =>
      startWorker({ name, prefix, redisUrl, home: instance.home, defs: testDefs, env }),
    ),
  );
  const lines = (): string[] => {
    try {
      return readFileSync(join(dir, 'killed_once.log'), 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };
  try {
    const running = materialize(queueTestDefs, {
      select: 'killed_once',
      instance,
      executor: queueExecutor({ redisUrl, prefix, module: testDefs }),
    });
    await waitFor(() => lines().length === 1, { timeoutMs: 60_000, pollMs: 10 });
    const holderPid = Number(lines()[0]?.split(' ')[1]);
    const holder = procs.find((p) => p.pid === holderPid);
    if (holder === undefined) throw new Error('no worker holds the step');
    const killedAt = performance.now();
    holder.kill('SIGKILL');
    await waitFor(() => lines().length >= 2, { timeoutMs: 120_000, pollMs: 10 });
    const ms = performance.now() - killedAt;
    const done = await running;
    if (done.status !== 'SUCCESS') throw new Error(`recovery run ${done.status}`);
    return ms;
  } finally {
    await Promise.all(procs.map(stopChild));
    await instance.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = loadavg()[0] ?? 0;
const redis = await startRedisServer();
try {
  const figures: BenchFigure[] = [];
  for (const workers of [1, 2, 4]) {
    const rate = await throughput(redis.url, workers);
    console.log(`${workers} worker(s): ${rate.toFixed(1)} steps/s`);
    figures.push({
      name: `steps_per_s_${workers}_worker${workers > 1 ? 's' : ''}`,
      value: rate,
      unit: 'steps/s',
    });
  }
  const recoveries: number[] = [];
  for (let trial = 0; trial < RECOVERY_TRIALS; trial++) {
    const ms = await recoveryMs(redis.url, trial);
    console.log(`recovery trial ${trial + 1}: ${(ms / 1000).toFixed(1)} s`);
    recoveries.push(ms);
  }
  if (recoveries.length > 0) {
    figures.push({
      name: 'recovery_after_sigkill_median',
      value: median(recoveries) / 1000,
      unit: 's',
      goal: '<= 15 s',
    });
    figures.push({
      name: 'recovery_after_sigkill_max',
      value: Math.max(...recoveries) / 1000,
      unit: 's',
      goal: '<= 15 s',
    });
  }
  reportBench('queue-executor', figures, {
    loadavg1AtStart: load,
    trivialSteps: TRIVIAL_STEPS,
    runs: RUNS,
    lockDurationMs: 10_000,
    stalledIntervalMs: 5_000,
  });
  console.log(`load average at start: ${load.toFixed(2)}, at end: ${(loadavg()[0] ?? 0).toFixed(2)}`);
} finally {
  await redis.stop();
}
