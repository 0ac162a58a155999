/**
 * Commit in one process -> run STARTED in a daemon in another process, on the same home (embedded
 * data repository, SQLite storages, the real clock, a started Daemon). A committer child
 * (`bench/cross-process-push-child.ts`) commits on command; the daemon's data-commit sensor sees it
 * (1) by push — `<home>/data/commit-signal` rings, the repository re-reads the heads, `onCommit`
 * evaluates the sensor (its interval is an hour, so only the push can explain a run); (2) by the
 * 1 s poll only — the sensor gets a client without `onCommit` (commits land at a random phase of
 * the interval). Latency = the run's `startedAt` minus the moment `commit()` returned in the child.
 *
 * ```sh
 * npm run bench -- cross-process-push
 * ```
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { median, percentile, reportBench } from './bench-report.js';
import { startSensorBench, timeout } from './sensor-bench-daemon.js';

const COMMITS = Number(process.env.PUSH_BENCH_COMMITS ?? 30);
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'cross-process-push-child.ts');

async function measure(mode: 'push' | 'poll'): Promise<number[]> {
  const bench = await startSensorBench(mode);
  const child = spawn(
    process.execPath,
    ['--conditions=lakeloop-source', '--import', 'tsx', CHILD, bench.home],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const latenciesMs: number[] = [];
  try {
    for (let i = 0; i < COMMITS; i++) {
      if (mode === 'poll')
        await delay(Math.random() * 1000); // a random phase of the polling interval
      else await delay(20); // let the previous run's tail settle
      const stepStarted = bench.nextStep();
      child.stdin.write(`commit ${i}\n`);
      const reply = await Promise.race([replies.next(), timeout(30_000, `no reply to commit ${i}`)]);
      const [word, commitId = '', at = ''] = (reply.done === true ? '' : reply.value).split(' ');
      if (word !== 'committed') throw new Error(`committer: ${String(reply.value)}`);
      await Promise.race([stepStarted, timeout(30_000, `no run for ${commitId}`)]);
      latenciesMs.push(Math.max(0, (await bench.startedAt(commitId)) - Number(at)));
      await bench.daemon.queue.idle();
    }
  } finally {
    child.stdin.end();
    await exited;
    await bench.close();
  }
  return latenciesMs;
}

const push = await measure('push');
const poll = await measure('poll');
reportBench(
  'cross-process-push',
  [
    { name: 'push_p50', value: median(push), unit: 'ms', goal: '<= 50 ms' },
    { name: 'push_p95', value: percentile(push, 95), unit: 'ms' },
    { name: 'push_max', value: Math.max(...push), unit: 'ms' },
    { name: 'poll_1s_p50', value: median(poll), unit: 'ms', goal: '~500 ms (half the interval)' },
    { name: 'poll_1s_p95', value: percentile(poll, 95), unit: 'ms' },
    { name: 'poll_1s_max', value: Math.max(...poll), unit: 'ms' },
  ],
  {
    commits: COMMITS,
    storage: 'sqlite',
    data: 'embedded',
    daemonTickMs: 100,
    loadAverage: loadavg(),
    note: 'latency = run.startedAt (daemon process) - commit() returned (committer process)',
  },
);
