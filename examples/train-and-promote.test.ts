/**
 * Tests the one-file training loop as its author would: commit rows to an embedded data
 * repository, materialize with a run config, then read back what the loop recorded (the model
 * version's lineage, the champion alias and why it moved).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { closeProcessResources, DATA_COMMIT_TAG, Instance, materialize } from 'lakeloop';
import { createDataRepository } from 'lakeloop/data';
import { makeSyntheticData } from 'lakeloop/ml';
import { LineageTag, openRegistry, openTracking } from 'lakeloop/tracking';
import { defs, MODEL_NAME } from './train-and-promote.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lakeloop-train-and-promote-'));
});
afterEach(async () => {
  await closeProcessResources();
  rmSync(home, { recursive: true, force: true });
});

/** A CSV of a seeded synthetic binary task (4 features). */
function rowsCsv(): string {
  const data = makeSyntheticData({ rows: 2000, columns: 4, seed: 7 });
  const names = data.featureNames ?? Array.from({ length: data.columns }, (_, c) => `x${c}`);
  const lines = [[...names, 'label'].join(',')];
  for (let r = 0; r < data.rows; r++) {
    const row = Array.from(data.features.subarray(r * data.columns, (r + 1) * data.columns));
    lines.push([...row, data.labels[r]].join(','));
  }
  return lines.join('\n') + '\n';
}

it('trains on the committed rows, registers the version with its data commit and promotes it', async () => {
  await using repo = createDataRepository({ home, env: {} });
  await repo.createRepository({ name: 'toy' });
  await repo.putObject({ repository: 'toy', branch: 'main', path: 'rows.csv', content: rowsCsv() });
  const commit = await repo.commit({ repository: 'toy', branch: 'main', message: 'rows' });

  await using instance = await Instance.open({ home });
  const run = await materialize(defs, {
    select: '*',
    instance,
    config: { model: { maxIterations: 15 } },
  });
  expect(run.status).toBe('SUCCESS');
  expect(run.tags[DATA_COMMIT_TAG]).toBe(commit.id);
  expect(run.config).toEqual({ model: { maxIterations: 15 } });

  await using registry = openRegistry({ home, env: {} });
  const champion = await registry.getModelVersionByAlias({ name: MODEL_NAME, alias: 'champion' });
  expect(champion.version).toBe('1');
  // The version's training run carries the lineage: pipeline run, asset and data commit.
  await using tracking = openTracking({ home, env: {} });
  const trainingRun = await tracking.getRun(champion.runId ?? '');
  expect(trainingRun.tags[LineageTag.DATA_COMMIT]).toBe(commit.id);
  expect(trainingRun.tags[LineageTag.PIPELINE_RUN_ID]).toBe(run.runId);
  expect(trainingRun.metrics['auc']).toBeGreaterThan(0.6);
  const history = await registry.aliasHistory(MODEL_NAME, { alias: 'champion' });
  expect(history).toHaveLength(1);
  expect(history[0]?.toVersion).toBe('1');
  expect(history[0]?.reason).toMatch(/no champion/i);
  expect(history[0]?.by).toContain(run.runId);
});

it('refuses a config the schema does not accept before storing a run', async () => {
  await using instance = await Instance.open({ home });
  await expect(
    materialize(defs, { select: '*', instance, config: { model: { maxIterations: 'many' } } }),
  ).rejects.toThrow(/config\.model\.maxIterations/);
  expect(await instance.runs.listRuns({})).toHaveLength(0);
});
