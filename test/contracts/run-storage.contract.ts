/**
 * The contract every {@link RunStorage} implementation passes.
 *
 * @example
 * ```ts
 * describeRunStorageContract('memory', ({ clock }) => new MemoryRunStorage({ clock }));
 * ```
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { ManualClock } from '../../src/clock.js';
import type { RunStatus } from '../../src/core/events/event-types.js';
import type { RunStorage } from '../../src/core/storage/storage-types.js';
import { isLakeloopError } from '../../src/errors.js';
import { CONTRACT_START_TIME, makeRun, nestedError } from './storage-contract-support.js';
import type { StorageFactory } from './storage-contract-support.js';

/** Registers the run storage contract tests for one implementation. */
export function describeRunStorageContract(name: string, factory: StorageFactory<RunStorage>): void {
  describe(`RunStorage contract: ${name}`, () => {
    let clock: ManualClock;
    let runs: RunStorage;

    beforeEach(async () => {
      clock = manualClock(CONTRACT_START_TIME);
      runs = await factory({ clock });
    });

    afterEach(async () => {
      await runs.close();
    });

    it('round-trips a run with every field, including an error with its causes', async () => {
      const run = makeRun({
        runId: 'run-full',
        jobName: 'training',
        selection: '+train_model',
        assetKeys: ['load_data', 'preprocess', 'train_model'],
        partition: '2001-03',
        status: 'FAILURE',
        tags: { 'lakeloop/run_key': 'commit-abc', owner: 'ml' },
        parentRunId: 'run-parent',
        startedAt: CONTRACT_START_TIME + 10,
        endedAt: CONTRACT_START_TIME + 20,
        updatedAt: CONTRACT_START_TIME + 20,
        error: nestedError(),
      });
      await runs.addRun(run);
      expect(await runs.getRun('run-full')).toStrictEqual(run);
    });

    it('round-trips the run config (nested JSON) and keeps it through status and tag updates', async () => {
      const config = {
        train_model: { learningRate: 0.05, layers: [64, 32], early: { stop: true } },
        retrain: {},
      };
      await runs.addRun(makeRun({ runId: 'run-config', config }));
      await runs.updateRun('run-config', { status: 'STARTED', tags: { owner: 'ml' } });
      const stored = await runs.getRun('run-config');
      expect(stored?.config).toStrictEqual(config);
      expect((await runs.listRuns({ tags: { owner: 'ml' } }))[0]?.config).toStrictEqual(config);
    });

    it('leaves optional fields absent when they were not given', async () => {
      await runs.addRun(makeRun({ runId: 'run-min' }));
      const stored = await runs.getRun('run-min');
      expect(stored).toBeDefined();
      expect(Object.keys(stored ?? {}).sort()).toEqual(
        ['assetKeys', 'createdAt', 'jobName', 'runId', 'selection', 'status', 'tags', 'updatedAt'].sort(),
      );
    });

    it('returns undefined for an unknown run id', async () => {
      expect(await runs.getRun('no-such-run')).toBeUndefined();
    });

    it('rejects a second run with the same id and keeps the first', async () => {
      await runs.addRun(makeRun({ runId: 'dup', jobName: 'first' }));
      const error: unknown = await runs
        .addRun(makeRun({ runId: 'dup', jobName: 'second' }))
        .catch((e: unknown) => e);
      expect(isLakeloopError(error, 'ALREADY_EXISTS')).toBe(true);
      expect((await runs.getRun('dup'))?.jobName).toBe('first');
    });

    it('is not affected by mutating records passed in or returned', async () => {
      const run = makeRun({ runId: 'isolated', tags: { a: '1' } });
      await runs.addRun(run);
      run.tags.a = 'changed';
      run.assetKeys.push('extra');
      const read = await runs.getRun('isolated');
      if (read === undefined) throw new Error('missing run');
      read.tags.b = '2';
      read.status = 'SUCCESS';
      const again = await runs.getRun('isolated');
      expect(again?.tags).toEqual({ a: '1' });
      expect(again?.assetKeys).toEqual(['load_data', 'train_model']);
      expect(again?.status).toBe('QUEUED');
    });

    it('lists newest first by createdAt, ties in insertion order (newest added first)', async () => {
      await runs.addRun(makeRun({ runId: 'old', createdAt: 1_000 }));
      await runs.addRun(makeRun({ runId: 'new', createdAt: 3_000 }));
      await runs.addRun(makeRun({ runId: 'mid-a', createdAt: 2_000 }));
      await runs.addRun(makeRun({ runId: 'mid-b', createdAt: 2_000 }));
      expect((await runs.listRuns()).map((r) => r.runId)).toEqual(['new', 'mid-b', 'mid-a', 'old']);
    });

    it('returns at most 100 runs by default, and honours limit (0 gives none)', async () => {
      for (let i = 0; i < 105; i++) await runs.addRun(makeRun({ runId: `r${i}`, createdAt: i }));
      const all = await runs.listRuns();
      expect(all).toHaveLength(100);
      expect(all[0]?.runId).toBe('r104');
      expect(await runs.listRuns({ limit: 3 })).toHaveLength(3);
      expect(await runs.listRuns({ limit: 0 })).toEqual([]);
    });

    it('rejects a negative or fractional limit', async () => {
      for (const limit of [-1, 2.5, Number.NaN]) {
        const error: unknown = await runs.listRuns({ limit }).catch((e: unknown) => e);
        expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
      }
    });

    it('filters by statuses, job name and tags (every tag must match)', async () => {
      await runs.addRun(
        makeRun({ runId: 'a', jobName: 'train', status: 'SUCCESS', tags: { k: '1', m: 'x' } }),
      );
      await runs.addRun(makeRun({ runId: 'b', jobName: 'train', status: 'FAILURE', tags: { k: '1' } }));
      await runs.addRun(
        makeRun({ runId: 'c', jobName: 'eval', status: 'SUCCESS', tags: { k: '2', m: 'x' } }),
      );
      const ids = async (filter: Parameters<RunStorage['listRuns']>[0]): Promise<string[]> =>
        (await runs.listRuns(filter)).map((r) => r.runId).sort();
      expect(await ids({ statuses: ['SUCCESS'] })).toEqual(['a', 'c']);
      expect(await ids({ statuses: ['SUCCESS', 'FAILURE'] })).toEqual(['a', 'b', 'c']);
      expect(await ids({ statuses: [] })).toEqual([]);
      expect(await ids({ jobName: 'train' })).toEqual(['a', 'b']);
      expect(await ids({ tags: { k: '1' } })).toEqual(['a', 'b']);
      expect(await ids({ tags: { k: '1', m: 'x' } })).toEqual(['a']);
      expect(await ids({ tags: { m: 'x', k: '1' } })).toEqual(['a']);
      expect(await ids({ tags: { k: '1', m: 'y' } })).toEqual([]);
      expect(await ids({ tags: { m: 'x' }, jobName: 'eval' })).toEqual(['c']);
      expect(await ids({ tags: { k: '3' } })).toEqual([]);
      expect(await ids({ tags: { nope: '1' } })).toEqual([]);
      expect(await ids({ tags: {} })).toEqual(['a', 'b', 'c']);
      expect(await ids({ jobName: 'train', statuses: ['FAILURE'], tags: { k: '1' } })).toEqual(['b']);
    });

    it('pages with beforeRunId through every run exactly once, also with equal createdAt', async () => {
      for (let i = 0; i < 25; i++) {
        await runs.addRun(makeRun({ runId: `p${i}`, createdAt: Math.floor(i / 4), tags: { all: 'yes' } }));
      }
      const seen: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await runs.listRuns({ limit: 7, beforeRunId: before, tags: { all: 'yes' } });
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.runId));
        before = page.at(-1)?.runId;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `p${24 - i}`));
    });

    it('lists oldest first on request and pages forward with afterRunId (a FIFO queue)', async () => {
      for (let i = 0; i < 10; i++) {
        await runs.addRun(
          makeRun({
            runId: `q${i}`,
            createdAt: Math.floor(i / 3),
            status: i % 2 === 0 ? 'QUEUED' : 'SUCCESS',
          }),
        );
      }
      const all = await runs.listRuns({ order: 'OLDEST_FIRST' });
      expect(all.map((r) => r.runId)).toEqual(Array.from({ length: 10 }, (_, i) => `q${i}`));
      const queued = await runs.listRuns({ statuses: ['QUEUED'], order: 'OLDEST_FIRST', limit: 2 });
      expect(queued.map((r) => r.runId)).toEqual(['q0', 'q2']);
      const next = await runs.listRuns({
        statuses: ['QUEUED'],
        order: 'OLDEST_FIRST',
        limit: 2,
        afterRunId: 'q2',
      });
      expect(next.map((r) => r.runId)).toEqual(['q4', 'q6']);
      const between = await runs.listRuns({ afterRunId: 'q2', beforeRunId: 'q6' });
      expect(between.map((r) => r.runId)).toEqual(['q5', 'q4', 'q3']);
    });

    it('rejects paging from an unknown run id', async () => {
      for (const filter of [{ beforeRunId: 'ghost' }, { afterRunId: 'ghost' }]) {
        const error: unknown = await runs.listRuns(filter).catch((e: unknown) => e);
        expect(isLakeloopError(error, 'NOT_FOUND')).toBe(true);
      }
    });

    it('updates fields, merges tags and stamps updatedAt from the clock', async () => {
      await runs.addRun(makeRun({ runId: 'u', tags: { keep: '1', over: 'old' } }));
      clock.advance(5_000);
      const changed = await runs.updateRun('u', {
        status: 'STARTED',
        startedAt: CONTRACT_START_TIME + 1,
        tags: { over: 'new', added: 'yes' },
      });
      expect(changed).toBe(true);
      const run = await runs.getRun('u');
      expect(run).toMatchObject({
        status: 'STARTED',
        startedAt: CONTRACT_START_TIME + 1,
        updatedAt: CONTRACT_START_TIME + 5_000,
        tags: { keep: '1', over: 'new', added: 'yes' },
      });
      expect(run?.endedAt).toBeUndefined();
      expect((await runs.listRuns({ tags: { over: 'new' } })).map((r) => r.runId)).toEqual(['u']);
      expect(await runs.listRuns({ tags: { over: 'old' } })).toEqual([]);
    });

    it('stores a failure with its error causes through updateRun', async () => {
      await runs.addRun(makeRun({ runId: 'f', status: 'STARTED' }));
      await runs.updateRun('f', {
        status: 'FAILURE',
        endedAt: CONTRACT_START_TIME + 9,
        error: nestedError(),
      });
      const run = await runs.getRun('f');
      expect(run?.error).toStrictEqual(nestedError());
      expect(run?.endedAt).toBe(CONTRACT_START_TIME + 9);
    });

    it('compare-and-set: applies only when the status matches, otherwise changes nothing', async () => {
      await runs.addRun(makeRun({ runId: 'cas', status: 'STARTING' }));
      clock.advance(1_000);
      expect(await runs.updateRun('cas', { status: 'STARTED', tags: { t: '1' } }, 'STARTING')).toBe(true);
      const afterFirst = await runs.getRun('cas');
      clock.advance(1_000);
      expect(await runs.updateRun('cas', { status: 'CANCELED', tags: { t: '2' } }, 'STARTING')).toBe(false);
      expect(await runs.getRun('cas')).toStrictEqual(afterFirst);
      expect(afterFirst?.status).toBe('STARTED');
    });

    it('lets exactly one of many concurrent compare-and-set updates win', async () => {
      await runs.addRun(makeRun({ runId: 'race', status: 'QUEUED' }));
      const targets: RunStatus[] = ['STARTING', 'CANCELED', 'STARTING', 'CANCELED', 'STARTING', 'CANCELED'];
      const results = await Promise.all(
        targets.map((status) => runs.updateRun('race', { status }, 'QUEUED')),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = targets[results.indexOf(true)];
      expect((await runs.getRun('race'))?.status).toBe(winner);
    });

    it('rejects updates of an unknown run, with and without an expected status', async () => {
      for (const expected of [undefined, 'QUEUED'] as const) {
        const error: unknown = await runs
          .updateRun('ghost', { status: 'STARTED' }, expected)
          .catch((e: unknown) => e);
        expect(isLakeloopError(error, 'NOT_FOUND')).toBe(true);
      }
    });

    it('deletes a run (and its tags); deleting an unknown run is a no-op', async () => {
      await runs.addRun(makeRun({ runId: 'gone', tags: { x: '1' } }));
      await runs.addRun(makeRun({ runId: 'stays', tags: { x: '1' } }));
      await runs.deleteRun('gone');
      await runs.deleteRun('never-existed');
      expect(await runs.getRun('gone')).toBeUndefined();
      expect((await runs.listRuns({ tags: { x: '1' } })).map((r) => r.runId)).toEqual(['stays']);
      await runs.addRun(makeRun({ runId: 'gone', tags: { y: '2' } }));
      expect((await runs.listRuns({ tags: { x: '1' } })).map((r) => r.runId)).toEqual(['stays']);
    });

    it('rejects calls after close', async () => {
      await runs.close();
      const error: unknown = await runs.getRun('x').catch((e: unknown) => e);
      expect(isLakeloopError(error, 'PRECONDITION_FAILED')).toBe(true);
    });
  });
}
