/**
 * Commit -> run STARTED latency of the data-commit sensor, with the real clock, a real embedded
 * data repository, SQLite storages and a started Daemon: (1) push — the repository's onCommit
 * evaluates the sensor at once; (2) polling at 1 s — the sensor cannot subscribe, so the daemon's
 * 1 s interval finds the commit (commits land at a random phase of the interval). Latency = the
 * run's `startedAt` minus the moment `commit()` returned.
 *
 * ```sh
 * npm run bench -- sensor-latency
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Daemon, defineAsset, defineJob, Definitions, Instance } from 'lakeloop';
import { dataCommitSensor, EmbeddedDataRepository } from 'lakeloop/data';
import type { CommitLogReader } from 'lakeloop/data';
import { median, percentile, reportBench } from './bench-report.js';

const COMMITS = Number(process.env.SENSOR_BENCH_COMMITS ?? 20);

interface ModeResult {
  latenciesMs: number[];
}

async function measure(mode: 'push' | 'poll'): Promise<ModeResult> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-bench-'));
  const data = new EmbeddedDataRepository({ home });
  await data.createRepository({ name: 'flights' });
  let onStep: (() => void) | undefined; // runs are serial: one step is awaited at a time
  const processed = defineAsset({
    key: 'processed',
    compute: (ctx) => {
      onStep?.();
      return ctx.runTags['lakeloop/data_commit'] ?? '';
    },
  });
  // Polling: hand the sensor a client without onCommit, so only the interval can find commits.
  const reader: CommitLogReader =
    mode === 'push'
      ? data
      : { getBranch: (o) => data.getBranch(o), log: (o) => data.log(o), diff: (o) => data.diff(o) };
  const defs = new Definitions({
    assets: [processed],
    jobs: [defineJob({ name: 'process', select: 'processed' })],
    sensors: [
      dataCommitSensor({
        name: 'new_data',
        repository: 'flights',
        branch: 'main',
        job: 'process',
        dataRepository: reader,
        minimumIntervalSeconds: mode === 'push' ? 3600 : 1,
      }),
    ],
  });
  const instance = await Instance.open({ home });
  const daemon = new Daemon({ defs, instance, tickIntervalMs: 100, maxConcurrentRuns: 1 });
  await daemon.start();
  await daemon.sensors.idle();
  const latenciesMs: number[] = [];
  try {
    for (let i = 0; i < COMMITS; i++) {
      if (mode === 'poll') await delay(Math.random() * 1000); // a random phase of the polling interval
      await data.putObject({
        repository: 'flights',
        branch: 'main',
        path: `chunk-${i}.csv`,
        content: `row,${i}\n`,
      });
      // Registered before the commit: with push, the run may start before commit() returns.
      const stepStarted = new Promise<void>((resolve) => {
        onStep = resolve;
      });
      const { id: commitId } = await data.commit({
        repository: 'flights',
        branch: 'main',
        message: `chunk ${i}`,
      });
      const committedAt = Date.now();
      await Promise.race([
        stepStarted,
        delay(30_000, undefined, { ref: false }).then(() =>
          Promise.reject(new Error(`no run for ${commitId}`)),
        ),
      ]);
      const [run] = await instance.runs.listRuns({ tags: { 'lakeloop/data_commit': commitId } });
      if (run?.startedAt === undefined) throw new Error(`run of ${commitId} has no startedAt`);
      latenciesMs.push(Math.max(0, run.startedAt - committedAt));
      await daemon.queue.idle();
    }
  } finally {
    await daemon.stop();
    await instance.close();
    await data.close();
    rmSync(home, { recursive: true, force: true });
  }
  return { latenciesMs };
}

const push = await measure('push');
const poll = await measure('poll');
reportBench(
  'sensor-latency',
  [
    { name: 'push_p50', value: median(push.latenciesMs), unit: 'ms', goal: '<= 250 ms' },
    { name: 'push_p95', value: percentile(push.latenciesMs, 95), unit: 'ms' },
    { name: 'push_max', value: Math.max(...push.latenciesMs), unit: 'ms' },
    {
      name: 'poll_1s_p50',
      value: median(poll.latenciesMs),
      unit: 'ms',
      goal: '<= 1250 ms (interval + 250 ms)',
    },
    { name: 'poll_1s_p95', value: percentile(poll.latenciesMs, 95), unit: 'ms' },
    { name: 'poll_1s_max', value: Math.max(...poll.latenciesMs), unit: 'ms' },
  ],
  {
    commits: COMMITS,
    storage: 'sqlite',
    data: 'embedded',
    daemonTickMs: 100,
    note: 'latency = run.startedAt - commit() returned',
  },
);
