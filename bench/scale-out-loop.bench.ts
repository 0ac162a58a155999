/**
 * The 6-month flights-3m loop (`npm start`) on the embedded default vs on PostgreSQL + the Redis
 * queue with 2 `lakeloop worker` processes (issue #16): the same AUCs, and what the scale-out
 * costs on one machine. Each mode runs the demo in a fresh process on a fresh home; the modes
 * alternate (`--repeats N`, default 1). PostgreSQL (durable commits) and Redis are private servers
 * on loopback; data and tracking stay embedded in the home, which the workers share (lakeFS and
 * MLflow would hold them across hosts); step values go through a shared folder.
 *
 * ```sh
 * npm run bench -- scale-out-loop                 # flights-3m, ~6 min
 * npm run bench -- scale-out-loop --data flights-2k
 * ```
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { DemoSummary } from '../pipelines/flight-delays/demo-report.js';
import { startPostgresServer } from '../test/support/postgres-server-process.js';
import { startRedisServer } from '../test/support/redis-server-process.js';
import { median, reportBench } from './bench-report.js';
import { stopChild } from '../test/support/child-processes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: { data: { type: 'string', default: 'flights-3m' }, repeats: { type: 'string', default: '1' } },
  allowPositionals: true,
});
const dataset = args.data;
const repeats = Number(args.repeats);

/** Spawns `node bin/lakeloop.js …` and resolves once it printed `readyLine`. */
async function startWorker(name: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  // The definitions the demo builds for the dataset, as a module workers can load.
  const defs =
    dataset === 'flights-2k'
      ? join(root, 'test', 'e2e', 'fixtures', 'flights-2k-definitions.ts')
      : join(root, 'pipelines', 'flight-delays', 'definitions.ts');
  const child = spawn(
    process.execPath,
    ['bin/lakeloop.js', 'worker', '--name', name, '--defs', defs, '--quiet'],
    {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    if (line.startsWith(`lakeloop worker ${name}:`)) break;
  }
  child.stdout.resume();
  return child;
}

/** `npm start -- --data <dataset> --json` in a fresh process; its summary and wall seconds. */
async function demo(env: NodeJS.ProcessEnv): Promise<{ summary: DemoSummary; seconds: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      'bin/run-ts.js',
      'pipelines/flight-delays/main.ts',
      '--data',
      dataset,
      '--home',
      env.LAKELOOP_HOME ?? '',
      '--json',
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', process.env.BENCH_VERBOSE === '1' ? 'inherit' : 'ignore'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the demo exited with ${String(code)}`);
  return { summary: JSON.parse(out) as DemoSummary, seconds: (performance.now() - started) / 1000 };
}

const postgres = await startPostgresServer({ durable: true });
const redis = await startRedisServer();
const embedded: number[] = [];
const scaled: number[] = [];
const aucs = { embedded: [] as number[], scaled: [] as number[] };
const loadBefore = loadavg()[0];
try {
  for (let i = 0; i < repeats; i++) {
    const base = mkdtempSync(join(tmpdir(), 'lakeloop-scale-bench-'));
    try {
      const plainHome = join(base, 'embedded');
      const one = await demo({ ...process.env, LAKELOOP_HOME: plainHome, MLFLOW_TRACKING_URI: '' });
      embedded.push(one.seconds);
      aucs.embedded = one.summary.versions.map((v) => v.auc);
      console.log(`embedded: ${one.seconds.toFixed(1)} s`);

      const home = join(base, 'scaled');
      const values = join(base, 'values');
      mkdirSync(values, { recursive: true });
      const env = {
        ...process.env,
        LAKELOOP_HOME: home,
        MLFLOW_TRACKING_URI: '',
        LAKELOOP_STORAGE_URL: `${postgres.url}?schema=bench_${String(process.pid)}_${String(i)}`,
        LAKELOOP_REDIS_URL: redis.url,
        LAKELOOP_QUEUE: `bench-${String(process.pid)}-${String(i)}`,
        LAKELOOP_IO_URL: pathToFileURL(values).href,
      };
      const workers = await Promise.all(['w1', 'w2'].map((name) => startWorker(name, env)));
      try {
        const two = await demo({ ...env, LAKELOOP_EXECUTOR: 'queue' });
        scaled.push(two.seconds);
        aucs.scaled = two.summary.versions.map((v) => v.auc);
        console.log(`postgres + 2 workers: ${two.seconds.toFixed(1)} s`);
      } finally {
        await Promise.all(workers.map(stopChild));
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
} finally {
  await redis.stop();
  await postgres.stop();
}

const sameAucs =
  aucs.embedded.length === aucs.scaled.length && aucs.embedded.every((auc, i) => auc === aucs.scaled[i]);
console.log(`AUCs embedded ${aucs.embedded.join(', ')}; scaled ${aucs.scaled.join(', ')}`);
reportBench(
  'scale-out-loop',
  [
    {
      name: `${dataset}_loop_postgres_2_workers`,
      value: median(scaled),
      unit: 's',
      baseline: { name: 'embedded default', value: median(embedded), unit: 's' },
    },
    { name: 'overhead', value: median(scaled) / median(embedded), unit: 'x' },
    { name: 'same_aucs', value: sameAucs ? 1 : 0, unit: '(1 = every version equal)' },
  ],
  { dataset, repeats, loadBefore, loadAfter: loadavg()[0], aucs },
);
