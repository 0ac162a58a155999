/**
 * The PostgreSQL storage on a private cluster this benchmark starts (durable: fsync and
 * synchronous_commit on; test/support/postgres-server-process.ts), on loopback:
 *
 * 1. event appends: rows/s with 1,000-event batches (one multi-row INSERT per transaction, what a
 *    buffering writer does at most), with step-sized batches (7 events), and one event per call;
 * 2. NOTIFY round trip: `pg_notify` on a pooled connection until the storage's LISTEN connection
 *    calls its subscriber (p50, p95);
 * 3. commit -> run STARTED with the daemon's data-commit sensor (embedded data repository, push),
 *    the storages on PostgreSQL, (a) committing in the daemon's process and (b) in another process
 *    (bench/cross-process-push-child.ts), as bench/sensor-latency and bench/cross-process-push
 *    measure it on SQLite (goal p50 <= 50 ms).
 *
 * ```sh
 * npm run bench -- postgres-storage
 * ```
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { openPostgresStorages } from 'lakeloop';
import type { EventRecord } from 'lakeloop';
import { startPostgresServer } from '../test/support/postgres-server-process.js';
import { median, percentile, reportBench } from './bench-report.js';
import { startSensorBench, timeout } from './sensor-bench-daemon.js';

const EVENTS = Number(process.env.PG_BENCH_EVENTS ?? 50_000);
const SINGLE_EVENTS = Number(process.env.PG_BENCH_SINGLE_EVENTS ?? 3_000);
const NOTIFIES = Number(process.env.PG_BENCH_NOTIFIES ?? 500);
const COMMITS = Number(process.env.PG_BENCH_COMMITS ?? 30);
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'cross-process-push-child.ts');

/** A realistic step event (~0.5 KB of JSON). */
function stepEvent(runId: string, i: number): EventRecord {
  return {
    runId,
    stepKey: `asset_${i % 10}`,
    type: 'LOG',
    level: 'INFO',
    timestamp: Date.now(),
    message: `step log line ${i}: ${'x'.repeat(300)}`,
    data: { attempt: 1, rows: i, durationMs: 1.5 },
  };
}

function schemaUrl(url: string, schema: string): string {
  const withSchema = new URL(url);
  withSchema.searchParams.set('schema', schema);
  return withSchema.href;
}

async function appendRate(url: string, batchSize: number, total: number): Promise<number> {
  await using storages = await openPostgresStorages({ url: schemaUrl(url, `bench_append_${batchSize}`) });
  const started = performance.now();
  for (let written = 0; written < total; written += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, total - written) }, (_, i) =>
      stepEvent(`run-${batchSize}`, written + i),
    );
    await storages.events.appendEvents(batch);
  }
  return total / ((performance.now() - started) / 1000);
}

async function notifyRoundTrips(url: string): Promise<number[]> {
  await using storages = await openPostgresStorages({ url: schemaUrl(url, 'bench_notify') });
  let wake: (() => void) | undefined;
  storages.subscribe('runs', () => wake?.());
  await storages.listening();
  const channel = 'bench_notify_runs';
  const { PostgresDatabase } = await import('../src/core/storage/postgres/postgres-database.js');
  const { parsePostgresUrl } = await import('../src/core/storage/postgres/postgres-url.js');
  const db = new PostgresDatabase({ target: parsePostgresUrl(url, 'bench_notify') });
  const roundTrips: number[] = [];
  try {
    for (let i = 0; i < NOTIFIES; i++) {
      const woke = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const sent = performance.now();
      await db.query('SELECT pg_notify($1, $2)', [channel, `run-${i}`]);
      await woke;
      roundTrips.push(performance.now() - sent);
    }
  } finally {
    await db.close();
  }
  return roundTrips;
}

async function commitToStart(url: string, crossProcess: boolean): Promise<number[]> {
  const bench = await startSensorBench('push', {
    storageUrl: schemaUrl(url, crossProcess ? 'bench_sensor_cross' : 'bench_sensor'),
  });
  const child = crossProcess
    ? spawn(process.execPath, ['--conditions=lakeloop-source', '--import', 'tsx', CHILD, bench.home], {
        stdio: ['pipe', 'pipe', 'inherit'],
      })
    : undefined;
  const exited =
    child === undefined ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
  const replies =
    child === undefined ? undefined : createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const latenciesMs: number[] = [];
  try {
    for (let i = 0; i < COMMITS; i++) {
      await delay(20); // let the previous run's tail settle
      const stepStarted = bench.nextStep();
      let commitId: string;
      let committedAt: number;
      if (child === undefined || replies === undefined) {
        await bench.data.putObject({
          repository: 'flights',
          branch: 'main',
          path: `c-${i}.csv`,
          content: `${i}\n`,
        });
        commitId = (await bench.data.commit({ repository: 'flights', branch: 'main', message: `c ${i}` })).id;
        committedAt = Date.now();
      } else {
        child.stdin.write(`commit ${i}\n`);
        const reply = await Promise.race([replies.next(), timeout(30_000, `no reply to commit ${i}`)]);
        const [word, id = '', at = ''] = (reply.done === true ? '' : reply.value).split(' ');
        if (word !== 'committed') throw new Error(`committer: ${String(reply.value)}`);
        commitId = id;
        committedAt = Number(at);
      }
      await Promise.race([stepStarted, timeout(30_000, `no run for ${commitId}`)]);
      latenciesMs.push(Math.max(0, (await bench.startedAt(commitId)) - committedAt));
      await bench.daemon.queue.idle();
    }
  } finally {
    child?.stdin.end();
    await exited;
    await bench.close();
  }
  return latenciesMs;
}

const loadBefore = loadavg();
await using server = await startPostgresServer({ durable: true, database: 'lakeloop_bench' });
const batched = await appendRate(server.url, 1_000, EVENTS);
const stepSized = await appendRate(server.url, 7, Math.min(EVENTS, 14_000));
const single = await appendRate(server.url, 1, SINGLE_EVENTS);
const notify = await notifyRoundTrips(server.url);
const inProcess = await commitToStart(server.url, false);
const crossProcess = await commitToStart(server.url, true);
reportBench(
  'postgres-storage',
  [
    { name: 'append_batch_1000', value: batched, unit: 'rows/s', goal: '50–77k rows/s (issue #16)' },
    { name: 'append_batch_7', value: stepSized, unit: 'rows/s' },
    { name: 'append_single', value: single, unit: 'rows/s', goal: '2–3k rows/s (issue #16)' },
    { name: 'notify_round_trip_p50', value: median(notify), unit: 'ms', goal: '~0.17 ms (issue #16)' },
    { name: 'notify_round_trip_p95', value: percentile(notify, 95), unit: 'ms' },
    { name: 'commit_to_start_p50', value: median(inProcess), unit: 'ms', goal: '<= 50 ms' },
    { name: 'commit_to_start_p95', value: percentile(inProcess, 95), unit: 'ms' },
    { name: 'commit_to_start_cross_process_p50', value: median(crossProcess), unit: 'ms', goal: '<= 50 ms' },
    { name: 'commit_to_start_cross_process_p95', value: percentile(crossProcess, 95), unit: 'ms' },
  ],
  {
    events: EVENTS,
    singleEvents: SINGLE_EVENTS,
    notifies: NOTIFIES,
    commits: COMMITS,
    postgres: 'private cluster, loopback TCP, fsync on, synchronous_commit on',
    data: 'embedded',
    daemonTickMs: 100,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
    note: 'latency = run.startedAt - commit() returned',
  },
);
