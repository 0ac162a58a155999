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
import { setTimeout as delay } from 'node:timers/promises';
import { median, percentile, reportBench } from './bench-report.js';
import { startSensorBench, timeout } from './sensor-bench-daemon.js';

const COMMITS = Number(process.env.SENSOR_BENCH_COMMITS ?? 20);

interface ModeResult {
  latenciesMs: number[];
}

async function measure(mode: 'push' | 'poll'): Promise<ModeResult> {
  const bench = await startSensorBench(mode);
  const { data } = bench;
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
      const stepStarted = bench.nextStep();
      const { id: commitId } = await data.commit({
        repository: 'flights',
        branch: 'main',
        message: `chunk ${i}`,
      });
      const committedAt = Date.now();
      await Promise.race([stepStarted, timeout(30_000, `no run for ${commitId}`)]);
      latenciesMs.push(Math.max(0, (await bench.startedAt(commitId)) - committedAt));
      await bench.daemon.queue.idle();
    }
  } finally {
    await bench.close();
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
