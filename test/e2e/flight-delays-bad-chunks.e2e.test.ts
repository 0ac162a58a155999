/**
 * Bad chunks the blocking check `chunks_valid` must stop (issue #11, finding 13): after two good
 * months, a March chunk whose data pages are garbled under an intact footer, one whose `date` is
 * TIMESTAMP WITH TIME ZONE, and one with a single class. Each run fails at `load_data`, the check's
 * description and the run's error name the chunk's repository URI and say what is wrong, nothing
 * downstream runs, and `@champion` stays on the version of February.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { embeddedTestEnv } from '../support/lakefs-test-env.js';
import { startDemo } from '../../pipelines/flight-delays/demo-runner.js';
import type { Demo } from '../../pipelines/flight-delays/demo-runner.js';
import { CHAMPION_ALIAS } from '../../pipelines/flight-delays/evaluate-model-asset.js';
import { commitFile, writeBadMonth } from './bad-flight-chunks.js';
import type { BadMonthKind } from './bad-flight-chunks.js';
import { removeHome, tempHome } from './flight-delays-support.js';

const SMALL_MODEL = { maxIterations: 10, maxLeaves: 8, minSamplesLeaf: 20 };

let home: string;
let demo: Demo | undefined;

beforeEach(() => {
  home = tempHome();
});

afterEach(async () => {
  await demo?.close();
  demo = undefined;
  removeHome(home);
});

/** Runs January and February (both pass, February is the champion), then commits a bad March. */
async function badMarch(kind: BadMonthKind) {
  demo = await startDemo({
    home,
    env: embeddedTestEnv(),
    dataset: 'flights-2k',
    config: { aucFloor: 0, aucTolerance: 1, gbdt: SMALL_MODEL, baseline: false },
  });
  for (const month of ['2001-01', '2001-02']) {
    expect((await demo.commitMonth(month)).run.status).toBe('SUCCESS');
  }
  const registry = demo.registry;
  const champion = async (): Promise<string> =>
    (await registry.getModelVersionByAlias({ name: demo?.settings.modelName ?? '', alias: CHAMPION_ALIAS }))
      .version;
  expect(await champion()).toBe('2');

  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  let file: string;
  try {
    file = await writeBadMonth({
      db: connection,
      kind,
      sourceFile: demo.source.file,
      month: '2001-03',
      file: join(home, 'demo-source', `${kind}-2001-03.parquet`),
    });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const committed = await commitFile({
    data: demo.data,
    repository: demo.settings.repository,
    branch: demo.settings.branch,
    path: `${demo.settings.prefix}/2001-03.parquet`,
    file,
    message: `Bad March (${kind})`,
  });
  const outcome = await demo.awaitRunFor({ month: '2001-03', ...committed });
  const uri = `lakefs://${demo.settings.repository}/${committed.commitId}/${committed.path}`;

  expect(outcome.run.status).toBe('FAILURE');
  expect(outcome.steps.map((s) => [s.step, s.status])).toEqual([
    ['load_data', 'FAILURE'],
    ['preprocess', 'SKIPPED'],
    ['train_model', 'SKIPPED'],
    ['evaluate_model', 'SKIPPED'],
    ['promote_model', 'SKIPPED'],
  ]);
  expect(outcome.failedChecks).toHaveLength(1);
  const [failed = ''] = outcome.failedChecks;
  expect(failed).toMatch(/^chunks_valid: /);
  expect(failed).toContain(uri);
  expect(outcome.run.error?.message).toContain(uri);
  // the champion stays on February's version; March registered nothing
  expect(await champion()).toBe('2');
  expect((await demo.versions()).map((r) => [r.version, r.champion])).toEqual([
    ['1', false],
    ['2', true],
  ]);
  return { failed, uri };
}

describe('flight-delay pipeline: bad chunks fail the blocking check and keep the champion', () => {
  it('garbled data pages under an intact footer', async () => {
    const { failed, uri } = await badMarch('garbled-pages');
    expect(failed).toContain(`${uri}: the data pages cannot be read`);
    expect(failed).toMatch(/corrupt/);
    expect(failed).toMatch(/export .* again/);
    // the local cache copy is not what the message names
    expect(failed).not.toContain(join(home, 'data'));
  }, 120_000);

  it('a date column of TIMESTAMP WITH TIME ZONE', async () => {
    const { failed, uri } = await badMarch('timestamptz-date');
    expect(failed).toContain(`${uri}: column "date" has type TIMESTAMP WITH TIME ZONE`);
    expect(failed).toContain('without time zone');
    expect(failed).not.toContain(home);
  }, 120_000);

  it('a month with a single class (no delayed flight)', async () => {
    const { failed, uri } = await badMarch('single-class');
    expect(failed).toMatch(
      new RegExp(`${uri.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: all \\d+ flights have delay <= 15`),
    );
    expect(failed).toContain('a model can neither be trained nor evaluated');
  }, 120_000);
});
