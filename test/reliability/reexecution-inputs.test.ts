/**
 * Finding 1 of the reliability issue: a re-execution trains on the data its parent run read, not
 * on whatever another run stored since; a value that is gone is computed again, and the new run
 * says so.
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineAsset, Definitions } from '../../src/index.js';
import { createRun, reexecuteFromFailure } from '../../src/core/execution/run-launcher.js';
import { executeRun } from '../../src/core/execution/run-execution.js';
import { Instance } from '../../src/core/instance/instance.js';

/** load -> features -> train; `train` fails for the commits in `failing`. */
function pipeline(failing: Set<string>): { defs: Definitions; trainedOn: string[] } {
  const trainedOn: string[] = [];
  const load = defineAsset({ key: 'load', compute: (ctx) => `rows of ${ctx.runTags.commit ?? '?'}` });
  const features = defineAsset({
    key: 'features',
    deps: [load],
    compute: (_ctx, { load: rows }) => ({ from: rows }),
  });
  const train = defineAsset({
    key: 'train',
    deps: [features],
    compute: (ctx, { features: f }) => {
      if (failing.has(ctx.runTags.commit ?? '')) throw new Error('killed mid-training');
      trainedOn.push(f.from);
      return `model of ${f.from}`;
    },
  });
  return { defs: new Definitions({ assets: [load, features, train] }), trainedOn };
}

describe('re-execution inputs', () => {
  let instance: Instance;

  beforeEach(async () => {
    instance = await Instance.ephemeral({ storage: 'sqlite' });
  });

  afterEach(async () => {
    await instance.close();
  });

  async function runFor(defs: Definitions, commit: string): Promise<string> {
    const run = await createRun(defs, { instance, select: '*', tags: { commit } });
    await executeRun({ defs, runId: run.runId, instance });
    return run.runId;
  }

  it("reads the parent's values even after another run stored newer ones", async () => {
    const failing = new Set(['march']);
    const { defs, trainedOn } = pipeline(failing);
    const march = await runFor(defs, 'march');
    expect((await instance.runs.getRun(march))?.status).toBe('FAILURE');
    await runFor(defs, 'april'); // stores newer `load` and `features`
    failing.clear();

    const rerun = await reexecuteFromFailure({ defs, runId: march, instance });
    expect(rerun.status).toBe('SUCCESS');
    expect(rerun.assetKeys).toEqual(['train']);
    expect(trainedOn).toEqual(['rows of april', 'rows of march']);
  });

  it('computes a value that is gone again, and says so in the new run', async () => {
    const failing = new Set(['march']);
    const { defs, trainedOn } = pipeline(failing);
    const march = await runFor(defs, 'march');
    await runFor(defs, 'april');
    failing.clear();
    const [stored] = await instance.events.getEvents({
      runId: march,
      types: ['ASSET_MATERIALIZATION'],
      assetKey: 'features',
    });
    rmSync(stored?.materialization?.storagePath ?? '');

    const rerun = await reexecuteFromFailure({ defs, runId: march, instance });
    expect(rerun.status).toBe('SUCCESS');
    expect(rerun.assetKeys).toEqual(['features', 'train']);
    expect(trainedOn).toEqual(['rows of april', 'rows of march']);
    const logs = await instance.events.getEvents({ runId: rerun.runId, types: ['LOG'] });
    expect(logs.map((e) => e.message)).toEqual([
      expect.stringMatching(/The stored value of "features" that run \S+ used is gone .*computed again/),
    ]);
  });

  it('reads through a re-execution that was killed before it recorded its inputs', async () => {
    const failing = new Set(['march']);
    const { defs, trainedOn } = pipeline(failing);
    const march = await runFor(defs, 'march');
    // A re-execution whose process died while STARTING: no RUN_START, nothing produced.
    const killed = await createRun(defs, {
      instance,
      assetKeys: ['train'],
      parentRunId: march,
      tags: { commit: 'march', 'lakeloop/parent_run_id': march },
    });
    await instance.runs.updateRun(killed.runId, { status: 'FAILURE' });
    await runFor(defs, 'april');
    failing.clear();
    const rerun = await reexecuteFromFailure({ defs, runId: killed.runId, instance });
    expect(rerun.status).toBe('SUCCESS');
    expect(trainedOn).toEqual(['rows of april', 'rows of march']);
  });

  it('re-executes a re-execution from the values of the whole chain', async () => {
    const failing = new Set(['march']);
    const { defs, trainedOn } = pipeline(failing);
    const march = await runFor(defs, 'march');
    const first = await reexecuteFromFailure({ defs, runId: march, instance }); // fails again
    expect(first.status).toBe('FAILURE');
    expect(first.tags['lakeloop/retry_number']).toBe('1');
    await runFor(defs, 'april');
    failing.clear();
    const second = await reexecuteFromFailure({ defs, runId: first.runId, instance });
    expect(second.status).toBe('SUCCESS');
    expect(second.tags['lakeloop/root_run_id']).toBe(march);
    expect(trainedOn).toEqual(['rows of april', 'rows of march']);
  });
});
