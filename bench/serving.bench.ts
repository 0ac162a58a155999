/**
 * Model serving latency: a real `lakeloop serve` process on loopback, driven by autocannon from this
 * (second) process. The model is shaped like the flight-delays champion — gradient boosting, 100
 * trees of 31 leaves over 14 features — trained here on synthetic rows and registered twice (two
 * seeds), `champion` on the first. Figures:
 *
 * - single JSON row, one connection: p50 / p99 latency (each response's own time, in µs — autocannon's
 *   histogram keeps whole milliseconds only) and requests/s; then ten connections: requests/s, p99;
 * - a 1,000-row batch (JSON and raw float32): p50 latency;
 * - single row, one connection, while the alias moves 10 times (every `--swap-every-ms`): p99, and
 *   the errors (must be 0) — the goal is a p99 unchanged by the swaps.
 *
 *   npm run bench -- serving
 *   node --conditions=lakeloop-source --import tsx bench/serving.bench.ts --seconds 10 --workers 1
 *
 * Goals (issue 17): p50 <= 0.3 ms and p99 <= 1 ms for one row; p99 unchanged during swaps.
 * Figures go to bench/results/serving.json.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { makeSyntheticData, trainGradientBoosting } from '../src/ml/index.js';
import { LocalModelRegistry, LocalTrackingStore, logModel } from '../src/tracking/index.js';
import { percentile, reportBench } from './bench-report.js';
import type { BenchFigure } from './bench-report.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    workers: { type: 'string', default: '1' },
    'swap-every-ms': { type: 'string', default: '1000' },
  },
});
const seconds = Number(args.seconds);
const root = fileURLToPath(new URL('..', import.meta.url));
const FEATURES = 14;

interface Run {
  latenciesMs: number[];
  requestsPerSecond: number;
  errors: number;
  non2xx: number;
}

async function cannon(options: {
  url: string;
  body: string | Buffer;
  contentType: string;
  connections: number;
  seconds: number;
}): Promise<Run> {
  const latenciesMs: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${options.url}/invocations`,
        method: 'POST',
        headers: { 'content-type': options.contentType },
        body: options.body,
        connections: options.connections,
        duration: options.seconds,
      },
      (error: Error | null, done: autocannon.Result) => {
        if (error === null) resolve(done);
        else reject(error);
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latenciesMs.push(responseTime);
    });
  });
  return {
    latenciesMs,
    requestsPerSecond: result.requests.average,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-serving-bench-'));
  const trackingRoot = join(home, 'tracking');
  const tracking = new LocalTrackingStore({ root: trackingRoot });
  const registry = new LocalModelRegistry({ root: trackingRoot });
  const name = `bench-${randomUUID().slice(0, 8)}`;
  const experiment = await tracking.getOrCreateExperiment(name);
  let example: number[] = [];
  const featureNames = Array.from({ length: FEATURES }, (_, i) => `f${i}`);
  for (const seed of [1, 2]) {
    const data = { ...makeSyntheticData({ rows: 20_000, columns: FEATURES, seed }), featureNames };
    const model = await trainGradientBoosting(data, {
      maxIterations: 100,
      maxLeaves: 31,
      learningRate: 0.1,
      threads: 2,
    });
    const runId = (await tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
    example = Array.from(data.features.subarray(0, FEATURES));
    await logModel(tracking, runId, { model, inputExample: { columns: featureNames, data: [example] } });
    await registry.registerModel(name, { runId });
  }
  await registry.setAlias(name, 'champion', '1', { reason: 'bench', by: 'bench' });
  const child = spawn(
    process.execPath,
    [
      '--conditions=lakeloop-source',
      '--import',
      'tsx',
      join(root, 'src', 'cli', 'main.ts'),
      'serve',
      `models:/${name}@champion`,
      '--port',
      '0',
      '--poll-interval-ms',
      '100',
      '--workers',
      args.workers,
      '--log-level',
      'warn',
    ],
    {
      cwd: root,
      env: { ...process.env, LAKELOOP_HOME: home, LAKELOOP_TOKEN: '', MLFLOW_TRACKING_URI: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) =>
    child.on('close', () => {
      resolve();
    }),
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const found = /at (http:\/\/\S+)\/invocations/.exec(line)?.[1];
        if (found !== undefined) resolve(found);
      });
      void exited.then(() => {
        reject(new Error('lakeloop serve exited before listening'));
      });
    });
    const row = Object.fromEntries(featureNames.map((f, i) => [f, example[i] ?? 0]));
    const single = JSON.stringify({ inputs: row });
    const batchRows = Array.from({ length: 1000 }, (_, r) =>
      Object.fromEntries(featureNames.map((f, i) => [f, (example[i] ?? 0) + r * 0.001])),
    );
    const batchJson = JSON.stringify({ inputs: batchRows });
    const batchFloat = Buffer.from(
      new Float32Array(batchRows.flatMap((r) => featureNames.map((f) => r[f] ?? 0))).buffer,
    );
    const loadBefore = loadavg()[0] ?? 0;
    await cannon({ url, body: single, contentType: 'application/json', connections: 1, seconds: 2 }); // warm-up
    const one = await cannon({ url, body: single, contentType: 'application/json', connections: 1, seconds });
    const ten = await cannon({
      url,
      body: single,
      contentType: 'application/json',
      connections: 10,
      seconds,
    });
    const batch = await cannon({
      url,
      body: batchJson,
      contentType: 'application/json',
      connections: 1,
      seconds: Math.max(3, seconds / 2),
    });
    const raw = await cannon({
      url,
      body: batchFloat,
      contentType: 'application/octet-stream',
      connections: 1,
      seconds: Math.max(3, seconds / 2),
    });
    // Ten alias moves, one every --swap-every-ms, while one connection keeps asking.
    const swapEvery = Number(args['swap-every-ms']);
    const during = cannon({
      url,
      body: single,
      contentType: 'application/json',
      connections: 1,
      seconds: Math.ceil((11 * swapEvery) / 1000),
    });
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, swapEvery));
      await registry.setAlias(name, 'champion', i % 2 === 0 ? '2' : '1', {
        reason: 'bench swap',
        by: 'bench',
      });
    }
    const swaps = await during;
    const loadAfter = loadavg()[0] ?? 0;
    const figures: BenchFigure[] = [
      { name: 'single_row_p50', value: percentile(one.latenciesMs, 50), unit: 'ms', goal: '<= 0.3 ms' },
      { name: 'single_row_p99', value: percentile(one.latenciesMs, 99), unit: 'ms', goal: '<= 1 ms' },
      { name: 'single_row_rps_1_connection', value: Math.round(one.requestsPerSecond), unit: 'req/s' },
      { name: 'single_row_rps_10_connections', value: Math.round(ten.requestsPerSecond), unit: 'req/s' },
      { name: 'single_row_p99_10_connections', value: percentile(ten.latenciesMs, 99), unit: 'ms' },
      { name: 'batch_1000_json_p50', value: percentile(batch.latenciesMs, 50), unit: 'ms' },
      { name: 'batch_1000_float32_p50', value: percentile(raw.latenciesMs, 50), unit: 'ms' },
      {
        name: 'single_row_p99_during_10_swaps',
        value: percentile(swaps.latenciesMs, 99),
        unit: 'ms',
        goal: 'unchanged (vs single_row_p99)',
      },
      { name: 'single_row_p50_during_10_swaps', value: percentile(swaps.latenciesMs, 50), unit: 'ms' },
      { name: 'single_row_max_during_10_swaps', value: Math.max(...swaps.latenciesMs), unit: 'ms' },
      { name: 'errors_during_swaps', value: swaps.errors + swaps.non2xx, unit: 'requests', goal: '0' },
      {
        name: 'errors_total',
        value: [one, ten, batch, raw, swaps].reduce((n, r) => n + r.errors + r.non2xx, 0),
        unit: 'requests',
        goal: '0',
      },
    ];
    reportBench('serving', figures, {
      model: `gradient boosting, 100 trees x 31 leaves, ${FEATURES} features`,
      workers: Number(args.workers),
      secondsPerRun: seconds,
      cpus: cpus().length,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
    });
  } finally {
    child.kill('SIGTERM');
    await exited;
    await registry.close();
    await tracking.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
