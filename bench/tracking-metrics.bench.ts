/**
 * Metric logging throughput: 10,000 points on the embedded store (one batch, and one call per
 * point as a training loop does) and on a real MLflow server started here, side by side with the
 * Python mlflow client (bench/baselines/mlflow_log.py) against the same server.
 *
 *   npm run bench -- tracking-metrics
 *
 * Goals (issue 4): embedded >= 50,000 points/s; MLflow backend within 2x of Python mlflow.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalTrackingStore, MetricBuffer, MlflowTrackingStore } from '../src/tracking/index.js';
import type { MetricInput, TrackingStore } from '../src/tracking/index.js';
import { VENV, mlflowUnavailableReason, startMlflowServer } from '../test/tracking/mlflow-server-process.js';
import { median, reportBench } from './bench-report.js';
import type { BenchFigure } from './bench-report.js';

const POINTS = 10_000;
const REPEATS = 3;
const exec = promisify(execFile);

function points(): MetricInput[] {
  const now = Date.now();
  return Array.from({ length: POINTS }, (_, i) => ({
    key: 'loss',
    value: 1 / (i + 1),
    step: i,
    timestamp: now,
  }));
}

async function timeBatch(store: TrackingStore, experimentId: string): Promise<number> {
  const run = await store.createRun({ experimentId, name: 'bench' });
  const batch = points();
  const start = performance.now();
  await store.logBatch(run.info.runId, { metrics: batch });
  const seconds = (performance.now() - start) / 1000;
  await store.endRun(run.info.runId, 'FINISHED');
  return seconds;
}

async function timePerCall(store: TrackingStore, experimentId: string): Promise<number> {
  const run = await store.createRun({ experimentId, name: 'bench-per-call' });
  const start = performance.now();
  for (let i = 0; i < POINTS; i++) await store.logMetric(run.info.runId, 'loss', 1 / (i + 1), i);
  const seconds = (performance.now() - start) / 1000;
  await store.endRun(run.info.runId, 'FINISHED');
  return seconds;
}

async function timeBuffered(store: TrackingStore, experimentId: string): Promise<number> {
  const run = await store.createRun({ experimentId, name: 'bench-buffered' });
  const start = performance.now();
  const buffer = new MetricBuffer({ store, runId: run.info.runId });
  for (let i = 0; i < POINTS; i++) buffer.log('loss', 1 / (i + 1), i);
  await buffer.close();
  const seconds = (performance.now() - start) / 1000;
  await store.endRun(run.info.runId, 'FINISHED');
  return seconds;
}

const figures: BenchFigure[] = [];
const context: Record<string, unknown> = { points: POINTS, repeats: REPEATS };

// Embedded store.
const dir = mkdtempSync(join(tmpdir(), 'lakeloop-bench-'));
try {
  const store = new LocalTrackingStore({ root: dir });
  const experiment = await store.getOrCreateExperiment('bench');
  const batchSeconds: number[] = [];
  const perCallSeconds: number[] = [];
  const bufferedSeconds: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    batchSeconds.push(await timeBatch(store, experiment.experimentId));
    perCallSeconds.push(await timePerCall(store, experiment.experimentId));
    bufferedSeconds.push(await timeBuffered(store, experiment.experimentId));
  }
  await store.close();
  figures.push({
    name: 'embedded_log_batch',
    value: Math.round(POINTS / median(batchSeconds)),
    unit: 'points/s',
    goal: '>= 50000 points/s',
  });
  figures.push({
    name: 'embedded_metric_buffer_per_point',
    value: Math.round(POINTS / median(bufferedSeconds)),
    unit: 'points/s',
    goal: '>= 50000 points/s',
  });
  // One transaction per point: bounded by SQLite's commit rate on this disk (no goal).
  figures.push({
    name: 'embedded_log_metric_one_transaction_each',
    value: Math.round(POINTS / median(perCallSeconds)),
    unit: 'points/s',
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// MLflow server, TypeScript client and Python client side by side (alternating).
const reason = mlflowUnavailableReason();
if (reason === undefined) {
  const server = await startMlflowServer();
  try {
    const store = new MlflowTrackingStore({ url: server.uri });
    const experiment = await store.getOrCreateExperiment('bench-typescript');
    const tsSeconds: number[] = [];
    const pySeconds: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      tsSeconds.push(await timeBatch(store, experiment.experimentId));
      const { stdout } = await exec(join(VENV, 'bin', 'python'), [
        join(import.meta.dirname, 'baselines', 'mlflow_log.py'),
        '--uri',
        server.uri,
        '--points',
        String(POINTS),
        '--repeats',
        '1',
      ]);
      const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { seconds: number[] };
      pySeconds.push(...result.seconds);
    }
    const ts = POINTS / median(tsSeconds);
    const py = POINTS / median(pySeconds);
    context.mlflow = { typescriptSeconds: tsSeconds, pythonSeconds: pySeconds };
    figures.push({
      name: 'mlflow_log_batch_typescript',
      value: Math.round(ts),
      unit: 'points/s',
      baseline: { name: 'python mlflow log_batch', value: Math.round(py), unit: 'points/s' },
      goal: '>= 0.5x python',
    });
    figures.push({ name: 'mlflow_typescript_vs_python', value: ts / py, unit: 'x', goal: '>= 0.5' });
  } finally {
    await server.stop();
  }
} else {
  console.log(`skipping the MLflow figures: ${reason}`);
}

reportBench('tracking-metrics', figures, context);
