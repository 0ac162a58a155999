/**
 * Helpers of the flight-delay end-to-end tests: a fresh demo home per test, a corrupted chunk,
 * and the lineage every registered version must have.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import { DATA_COMMIT_TAG } from 'lakeloop';
import type { DataRepository } from 'lakeloop/data';
import { LineageTag } from 'lakeloop/tracking';
import type { ModelRegistry } from 'lakeloop/tracking';
import { pipelineCodeVersion } from '../../pipelines/flight-delays/code-version.js';
import type { Demo, MonthOutcome } from '../../pipelines/flight-delays/demo-runner.js';
import { CODE_VERSION_TAG } from '../../pipelines/flight-delays/train-model-asset.js';
import { monthRange } from '../../pipelines/flight-delays/features/index.js';

/** A unique temporary folder; remove it with `rmSync(dir, { recursive: true, force: true })`. */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'lakeloop-'));
}

/** Removes a temporary folder. */
export function removeHome(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Commits `<prefix>/<month>.parquet` with column `delay` as text (the "wrong type" corruption) and
 * returns the commit id and the time of the commit.
 */
export async function commitCorruptedMonth(options: {
  data: DataRepository;
  sourceFile: string;
  month: string;
  repository: string;
  branch: string;
  prefix: string;
  workDir: string;
}): Promise<{ commitId: string; committedAt: number; path: string }> {
  const { start, end } = monthRange(options.month);
  const file = join(options.workDir, `corrupt-${options.month}.parquet`);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT date, CAST(delay AS VARCHAR) || ' min' AS delay, distance, origin, destination
             FROM read_parquet('${options.sourceFile}')
             WHERE date >= TIMESTAMP '${start}' AND date < TIMESTAMP '${end}')
       TO '${file}' (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const path = `${options.prefix}/${options.month}.parquet`;
  await options.data.putObject({
    repository: options.repository,
    branch: options.branch,
    path,
    content: readFileSync(file),
  });
  const commit = await options.data.commit({
    repository: options.repository,
    branch: options.branch,
    message: `Corrupted ${options.month}`,
  });
  return { commitId: commit.id, committedAt: Date.now(), path };
}

/** Asserts the lineage of the version registered by a month's run. */
export async function expectLineage(options: {
  registry: ModelRegistry;
  modelName: string;
  version: string;
  outcome: MonthOutcome;
  demo: Demo;
}): Promise<void> {
  const { registry, modelName, version, outcome } = options;
  const registered = await registry.getModelVersion(modelName, version);
  expect(registered.tags[LineageTag.DATA_COMMIT]).toBe(outcome.commitId);
  expect(registered.tags[LineageTag.PIPELINE_RUN_ID]).toBe(outcome.run.runId);
  expect(registered.tags[LineageTag.DATA_REPOSITORY]).toBe(options.demo.settings.repository);
  expect(registered.tags[CODE_VERSION_TAG]).toBe(pipelineCodeVersion());
  // the run was launched by the sensor for exactly that commit
  expect(outcome.run.tags[DATA_COMMIT_TAG]).toBe(outcome.commitId);
  expect(outcome.run.jobName).toBe('retrain');
  // the training run logged the commit as its input dataset and carries the lineage tags
  const tracking = options.demo.tracking;
  expect(registered.runId).toBeDefined();
  const trainingRun = await tracking.getRun(registered.runId ?? '');
  expect(trainingRun.inputs.map((i) => i.source)).toContain(
    `lakefs://${options.demo.settings.repository}/${outcome.commitId}`,
  );
  expect(trainingRun.info.status).toBe('FINISHED');
  expect(trainingRun.tags).toMatchObject({
    [LineageTag.PIPELINE_RUN_ID]: outcome.run.runId,
    [LineageTag.ASSET_KEY]: 'train_model',
    [LineageTag.DATA_COMMIT]: outcome.commitId,
  });
  expect(trainingRun.params['max_iterations']).toBeDefined();
}
