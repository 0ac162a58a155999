/**
 * Finding 6 of the reliability issue: a run of an older data commit that ends after a newer one
 * (a late re-execution, a slow run) registers its version but does not take `champion` back to
 * older data.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATA_BRANCH_TAG, DATA_COMMIT_TAG, DATA_REPOSITORY_TAG } from 'lakeloop';
import { executeRun } from '../../src/core/execution/run-execution.js';
import { createRun, reexecuteFromFailure } from '../../src/core/execution/run-launcher.js';
import { embeddedTestEnv } from '../support/lakefs-test-env.js';
import { startDemo } from '../../pipelines/flight-delays/demo-runner.js';
import type { Demo } from '../../pipelines/flight-delays/demo-runner.js';
import { CHAMPION_ALIAS } from '../../pipelines/flight-delays/evaluate-model-asset.js';
import { RETRAIN_JOB } from '../../pipelines/flight-delays/definitions.js';
import { removeHome, tempHome } from './flight-delays-support.js';

let home: string;
let demo: Demo | undefined;

beforeEach(() => {
  home = tempHome();
});

afterEach(async () => {
  await demo?.close();
  removeHome(home);
});

describe('champion order', () => {
  it('keeps the champion on the newer commit when an older commit trains late', async () => {
    demo = await startDemo({
      home,
      env: embeddedTestEnv(),
      dataset: 'flights-2k',
      config: { aucFloor: 0, aucTolerance: 1, gbdt: { maxIterations: 10, maxLeaves: 8, minSamplesLeaf: 20 } },
    });
    const january = await demo.commitMonth('2001-01');
    const february = await demo.commitMonth('2001-02');
    expect([january.run.status, february.run.status]).toEqual(['SUCCESS', 'SUCCESS']);
    const registry = demo.registry;
    const name = demo.settings.modelName;
    expect((await registry.getModelVersionByAlias({ name, alias: CHAMPION_ALIAS })).version).toBe('2');

    // January's commit trains again, after February's (its gates pass: floor 0, tolerance 1).
    const late = await createRun(demo.defs, {
      instance: demo.instance,
      jobName: RETRAIN_JOB,
      tags: {
        [DATA_COMMIT_TAG]: january.commitId,
        [DATA_REPOSITORY_TAG]: demo.settings.repository,
        [DATA_BRANCH_TAG]: demo.settings.branch,
      },
    });
    const done = await executeRun({ defs: demo.defs, runId: late.runId, instance: demo.instance });
    expect(done.status).toBe('SUCCESS');
    const rows = await demo.versions();
    expect(rows.map((r) => [r.version, r.gate, r.champion])).toEqual([
      ['1', 'passed', false],
      ['2', 'passed', true],
      ['3', 'passed', false],
    ]);
  }, 180_000);

  it('a re-execution of a run that registered its version before failing registers no second one', async () => {
    // A floor no model reaches: evaluate_model registers v1, then its blocking check fails the run
    // (as a process killed between registering and finishing would leave it).
    demo = await startDemo({
      home,
      env: embeddedTestEnv(),
      dataset: 'flights-2k',
      config: { aucFloor: 0.99, gbdt: { maxIterations: 10, maxLeaves: 8, minSamplesLeaf: 20 } },
    });
    const january = await demo.commitMonth('2001-01');
    expect(january.run.status).toBe('FAILURE');
    const again = await reexecuteFromFailure({
      defs: demo.defs,
      runId: january.run.runId,
      instance: demo.instance,
    });
    expect(again.assetKeys).toEqual(['evaluate_model', 'promote_model']);
    expect((await demo.versions()).map((r) => r.version)).toEqual(['1']);
  }, 180_000);
});
