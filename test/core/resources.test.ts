/** Resources with a lifecycle: setup once per run (or process), bind/finish per step, teardown, failures. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeProcessResources,
  createRun,
  DATA_BRANCH_TAG,
  DATA_COMMIT_TAG,
  DATA_REPOSITORY_TAG,
  defineAsset,
  defineCheck,
  defineResource,
  Definitions,
  executeRun,
  Instance,
  materialize,
} from '../../src/index.js';
import type { DataCommitRef, ResourceStepResult } from '../../src/index.js';
import { recordingSleep } from './core-test-helpers.js';

let instance: Instance;

beforeEach(async () => {
  instance = await Instance.ephemeral({ storage: 'sqlite', sleep: recordingSleep(), random: () => 0.5 });
});
afterEach(async () => {
  await closeProcessResources();
  await instance.close();
});

/** A resource that records its lifecycle in `journal`. */
function journaled(name: string, journal: string[], scope: 'run' | 'process' = 'run') {
  return defineResource({
    scope,
    setup: (ctx) => {
      journal.push(`setup ${name} run=${ctx.runId ?? '-'}`);
      return { name, setups: journal.filter((l) => l.startsWith(`setup ${name}`)).length };
    },
    teardown: (value) => {
      journal.push(`teardown ${value.name}`);
    },
    bind: (value, step) => ({
      value: { ...value, step: step.assetKey, attempt: step.attempt },
      finish: (result: ResourceStepResult) => {
        journal.push(`finish ${name} ${step.assetKey} ${result.ok ? 'ok' : 'failed'}`);
      },
    }),
  });
}

describe('resource lifecycle', () => {
  it('sets a run resource up once per run, binds it per step, finishes before checks, tears it down after the run', async () => {
    const journal: string[] = [];
    const db = journaled('db', journal);
    const a = defineAsset({
      key: 'a',
      resources: { db },
      compute: (ctx) => {
        journal.push(`compute a sees ${ctx.resources.db.step}`);
        return ctx.resources.db.setups;
      },
    });
    const b = defineAsset({
      key: 'b',
      deps: [a],
      resources: { db },
      compute: (ctx, { a: setups }) => {
        journal.push(`compute b sees ${ctx.resources.db.step}`);
        return setups + ctx.resources.db.setups;
      },
    });
    const positive = defineCheck({
      name: 'positive',
      asset: b,
      resources: { db },
      fn: (ctx, value) => {
        journal.push(`check sees ${ctx.resources.db.step}`);
        return value > 0;
      },
    });
    const defs = new Definitions({ assets: [a, b], checks: [positive] });
    const run = await materialize(defs, { select: '*', instance });
    expect(run.status).toBe('SUCCESS');
    expect(journal).toEqual([
      `setup db run=${run.runId}`,
      'compute a sees a',
      'finish db a ok',
      'compute b sees b',
      'finish db b ok',
      'check sees b',
      'finish db b ok',
      'teardown db',
    ]);

    journal.length = 0;
    const again = await materialize(defs, { select: 'a', instance });
    expect(journal[0]).toBe(`setup db run=${again.runId}`); // a new run sets up again
    expect(journal.at(-1)).toBe('teardown db');
  });

  it('sets a process resource up once for many runs and tears it down at closeProcessResources()', async () => {
    const journal: string[] = [];
    const cache = journaled('cache', journal, 'process');
    const a = defineAsset({ key: 'a', resources: { cache }, compute: (ctx) => ctx.resources.cache.setups });
    const defs = new Definitions({ assets: [a] });
    await materialize(defs, { select: '*', instance });
    await materialize(defs, { select: '*', instance });
    expect(journal.filter((l) => l.startsWith('setup'))).toEqual(['setup cache run=-']);
    expect(journal).not.toContain('teardown cache');
    await closeProcessResources();
    expect(journal.at(-1)).toBe('teardown cache');
  });

  it('finishes a binding with the error when compute throws', async () => {
    const journal: string[] = [];
    const db = journaled('db', journal);
    const a = defineAsset({
      key: 'a',
      resources: { db },
      compute: () => {
        throw new Error('boom');
      },
    });
    const run = await materialize(new Definitions({ assets: [a] }), { select: '*', instance });
    expect(run.status).toBe('FAILURE');
    expect(journal).toEqual([`setup db run=${run.runId}`, 'finish db a failed', 'teardown db']);
  });

  it('fails the step with RESOURCE_ERROR naming the resource when its setup throws, and sets it up again on retry', async () => {
    let setups = 0;
    const flaky = defineResource({
      setup: () => {
        setups++;
        if (setups === 1) throw new Error('connection refused');
        return 'connected';
      },
    });
    const a = defineAsset({
      key: 'a',
      resources: { flaky },
      retryPolicy: { maxRetries: 1 },
      compute: (ctx) => ctx.resources.flaky,
    });
    const run = await materialize(new Definitions({ assets: [a] }), { select: '*', instance });
    expect(run.status).toBe('SUCCESS');
    expect(setups).toBe(2);
    const retries = await instance.events.getEvents({ runId: run.runId, types: ['STEP_UP_FOR_RETRY'] });
    expect(retries[0]?.error?.message).toMatch(
      /Resource "flaky" of asset "a" could not be set up: connection refused/,
    );
    expect(retries[0]?.error?.code).toBe('RESOURCE_ERROR');
  });

  it('logs a teardown that throws and keeps the run SUCCESS', async () => {
    const broken = defineResource({
      setup: () => 1,
      teardown: () => {
        throw new Error('socket already closed');
      },
    });
    const a = defineAsset({ key: 'a', resources: { broken }, compute: (ctx) => ctx.resources.broken + 1 });
    const run = await materialize(new Definitions({ assets: [a] }), { select: '*', instance });
    expect(run.status).toBe('SUCCESS');
    const logs = await instance.events.getEvents({ runId: run.runId, types: ['LOG'] });
    expect(logs.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/teardown failed.*socket already closed/),
    );
  });

  it('gives plain values and Definitions-level resources named in a list; a Definitions resource replaces a declared one', async () => {
    const seen: unknown[] = [];
    const real = defineResource({ setup: () => 'real' });
    const fake = defineResource({ setup: () => 'fake' });
    const a = defineAsset({
      key: 'a',
      resources: ['settings'],
      compute: (ctx) => {
        seen.push(ctx.resources['settings']);
      },
    });
    const b = defineAsset({
      key: 'b',
      resources: { svc: real },
      compute: (ctx) => {
        seen.push(ctx.resources.svc);
      },
    });
    const defs = new Definitions({ assets: [a, b], resources: { settings: { depth: 3 }, svc: fake } });
    await materialize(defs, { select: '*', instance });
    expect(seen).toEqual([{ depth: 3 }, 'fake']);
  });
});

describe('ctx.dataCommit', () => {
  const seen: (DataCommitRef | undefined)[] = [];
  const reader = defineAsset({
    key: 'reader',
    compute: (ctx) => {
      seen.push(ctx.dataCommit);
    },
  });

  beforeEach(() => {
    seen.length = 0;
  });

  it('comes from the run tags a data-commit sensor sets', async () => {
    const defs = new Definitions({ assets: [reader] });
    await materialize(defs, {
      select: '*',
      instance,
      tags: { [DATA_COMMIT_TAG]: 'c1', [DATA_REPOSITORY_TAG]: 'flights', [DATA_BRANCH_TAG]: 'main' },
    });
    await materialize(defs, { select: '*', instance });
    expect(seen).toEqual([{ repository: 'flights', branch: 'main', commitId: 'c1' }, undefined]);
  });

  it('comes from a resource launchTags called once at createRun, and a tag the run has wins', async () => {
    let head = 'c7';
    let calls = 0;
    const repo = defineResource({
      setup: () => 'repo client',
      launchTags: () => {
        calls++;
        return Promise.resolve({
          [DATA_COMMIT_TAG]: head,
          [DATA_REPOSITORY_TAG]: 'flights',
          [DATA_BRANCH_TAG]: 'main',
        });
      },
    });
    const load = defineAsset({
      key: 'load',
      resources: { repo },
      compute: (ctx) => {
        seen.push(ctx.dataCommit);
      },
    });
    const again = defineAsset({
      key: 'again',
      deps: [load],
      resources: { repo },
      compute: (ctx) => {
        seen.push(ctx.dataCommit);
      },
    });
    const defs = new Definitions({ assets: [load, again] });
    const run = await createRun(defs, { select: '*', instance });
    expect(calls).toBe(1);
    expect(run.tags[DATA_COMMIT_TAG]).toBe('c7');
    head = 'c8'; // the branch moves after launch: the run still reads c7
    await executeRun({ defs, runId: run.runId, instance });
    expect(seen.map((c) => c?.commitId)).toEqual(['c7', 'c7']);

    const pinned = await createRun(defs, { select: '*', instance, tags: { [DATA_COMMIT_TAG]: 'c3' } });
    expect(pinned.tags[DATA_COMMIT_TAG]).toBe('c3');
    expect(pinned.tags[DATA_REPOSITORY_TAG]).toBe('flights');
  });

  it('refuses the launch with RESOURCE_ERROR when launchTags fails, storing no run', async () => {
    const repo = defineResource({
      setup: () => 1,
      launchTags: () => Promise.reject(new Error('lakeFS unreachable')),
    });
    const load = defineAsset({ key: 'load', resources: { repo }, compute: () => 1 });
    const refused = createRun(new Definitions({ assets: [load] }), { select: '*', instance });
    await expect(refused).rejects.toThrow(/Resource "repo".*lakeFS unreachable/);
    await expect(refused).rejects.toMatchObject({ code: 'RESOURCE_ERROR' });
    expect(await instance.runs.listRuns()).toEqual([]);
  });
});
