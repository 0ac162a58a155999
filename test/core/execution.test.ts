import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  assetStatuses,
  cancelRun,
  createRun,
  defineAsset,
  defineCheck,
  Definitions,
  executeRun,
  Instance,
  isLakeloopError,
  manualClock,
  materialize,
  monthlyPartitions,
  output,
  reexecuteFromFailure,
  retryDelayMs,
} from '../../src/index.js';
import type { EventType, StoredEvent } from '../../src/index.js';
import { recordingSleep } from './core-test-helpers.js';

let instance: Instance;
let sleep: ReturnType<typeof recordingSleep>;

beforeEach(async () => {
  sleep = recordingSleep();
  instance = await Instance.ephemeral({ storage: 'sqlite', sleep, random: () => 0.5 });
});
afterEach(async () => {
  await instance.close();
});

async function events(runId: string, types?: EventType[]): Promise<StoredEvent[]> {
  return instance.events.getEvents({ runId, ...(types === undefined ? {} : { types }) });
}

/** a -> b -> c; `state` controls b's behaviour and counts computes. */
function chainDefs(
  state: { failB: boolean; aValue: number; computes: Record<string, number> },
  bCodeVersion = 'v1',
): Definitions {
  const count = (key: string): void => {
    state.computes[key] = (state.computes[key] ?? 0) + 1;
  };
  const a = defineAsset({
    key: 'a',
    compute: () => {
      count('a');
      return state.aValue;
    },
  });
  const b = defineAsset({
    key: 'b',
    deps: [a],
    codeVersion: bCodeVersion,
    compute: function computeB(ctx, { a }) {
      count('b');
      if (state.failB) throw new Error('b exploded');
      ctx.addMetadata({ seen: a });
      return a * 10;
    },
  });
  const c = defineAsset({
    key: 'c',
    deps: [b],
    compute: (_ctx, { b }) => {
      count('c');
      return output({ total: b + 1 }, { metadata: { total: b + 1 } });
    },
  });
  return new Definitions({ assets: [a, b, c] });
}

describe('materialize', () => {
  it('runs the steps in order, stores values and records provenance', async () => {
    const state = { failB: false, aValue: 2, computes: {} };
    const seen: string[] = [];
    const run = await materialize(chainDefs(state), {
      select: '*',
      instance,
      tags: { who: 'test' },
      onEvent: (e) => seen.push(e.type),
    });
    expect(run.status).toBe('SUCCESS');
    expect(run.assetKeys).toEqual(['a', 'b', 'c']);
    expect(run.tags).toMatchObject({ who: 'test', 'lakeloop/owner_pid': String(process.pid) });
    const stored = await events(run.runId);
    expect(stored.map((e) => e.type)).toEqual(seen);
    expect(seen[0]).toBe('RUN_STARTING');
    expect(seen.at(-1)).toBe('RUN_SUCCESS');
    expect(stored.filter((e) => e.stepKey === 'b').map((e) => e.type)).toEqual([
      'STEP_START',
      'STEP_OUTPUT',
      'ASSET_MATERIALIZATION',
      'STEP_SUCCESS',
    ]);
    const mats = await events(run.runId, ['ASSET_MATERIALIZATION']);
    const [ma, mb, mc] = mats.map((e) => e.materialization);
    expect(mb?.codeVersion).toBe('v1');
    expect(mb?.inputDataVersions).toEqual({ a: ma?.dataVersion });
    expect(mb?.metadata).toEqual({ seen: 2 });
    expect(mc?.metadata).toEqual({ total: 21 });
    expect(await instance.ioManager.read({ assetKey: 'c', storagePath: mc?.storagePath ?? '' })).toEqual({
      total: 21,
    });
  });

  it('fails the run, keeps the stack, skips downstream and stores nothing for the failed step', async () => {
    const state = { failB: true, aValue: 2, computes: {} as Record<string, number> };
    const run = await materialize(chainDefs(state), { select: '*', instance });
    expect(run.status).toBe('FAILURE');
    expect(isLakeloopError(run.error) || run.error?.code === 'STEP_FAILED').toBe(true);
    expect(run.error?.message).toContain('Step "b" failed');
    expect(run.error?.cause?.message).toBe('b exploded');
    const [failure] = await events(run.runId, ['STEP_FAILURE']);
    expect(failure?.stepKey).toBe('b');
    expect(failure?.error?.stack).toContain('computeB');
    const skipped = await events(run.runId, ['STEP_SKIPPED']);
    expect(skipped.map((e) => e.stepKey)).toEqual(['c']);
    expect(state.computes['c']).toBeUndefined();
    expect(existsSync(join(instance.home, 'storage', 'b'))).toBe(false);
    expect((await events(run.runId, ['ASSET_MATERIALIZATION'])).map((e) => e.stepKey)).toEqual(['a']);
  });

  it('rejects unknown selections and partitions before creating a run, listing what exists', async () => {
    const defs = chainDefs({ failB: false, aValue: 1, computes: {} });
    await expect(materialize(defs, { select: 'zz', instance })).rejects.toThrow(/known assets: a, b, c/);
    await expect(materialize(defs, { select: 'a', partition: '2001-01', instance })).rejects.toThrow(
      /none of the selected assets \(a\) is partitioned/,
    );
    expect(await instance.runs.listRuns()).toEqual([]);
  });
});

describe('asset checks', () => {
  it('a failing blocking check stores nothing and skips downstream; a warning does not block', async () => {
    const rows = defineAsset({ key: 'rows', compute: () => [] as number[] });
    const after = defineAsset({ key: 'after', deps: [rows], compute: (_c, { rows }) => rows.length });
    const defs = new Definitions({
      assets: [rows, after],
      checks: [
        defineCheck({
          name: 'not_empty',
          asset: rows,
          blocking: true,
          fn: (_c, v) => ({ passed: v.length > 0, metadata: { n: v.length } }),
        }),
        defineCheck({ name: 'small', asset: rows, fn: () => ({ passed: false, severity: 'WARN' }) }),
      ],
    });
    const run = await materialize(defs, { select: '*', instance });
    expect(run.status).toBe('FAILURE');
    expect(run.error?.cause?.code).toBe('CHECK_FAILED');
    const checks = (await events(run.runId, ['ASSET_CHECK_EVALUATION'])).map((e) => e.checkEvaluation);
    expect(checks.map((c) => [c?.checkName, c?.passed, c?.severity, c?.blocking])).toEqual([
      ['not_empty', false, 'ERROR', true],
      ['small', false, 'WARN', false],
    ]);
    expect(existsSync(join(instance.home, 'storage', 'rows'))).toBe(false);
    expect((await events(run.runId, ['STEP_SKIPPED'])).map((e) => e.stepKey)).toEqual(['after']);
    // Only one attempt: a failed check is not retried.
    expect((await events(run.runId, ['STEP_START'])).filter((e) => e.stepKey === 'rows')).toHaveLength(1);
  });
});

describe('retries', () => {
  it('retries with exponential backoff through the injected sleep, then succeeds', async () => {
    let calls = 0;
    const flaky = defineAsset({
      key: 'flaky',
      retryPolicy: { maxRetries: 3, delayMs: 100, backoff: 'exponential' },
      compute: (ctx) => {
        calls += 1;
        if (calls < 3) throw new Error(`attempt ${ctx.attempt} failed`);
        return ctx.attempt;
      },
    });
    const run = await materialize(new Definitions({ assets: [flaky] }), { select: '*', instance });
    expect(run.status).toBe('SUCCESS');
    expect(sleep.calls).toEqual([100, 200]);
    expect(await events(run.runId, ['STEP_UP_FOR_RETRY'])).toHaveLength(2);
    const [mat] = await events(run.runId, ['ASSET_MATERIALIZATION']);
    expect(
      await instance.ioManager.read({
        assetKey: 'flaky',
        storagePath: mat?.materialization?.storagePath ?? '',
      }),
    ).toBe(3);
  });

  it('fails after maxRetries + 1 attempts', async () => {
    let calls = 0;
    const broken = defineAsset({
      key: 'broken',
      retryPolicy: { maxRetries: 2, delayMs: 10, jitter: 'full' },
      compute: () => {
        calls += 1;
        throw new Error('always');
      },
    });
    const run = await materialize(new Definitions({ assets: [broken] }), { select: '*', instance });
    expect(run.status).toBe('FAILURE');
    expect(calls).toBe(3);
    expect(sleep.calls).toEqual([5, 5]); // full jitter with random() = 0.5
  });

  it('computes delays per policy', () => {
    expect(retryDelayMs({ maxRetries: 5, delayMs: 100, backoff: 'linear' }, { retry: 3 })).toBe(300);
    expect(
      retryDelayMs({ maxRetries: 5, delayMs: 100, backoff: 'exponential', maxDelayMs: 250 }, { retry: 3 }),
    ).toBe(250);
    expect(
      retryDelayMs({ maxRetries: 5, delayMs: 100, jitter: 'plus-minus' }, { retry: 1, random: () => 0 }),
    ).toBe(50);
  });
});

describe('cancellation', () => {
  it('moves a running run to CANCELING then CANCELED; the step sees ctx.signal abort; downstream is skipped', async () => {
    let started!: (runId: string) => void;
    const startedRun = new Promise<string>((resolve) => (started = resolve));
    let sawAbort = false;
    const slow = defineAsset({
      key: 'slow',
      compute: (ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('stopped'));
          });
          started(ctx.runId);
        }),
    });
    const after = defineAsset({ key: 'after', deps: [slow], compute: () => 1 });
    const done = materialize(new Definitions({ assets: [slow, after] }), { select: '*', instance });
    const runId = await startedRun;
    const canceling = await cancelRun(instance, runId);
    expect(canceling.status).toBe('CANCELING');
    const run = await done;
    expect(run.status).toBe('CANCELED');
    expect(sawAbort).toBe(true);
    const types = (await events(runId)).map((e) => e.type);
    expect(types).toContain('RUN_CANCELING');
    expect(types.at(-1)).toBe('RUN_CANCELED');
    expect((await events(runId, ['STEP_FAILURE']))[0]?.error?.code).toBe('CANCELED');
    expect((await events(runId, ['STEP_SKIPPED'])).map((e) => e.stepKey)).toEqual(['after']);
    await expect(cancelRun(instance, runId)).rejects.toThrow(/already finished/);
  });

  it('cancels a queued run at once; it can no longer be executed', async () => {
    const defs = chainDefs({ failB: false, aValue: 1, computes: {} });
    const queued = await createRun(defs, { select: 'a', instance, status: 'QUEUED' });
    expect((await events(queued.runId)).map((e) => e.type)).toEqual(['RUN_ENQUEUED']);
    expect((await cancelRun(instance, queued.runId)).status).toBe('CANCELED');
    await expect(executeRun({ defs, runId: queued.runId, instance })).rejects.toThrow(
      /only a NOT_STARTED or QUEUED run/,
    );
  });
});

describe('two-phase launch and re-execution', () => {
  it('createRun + executeRun, and a run cannot execute twice', async () => {
    const defs = chainDefs({ failB: false, aValue: 1, computes: {} });
    const created = await createRun(defs, { select: '+b', instance, tags: { k: 'v' } });
    expect(created.status).toBe('NOT_STARTED');
    const run = await executeRun({ defs, runId: created.runId, instance });
    expect(run.status).toBe('SUCCESS');
    expect(run.startedAt).toBeDefined();
    expect(run.endedAt).toBeDefined();
    await expect(executeRun({ defs, runId: created.runId, instance })).rejects.toThrow(/is SUCCESS/);
  });

  it('re-executes from the failed step, reusing the stored upstream output', async () => {
    const state = { failB: true, aValue: 7, computes: {} as Record<string, number> };
    const defs = chainDefs(state);
    const failed = await materialize(defs, { select: '*', instance });
    expect(failed.status).toBe('FAILURE');
    state.failB = false;
    state.aValue = 999; // would show up if `a` were recomputed
    const retry = await reexecuteFromFailure({ defs, runId: failed.runId, instance });
    expect(retry.status).toBe('SUCCESS');
    expect(retry.parentRunId).toBe(failed.runId);
    expect(retry.assetKeys).toEqual(['b', 'c']);
    expect(retry.tags['lakeloop/root_run_id']).toBe(failed.runId);
    expect(state.computes).toEqual({ a: 1, b: 2, c: 1 });
    const [mc] = await events(retry.runId, ['ASSET_MATERIALIZATION']).then((e) =>
      e.filter((x) => x.stepKey === 'c'),
    );
    expect(
      await instance.ioManager.read({ assetKey: 'c', storagePath: mc?.materialization?.storagePath ?? '' }),
    ).toEqual({ total: 71 });
    await expect(reexecuteFromFailure({ defs, runId: retry.runId, instance })).rejects.toThrow(
      /only a FAILURE or CANCELED run/,
    );
  });
});

describe('asset status', () => {
  it('MISSING, FRESH, STALE when an upstream data version changes (not when it is recomputed equal)', async () => {
    const state = { failB: false, aValue: 1, computes: {} };
    const defs = chainDefs(state);
    expect((await assetStatuses(defs, instance)).map((s) => s.status)).toEqual([
      'MISSING',
      'MISSING',
      'MISSING',
    ]);
    await materialize(defs, { select: '*', instance });
    expect((await assetStatuses(defs, instance)).map((s) => s.status)).toEqual(['FRESH', 'FRESH', 'FRESH']);
    await materialize(defs, { select: 'a', instance }); // same value -> same data version
    expect((await assetStatuses(defs, instance)).map((s) => s.status)).toEqual(['FRESH', 'FRESH', 'FRESH']);
    state.aValue = 2;
    await materialize(defs, { select: 'a', instance });
    const statuses = await assetStatuses(defs, instance);
    expect(statuses.map((s) => [s.assetKey, s.status, s.reasons.map((r) => r.kind)])).toEqual([
      ['a', 'FRESH', []],
      ['b', 'STALE', ['UPSTREAM_DATA_CHANGED']],
      ['c', 'STALE', ['UPSTREAM_STALE']],
    ]);
  });

  it('STALE when the code version changed', async () => {
    await materialize(chainDefs({ failB: false, aValue: 1, computes: {} }), { select: '*', instance });
    const statuses = await assetStatuses(
      chainDefs({ failB: false, aValue: 1, computes: {} }, 'v2'),
      instance,
    );
    expect(statuses.find((s) => s.assetKey === 'b')?.reasons).toEqual([
      { kind: 'CODE_VERSION_CHANGED', from: 'v1', to: 'v2' },
    ]);
  });
});

describe('partitions', () => {
  it('materializes per partition; a non-partitioned downstream reads all stored partitions', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    await instance.close();
    instance = await Instance.ephemeral({ clock, sleep });
    const monthly = defineAsset({
      key: 'monthly',
      partitions: monthlyPartitions({ start: '2001-01', end: '2001-04' }),
      compute: (ctx) => ({ month: ctx.partition, start: ctx.partitionWindow?.start }),
    });
    const all = defineAsset({
      key: 'all',
      deps: [monthly],
      compute: (_c, { monthly }) => Object.keys(monthly),
    });
    const defs = new Definitions({ assets: [monthly, all] });
    await expect(materialize(defs, { select: 'monthly', instance })).rejects.toThrow(
      /pass a partition \(one of: 2001-01, 2001-02, 2001-03\)/,
    );
    await expect(materialize(defs, { select: 'monthly', partition: '2001-09', instance })).rejects.toThrow(
      /pass one of: 2001-01, 2001-02, 2001-03/,
    );
    expect((await materialize(defs, { select: 'monthly', partition: '2001-01', instance })).status).toBe(
      'SUCCESS',
    );
    const run = await materialize(defs, { select: '*', partition: '2001-03', instance });
    expect(run.status).toBe('SUCCESS');
    const mats = await events(run.runId, ['ASSET_MATERIALIZATION']);
    expect(mats[0]?.materialization?.partition).toBe('2001-03');
    const allMat = mats[1]?.materialization;
    expect(Object.keys(allMat?.inputDataVersions ?? {})).toEqual(['monthly[2001-01]', 'monthly[2001-03]']);
    expect(
      await instance.ioManager.read({ assetKey: 'all', storagePath: allMat?.storagePath ?? '' }),
    ).toEqual(['2001-01', '2001-03']);
    const statuses = await assetStatuses(defs, instance);
    expect(
      statuses.map((s) => `${s.assetKey}${s.partition === undefined ? '' : `[${s.partition}]`}=${s.status}`),
    ).toEqual(['monthly[2001-01]=FRESH', 'monthly[2001-02]=MISSING', 'monthly[2001-03]=FRESH', 'all=FRESH']);
    expect(run.createdAt).toBe(Date.UTC(2026, 0, 1));
  });
});
