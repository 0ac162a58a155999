/**
 * What the serving tests share: an instance home whose embedded registry holds small
 * gradient-boosting models trained here (synthetic data, features hour, distance, ...), logged
 * with an input example and a training profile and registered as versions of one model; and a
 * real `lakeloop serve` process started from source on a free port.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { makeSyntheticData, trainGradientBoosting } from '../../src/ml/index.js';
import type { GradientBoostingModel, TabularData } from '../../src/ml/index.js';
import { LocalModelRegistry, LocalTrackingStore, logModel } from '../../src/tracking/index.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Feature names of the fixture models (the synthetic data's columns, renamed). */
export const FEATURES = ['hour', 'skew', 'log_distance', 'day', 'route_rate'] as const;

/** Rows to score in the tests (with missing values). */
export const TEST_ROWS = withNames(makeSyntheticData({ rows: 64, columns: 5, seed: 11, missingRate: 0.05 }));

function withNames(data: TabularData): TabularData {
  return { ...data, featureNames: [...FEATURES] };
}

/** A home with a registered model. */
export interface ServingHome {
  home: string;
  /** The tracking root (embedded store) of the home. */
  trackingRoot: string;
  /** The registered model's name (unique per test file). */
  name: string;
  /** The trained model of each version, by version number. */
  models: Map<string, GradientBoostingModel>;
  /** Registers one more version (trained with `seed`), returns its number. */
  addVersion(seed: number, options?: { corruptOnnx?: boolean }): Promise<string>;
  /** Points the alias at a version (another process's move, as the pipeline's promote). */
  setAlias(version: string, alias?: string): Promise<void>;
  registry: LocalModelRegistry;
  tracking: LocalTrackingStore;
  cleanup(): Promise<void>;
}

/** Creates a home with `versions` registered versions (seeds 1..n), `champion` on version 1. */
export async function createServingHome(versions = 1): Promise<ServingHome> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-serve-'));
  const trackingRoot = join(home, 'tracking');
  const tracking = new LocalTrackingStore({ root: trackingRoot });
  const registry = new LocalModelRegistry({ root: trackingRoot });
  const name = `served-${randomUUID().slice(0, 8)}`;
  const models = new Map<string, GradientBoostingModel>();
  const experiment = await tracking.getOrCreateExperiment(`serve-${name}`);
  const addVersion = async (seed: number, options: { corruptOnnx?: boolean } = {}): Promise<string> => {
    const data = withNames(makeSyntheticData({ rows: 1500, columns: 5, seed }));
    const model = await trainGradientBoosting(data, { maxIterations: 15 + seed, maxLeaves: 15, threads: 1 });
    const runId = (await tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
    await tracking.logMetric(runId, 'auc', 0.7 + seed / 100);
    const inputExample = {
      columns: [...FEATURES],
      data: [Array.from(data.features.subarray(0, FEATURES.length))],
    };
    if (options.corruptOnnx === true) {
      // A registered version whose ONNX file onnxruntime cannot parse.
      const signature = { inputs: FEATURES.map((f) => ({ name: f, type: 'float' as const })), outputs: [] };
      await logModel(tracking, runId, {
        onnx: new Uint8Array([8, 7, 18, 3, 1, 2, 3, 255, 0]),
        signature,
        inputExample,
      });
    } else {
      await logModel(tracking, runId, {
        model,
        inputExample,
        trainingData: { features: data.features, rows: data.rows },
      });
    }
    const version = (await registry.registerModel(name, { runId })).version;
    models.set(version, model);
    return version;
  };
  for (let i = 1; i <= versions; i++) await addVersion(i);
  await registry.setAlias(name, 'champion', '1', { reason: 'first', by: 'test' });
  return {
    home,
    trackingRoot,
    name,
    models,
    addVersion,
    setAlias: (version, alias = 'champion') =>
      registry.setAlias(name, alias, version, { reason: 'test', by: 'test' }),
    registry,
    tracking,
    cleanup: async () => {
      await registry.close();
      await tracking.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A running `lakeloop serve` child process. */
export interface ServeProcess {
  url: string;
  child: ChildProcessWithoutNullStreams;
  /** Everything the server wrote on stderr so far (its log). */
  stderr(): string;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<number | null>;
}

/** Starts `lakeloop serve <args>` from source on a free port of `home`; resolves once it listens. */
export async function startServe(
  home: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=lakeloop-source',
      '--import',
      'tsx',
      join(repoRoot, 'src', 'cli', 'main.ts'),
      'serve',
      ...args,
      '--port',
      '0',
    ],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        LAKELOOP_HOME: home,
        LAKELOOP_TOKEN: '',
        MLFLOW_TRACKING_URI: '',
        LAKEFS_ENDPOINT: '',
        ...env,
      },
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      resolve(code);
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const found = /at (http:\/\/\S+)\/invocations/.exec(line)?.[1];
      if (found !== undefined) resolve(found);
    });
    void exited.then((code) => {
      reject(new Error(`lakeloop serve exited (${code}) before listening: ${stderr}`));
    });
  });
  return {
    url,
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Row objects of `TEST_ROWS` (NaN as null). */
export function testRowObjects(): Record<string, number | null>[] {
  return Array.from({ length: TEST_ROWS.rows }, (_, i) =>
    Object.fromEntries(
      FEATURES.map((name, j) => {
        const value = TEST_ROWS.features[i * FEATURES.length + j] ?? Number.NaN;
        return [name, Number.isNaN(value) ? null : value];
      }),
    ),
  );
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes (a bounded wait on a real condition). */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
