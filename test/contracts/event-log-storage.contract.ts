/**
 * The contract every {@link EventLogStorage} implementation passes.
 *
 * @example
 * ```ts
 * describeEventLogStorageContract('memory', () => new MemoryEventLogStorage());
 * ```
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { EventRecord, EventType } from '../../src/core/events/event-types.js';
import type { EventLogStorage } from '../../src/core/storage/storage-types.js';
import { isLakeloopError } from '../../src/errors.js';
import { CONTRACT_START_TIME, nestedError } from './storage-contract-support.js';
import type { StorageFactory } from './storage-contract-support.js';

function event(runId: string, type: EventType, overrides: Partial<EventRecord> = {}): EventRecord {
  return { runId, type, timestamp: CONTRACT_START_TIME, message: `${type} of ${runId}`, ...overrides };
}

function materialization(
  runId: string,
  assetKey: string,
  dataVersion: string,
  partition?: string,
): EventRecord {
  return event(runId, 'ASSET_MATERIALIZATION', {
    stepKey: assetKey,
    materialization: {
      assetKey,
      dataVersion,
      inputDataVersions: {},
      ...(partition === undefined ? {} : { partition }),
    },
  });
}

/** Registers the event log storage contract tests for one implementation. */
export function describeEventLogStorageContract(
  name: string,
  factory: StorageFactory<EventLogStorage>,
): void {
  describe(`EventLogStorage contract: ${name}`, () => {
    let events: EventLogStorage;

    beforeEach(async () => {
      events = await factory({ clock: manualClock(CONTRACT_START_TIME) });
    });

    afterEach(async () => {
      await events.close();
    });

    it('returns increasing ids in the given order, and [] for an empty batch', async () => {
      const first = await events.appendEvents([event('r1', 'RUN_START'), event('r1', 'STEP_START')]);
      const second = await events.appendEvents([event('r1', 'STEP_SUCCESS')]);
      const ids = [...first, ...second];
      expect(ids).toHaveLength(3);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect(new Set(ids).size).toBe(3);
      expect(await events.appendEvents([])).toEqual([]);
    });

    it('round-trips every field of an event exactly, with its id', async () => {
      const full: EventRecord = {
        runId: 'r1',
        stepKey: 'train_model',
        type: 'STEP_FAILURE',
        timestamp: CONTRACT_START_TIME + 123,
        message: 'Step failed: "quotes", unicode é ✓, newline\nand tab\t',
        level: 'ERROR',
        error: nestedError(),
        data: { durationMs: 12.5, nested: { list: [1, 'two', null, true] }, empty: {} },
      };
      const check: EventRecord = {
        runId: 'r1',
        stepKey: 'train_model',
        type: 'ASSET_CHECK_EVALUATION',
        timestamp: CONTRACT_START_TIME + 124,
        message: 'check',
        checkEvaluation: {
          assetKey: 'train_model',
          checkName: 'auc_above_floor',
          partition: '2001-06',
          passed: false,
          severity: 'ERROR',
          blocking: true,
          metadata: { auc: 0.61 },
        },
      };
      const mat: EventRecord = {
        ...materialization('r1', 'train_model', 'sha256:abc', '2001-06'),
        materialization: {
          assetKey: 'train_model',
          partition: '2001-06',
          codeVersion: 'v3',
          dataVersion: 'sha256:abc',
          inputDataVersions: { 'preprocess[2001-06]': 'sha256:def' },
          storagePath: 'storage/train_model/2001-06.json',
          metadata: { rows: 500_000 },
        },
      };
      const ids = await events.appendEvents([full, check, mat]);
      expect(await events.getEvents({ runId: 'r1' })).toStrictEqual([
        { ...full, id: ids[0] },
        { ...check, id: ids[1] },
        { ...mat, id: ids[2] },
      ]);
    });

    it('filters by run, types, asset key, afterId and limit, in write order', async () => {
      const ids = await events.appendEvents([
        event('r1', 'RUN_START'),
        event('r1', 'STEP_START', { stepKey: 'a' }),
        materialization('r1', 'a', 'v1'),
        event('r1', 'STEP_SUCCESS', { stepKey: 'a' }),
        event('r2', 'STEP_START', { stepKey: 'b' }),
        materialization('r2', 'b', 'v1'),
        event('r2', 'LOG', { stepKey: 'b', level: 'INFO' }),
        materialization('r2', 'a', 'v2'),
      ]);
      const idsOf = async (filter: Parameters<EventLogStorage['getEvents']>[0]): Promise<number[]> =>
        (await events.getEvents(filter)).map((e) => e.id);
      const at = (...indexes: number[]): number[] => indexes.map((i) => ids[i] ?? -1);
      expect(await idsOf({})).toEqual(ids);
      expect(await idsOf({ runId: 'r1' })).toEqual(at(0, 1, 2, 3));
      expect(await idsOf({ runId: 'nope' })).toEqual([]);
      expect(await idsOf({ types: ['ASSET_MATERIALIZATION'] })).toEqual(at(2, 5, 7));
      expect(await idsOf({ types: ['STEP_START', 'STEP_SUCCESS'] })).toEqual(at(1, 3, 4));
      expect(await idsOf({ types: [] })).toEqual([]);
      expect(await idsOf({ assetKey: 'a' })).toEqual(at(1, 2, 3, 7));
      expect(await idsOf({ assetKey: 'a', types: ['ASSET_MATERIALIZATION'] })).toEqual(at(2, 7));
      expect(await idsOf({ assetKey: 'a', runId: 'r2' })).toEqual(at(7));
      expect(await idsOf({ afterId: ids[4] })).toEqual(at(5, 6, 7));
      expect(await idsOf({ runId: 'r2', limit: 2 })).toEqual(at(4, 5));
      expect(await idsOf({ limit: 0 })).toEqual([]);
      expect(await idsOf({ beforeId: ids[2] })).toEqual(at(0, 1));
      expect(await idsOf({ afterId: ids[1], beforeId: ids[5] })).toEqual(at(2, 3, 4));
      expect(await idsOf({ order: 'NEWEST_FIRST' })).toEqual([...ids].reverse());
      expect(await idsOf({ runId: 'r1', order: 'NEWEST_FIRST', limit: 2 })).toEqual(at(3, 2));
      expect(await idsOf({ assetKey: 'a', order: 'NEWEST_FIRST', beforeId: ids[7], limit: 2 })).toEqual(
        at(3, 2),
      );
    });

    it('tails the log with afterId and limit without losing or repeating events', async () => {
      const written: number[] = [];
      for (let batch = 0; batch < 5; batch++) {
        written.push(
          ...(await events.appendEvents(
            Array.from({ length: 7 }, (_, i) => event('tail', 'LOG', { message: `${batch}-${i}` })),
          )),
        );
      }
      const read: number[] = [];
      let after = 0;
      for (;;) {
        const page = await events.getEvents({ runId: 'tail', afterId: after, limit: 4 });
        if (page.length === 0) break;
        read.push(...page.map((e) => e.id));
        after = page.at(-1)?.id ?? after;
      }
      expect(read).toEqual(written);
    });

    it('rejects a negative or fractional limit', async () => {
      for (const limit of [-5, 0.5]) {
        const error: unknown = await events.getEvents({ limit }).catch((e: unknown) => e);
        expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
      }
    });

    it('is not affected by mutating events passed in or returned', async () => {
      const input = event('iso', 'LOG', { data: { value: 1 } });
      await events.appendEvents([input]);
      if (input.data) input.data.value = 2;
      const [read] = await events.getEvents({ runId: 'iso' });
      if (read?.data) read.data.value = 3;
      expect((await events.getEvents({ runId: 'iso' }))[0]?.data).toEqual({ value: 1 });
    });

    it('writes nothing of a batch when one event cannot be stored', async () => {
      const poisoned = event('atomic', 'LOG');
      Object.defineProperty(poisoned, 'data', {
        enumerable: true,
        get(): never {
          throw new Error('cannot serialize');
        },
      });
      const result = await events
        .appendEvents([event('atomic', 'RUN_START'), materialization('atomic', 'x', 'v1'), poisoned])
        .then(
          () => 'resolved',
          () => 'rejected',
        );
      expect(result).toBe('rejected');
      expect(await events.getEvents({ runId: 'atomic' })).toEqual([]);
      expect(await events.latestMaterializations(['x'])).toEqual([]);
    });

    it('keeps the latest materialization per asset and partition', async () => {
      await events.appendEvents([materialization('r1', 'a', 'a1'), materialization('r1', 'b', 'b1', 'p1')]);
      await events.appendEvents([
        materialization('r2', 'a', 'a2'),
        materialization('r2', 'b', 'b2', 'p2'),
        event('r2', 'STEP_SUCCESS', { stepKey: 'a' }),
      ]);
      await events.appendEvents([
        materialization('r3', 'b', 'b1-new', 'p1'),
        materialization('r3', 'c', 'c1'),
      ]);
      const summary = (await events.latestMaterializations()).map((l) => [
        l.assetKey,
        l.partition ?? null,
        l.event.materialization?.dataVersion,
        l.event.runId,
      ]);
      expect(summary).toEqual([
        ['a', null, 'a2', 'r2'],
        ['b', 'p1', 'b1-new', 'r3'],
        ['b', 'p2', 'b2', 'r2'],
        ['c', null, 'c1', 'r3'],
      ]);
      const latestA = await events.latestMaterializations(['a']);
      expect(latestA).toHaveLength(1);
      expect(latestA[0]?.partition).toBeUndefined();
      expect(latestA[0]?.event.type).toBe('ASSET_MATERIALIZATION');
      expect((await events.getEvents({ runId: 'r2', types: ['ASSET_MATERIALIZATION'] }))[0]).toStrictEqual(
        latestA[0]?.event,
      );
      expect((await events.latestMaterializations(['c', 'unknown'])).map((l) => l.assetKey)).toEqual(['c']);
      expect(await events.latestMaterializations([])).toEqual([]);
    });

    it('ignores check evaluations and step events for the latest materialization', async () => {
      await events.appendEvents([
        event('r1', 'STEP_SUCCESS', { stepKey: 'a' }),
        event('r1', 'ASSET_CHECK_EVALUATION', {
          checkEvaluation: { assetKey: 'a', checkName: 'c', passed: true, severity: 'WARN', blocking: false },
        }),
      ]);
      expect(await events.latestMaterializations()).toEqual([]);
    });

    it('falls back to older runs when the events of a run are deleted', async () => {
      await events.appendEvents([
        materialization('old', 'a', 'a-old'),
        materialization('old', 'b', 'b-old', 'p'),
      ]);
      await events.appendEvents([
        materialization('new', 'a', 'a-new'),
        materialization('new', 'b', 'b-new', 'p'),
        materialization('new', 'only-new', 'n'),
      ]);
      await events.deleteEventsOfRun('new');
      expect(await events.getEvents({ runId: 'new' })).toEqual([]);
      expect(
        (await events.latestMaterializations()).map((l) => [
          l.assetKey,
          l.event.materialization?.dataVersion,
        ]),
      ).toEqual([
        ['a', 'a-old'],
        ['b', 'b-old'],
      ]);
      await events.deleteEventsOfRun('old');
      await events.deleteEventsOfRun('never-existed');
      expect(await events.latestMaterializations()).toEqual([]);
      expect(await events.getEvents({})).toEqual([]);
    });

    it('lists the distinct run ids that have events, sorted, without the deleted ones', async () => {
      expect(await events.listRunIdsWithEvents()).toEqual([]);
      await events.appendEvents([event('run-b', 'LOG'), event('run-a', 'LOG'), event('run-b', 'LOG')]);
      await events.appendEvents([materialization('run-c', 'a', 'v1')]);
      expect(await events.listRunIdsWithEvents()).toEqual(['run-a', 'run-b', 'run-c']);
      await events.deleteEventsOfRun('run-b');
      expect(await events.listRunIdsWithEvents()).toEqual(['run-a', 'run-c']);
    });

    it('never reuses ids after a delete', async () => {
      const [first] = await events.appendEvents([event('d', 'LOG'), event('d', 'LOG')]);
      const all = await events.getEvents({});
      const maxBefore = Math.max(...all.map((e) => e.id));
      await events.deleteEventsOfRun('d');
      const [next] = await events.appendEvents([event('e', 'LOG')]);
      expect(first).toBeDefined();
      expect(next).toBeGreaterThan(maxBefore);
    });

    it('gives every event of concurrent appends a unique id, each batch in order', async () => {
      const batches = await Promise.all(
        Array.from({ length: 20 }, (_, b) =>
          events.appendEvents(
            Array.from({ length: 10 }, (_, i) => event(`c${b}`, 'LOG', { message: `${i}` })),
          ),
        ),
      );
      const all = batches.flat();
      expect(new Set(all).size).toBe(200);
      for (const [b, ids] of batches.entries()) {
        expect([...ids].sort((x, y) => x - y)).toEqual(ids);
        expect((await events.getEvents({ runId: `c${b}` })).map((e) => e.message)).toEqual(
          Array.from({ length: 10 }, (_, i) => `${i}`),
        );
      }
    });

    it('rejects calls after close', async () => {
      await events.close();
      const error: unknown = await events.appendEvents([event('x', 'LOG')]).catch((e: unknown) => e);
      expect(isLakeloopError(error, 'PRECONDITION_FAILED')).toBe(true);
    });
  });
}
