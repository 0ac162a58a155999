/**
 * The flight-delay pipeline end to end on flights-2k with the embedded backends: monthly commits
 * picked up by the data-commit sensor of a running daemon, one run per commit, one model version
 * per run with its lineage, the champion moved only when the gates pass, and a corrupted chunk
 * that fails its blocking check while the champion stays.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRunHandle } from 'lakeloop';
import { embeddedTestEnv } from '../support/lakefs-test-env.js';
import { startDemo } from '../../pipelines/flight-delays/demo-runner.js';
import type { Demo } from '../../pipelines/flight-delays/demo-runner.js';
import { CHAMPION_ALIAS } from '../../pipelines/flight-delays/evaluate-model-asset.js';
import { commitCorruptedMonth, expectLineage, removeHome, tempHome } from './flight-delays-support.js';

const SMALL_MODEL = { maxIterations: 20, maxLeaves: 8, minSamplesLeaf: 20 };

let home: string;
const open: Demo[] = [];

beforeEach(() => {
  home = tempHome();
});

afterEach(async () => {
  for (const demo of open.splice(0)) await demo.close();
  removeHome(home);
});

async function demoWith(options: { aucFloor: number; aucTolerance?: number }): Promise<Demo> {
  const demo = await startDemo({
    home,
    env: embeddedTestEnv(),
    dataset: 'flights-2k',
    config: {
      aucFloor: options.aucFloor,
      aucTolerance: options.aucTolerance ?? 1,
      gbdt: SMALL_MODEL,
      baseline: true,
    },
  });
  open.push(demo);
  return demo;
}

describe('flight-delay pipeline on flights-2k (embedded backends)', () => {
  it('three monthly commits -> three sensor-triggered runs -> three versions with lineage', async () => {
    const demo = await demoWith({ aucFloor: 0 });
    const outcomes = [];
    for (const month of demo.source.months) outcomes.push(await demo.commitMonth(month));

    expect(outcomes.map((o) => o.run.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(new Set(outcomes.map((o) => o.commitId)).size).toBe(3);
    // every run was launched by the sensor (run key = commit id), none by a direct call
    const runs = await demo.instance.runs.listRuns({ jobName: 'retrain', order: 'OLDEST_FIRST' });
    expect(runs.map((r) => r.runId)).toEqual(outcomes.map((o) => o.run.runId));
    for (const [i, outcome] of outcomes.entries()) {
      const runKey = await demo.instance.schedules.getRunIdForKey('new_flight_data', outcome.commitId);
      expect(runKey).toBe(outcome.run.runId);
      expect(outcome.steps.map((s) => [s.step, s.status])).toEqual([
        ['load_data', 'SUCCESS'],
        ['preprocess', 'SUCCESS'],
        ['train_model', 'SUCCESS'],
        ['evaluate_model', 'SUCCESS'],
        ['promote_model', 'SUCCESS'],
      ]);
      await expectLineage({
        registry: demo.registry,
        modelName: demo.settings.modelName,
        version: String(i + 1),
        outcome,
        demo,
      });
    }
    // incremental preprocessing: each run built only its new month
    expect(outcomes.map((o) => o.steps[1]?.metadata['months_built'])).toEqual([
      ['2001-01'],
      ['2001-02'],
      ['2001-03'],
    ]);
    expect(outcomes[2]?.steps[1]?.metadata['months_cached']).toEqual(['2001-01', '2001-02']);
    // temporal split: the newest month is the evaluation set
    const rows = await demo.versions();
    expect(rows.map((r) => r.evaluationMonth)).toEqual(['2001-01 (last 7 days)', '2001-02', '2001-03']);
    expect(rows.map((r) => r.trainRows)).toEqual([expect.any(Number), 707, 707 + 594]);
    expect(rows.map((r) => r.gate)).toEqual(['passed', 'passed', 'passed']);
    expect(rows.map((r) => r.champion)).toEqual([false, false, true]);
    // promote_model moved the alias once per run, with the gate's reason, by its pipeline run
    const history = await demo.registry.aliasHistory(demo.settings.modelName, { alias: CHAMPION_ALIAS });
    expect(history.map((m) => [m.fromVersion ?? null, m.toVersion ?? null])).toEqual([
      ['2', '3'],
      ['1', '2'],
      [null, '1'],
    ]);
    expect(history[0]?.reason).toMatch(
      /^AUC 0\.\d+ >= floor 0\.0000\. auc 0\.\d+ >= champion v2 0\.\d+ - 1: promote\.$/,
    );
    expect(history[2]?.reason).toContain('No champion yet: promote');
    expect(history[0]?.by).toBe(`lakeloop run ${outcomes[2]?.run.runId ?? ''} (promote_model)`);
    // train_model reported its progress (trees done / elapsed), ending with the last tree
    const progress: string[] = [];
    for await (const event of (await openRunHandle(demo.instance, outcomes[0]?.run.runId ?? '')).events())
      if (event.type === 'LOG' && event.stepKey === 'train_model' && event.message.startsWith('progress: '))
        progress.push(event.message);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toMatch(/^progress: (\d+)\/\1 trees, \d+\.\d s$/);
  }, 180_000);

  it('moves the champion only when the gates pass', async () => {
    const first = await demoWith({ aucFloor: 0 });
    const january = await first.commitMonth('2001-01');
    expect(january.run.status).toBe('SUCCESS');
    await first.close();

    // Same instance, a floor no model on this data reaches: the run registers v2 but fails its gate.
    const strict = await demoWith({ aucFloor: 0.99 });
    const february = await strict.commitMonth('2001-02');
    expect(february.run.status).toBe('FAILURE');
    expect(february.failedChecks.join(' ')).toMatch(/^auc_floor: AUC 0\.\d+ < floor 0\.9900/);
    expect(february.run.error?.message).toContain('auc_floor');
    const registry = strict.registry;
    const champion = await registry.getModelVersionByAlias({
      name: strict.settings.modelName,
      alias: CHAMPION_ALIAS,
    });
    expect(champion.version).toBe('1');
    const rows = await strict.versions();
    expect(rows.map((r) => [r.version, r.gate, r.champion])).toEqual([
      ['1', 'passed', true],
      ['2', 'failed', false],
    ]);
  }, 180_000);

  it('a corrupted chunk fails the blocking check, names the file, runs nothing downstream, keeps the champion', async () => {
    const demo = await demoWith({ aucFloor: 0 });
    expect((await demo.commitMonth('2001-01')).run.status).toBe('SUCCESS');
    const bad = await commitCorruptedMonth({
      data: demo.data,
      sourceFile: demo.source.file,
      month: '2001-02',
      repository: demo.settings.repository,
      branch: demo.settings.branch,
      prefix: demo.settings.prefix,
      workDir: join(home, 'demo-source'),
    });
    const outcome = await demo.awaitRunFor({ month: '2001-02', ...bad });

    expect(outcome.run.status).toBe('FAILURE');
    expect(outcome.steps.map((s) => [s.step, s.status])).toEqual([
      ['load_data', 'FAILURE'],
      ['preprocess', 'SKIPPED'],
      ['train_model', 'SKIPPED'],
      ['evaluate_model', 'SKIPPED'],
      ['promote_model', 'SKIPPED'],
    ]);
    expect(outcome.failedChecks).toHaveLength(1);
    expect(outcome.failedChecks[0]).toContain('chunks_valid');
    expect(outcome.failedChecks[0]).toContain('flights/2001-02.parquet: column "delay" has type VARCHAR');
    // the run's error names the chunk too
    expect(outcome.run.error?.message).toContain('flights/2001-02.parquet');
    const rows = await demo.versions();
    expect(rows.map((r) => [r.version, r.champion])).toEqual([['1', true]]);
  }, 180_000);
});
