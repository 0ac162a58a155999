/**
 * Several processes writing one embedded tracking store: no lost points, no duplicate
 * experiments, no duplicate model version numbers.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LocalModelRegistry, LocalTrackingStore } from '../../src/tracking/index.js';

const run = promisify(execFile);
const WRITER = join(import.meta.dirname, 'fixtures', 'concurrent-writer.ts');

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lakeloop-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

it('two processes log to the same run, experiment and model without losing or duplicating anything', async () => {
  const tracking = new LocalTrackingStore({ root });
  const registry = new LocalModelRegistry({ root });
  const experiment = await tracking.getOrCreateExperiment('shared');
  const trainingRun = await tracking.createRun({ experimentId: experiment.experimentId, name: 'train' });
  const runId = trainingRun.info.runId;
  await registry.createRegisteredModel({ name: 'delays' });
  const count = 200;
  const outputs = await Promise.all(
    ['a', 'b'].map((writer) =>
      run(
        process.execPath,
        ['--import', 'tsx', WRITER, root, runId, writer, String(count), 'raced', 'delays'],
        {
          cwd: join(import.meta.dirname, '..', '..'),
        },
      ),
    ),
  );
  const results = outputs.map(
    (output) => JSON.parse(output.stdout.trim()) as { experimentId: string; version: string },
  );
  expect(results[0]?.experimentId).toBe(results[1]?.experimentId);
  expect(results.map((r) => r.version).sort()).toEqual(['1', '2']);
  expect((await tracking.listExperiments()).map((e) => e.name)).toEqual(['raced', 'shared']);
  expect(await tracking.getMetricHistory(runId, 'loss_a')).toHaveLength(count);
  expect(await tracking.getMetricHistory(runId, 'loss_b')).toHaveLength(count);
  expect(await tracking.getMetricHistory(runId, 'shared')).toHaveLength(2 * count);
  const finished = await tracking.getRun(runId);
  expect(finished.params).toEqual({ shared: 'same-value', writer_a: 'a', writer_b: 'b' });
  expect(finished.metrics.loss_a).toBe((count - 1) / count);
  await tracking.close();
  await registry.close();
});
