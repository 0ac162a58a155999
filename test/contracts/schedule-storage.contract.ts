/**
 * The contract every {@link ScheduleStorage} implementation passes.
 *
 * @example
 * ```ts
 * describeScheduleStorageContract('memory', () => new MemoryScheduleStorage());
 * ```
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { ScheduleStorage, TickRecord } from '../../src/core/storage/storage-types.js';
import { isLakeloopError } from '../../src/errors.js';
import { CONTRACT_START_TIME } from './storage-contract-support.js';
import type { StorageFactory } from './storage-contract-support.js';

function tick(instigatorName: string, timestamp: number, overrides: Partial<TickRecord> = {}): TickRecord {
  return {
    instigatorName,
    type: 'SENSOR',
    timestamp,
    status: 'STARTED',
    runKeys: [],
    runIds: [],
    ...overrides,
  };
}

/** Registers the schedule storage contract tests for one implementation. */
export function describeScheduleStorageContract(
  name: string,
  factory: StorageFactory<ScheduleStorage>,
): void {
  describe(`ScheduleStorage contract: ${name}`, () => {
    let schedules: ScheduleStorage;

    beforeEach(async () => {
      schedules = await factory({ clock: manualClock(CONTRACT_START_TIME) });
    });

    afterEach(async () => {
      await schedules.close();
    });

    it('stores, replaces and lists instigator states (by name)', async () => {
      expect(await schedules.getInstigatorState('new_data_sensor')).toBeUndefined();
      await schedules.setInstigatorState({
        name: 'new_data_sensor',
        type: 'SENSOR',
        status: 'RUNNING',
        cursor: 'commit-1',
        lastTickAt: CONTRACT_START_TIME,
        updatedAt: CONTRACT_START_TIME,
      });
      await schedules.setInstigatorState({ name: 'daily', type: 'SCHEDULE', updatedAt: CONTRACT_START_TIME });
      expect(await schedules.getInstigatorState('new_data_sensor')).toStrictEqual({
        name: 'new_data_sensor',
        type: 'SENSOR',
        status: 'RUNNING',
        cursor: 'commit-1',
        lastTickAt: CONTRACT_START_TIME,
        updatedAt: CONTRACT_START_TIME,
      });
      await schedules.setInstigatorState({
        name: 'new_data_sensor',
        type: 'SENSOR',
        cursor: 'commit-2',
        updatedAt: CONTRACT_START_TIME + 1,
      });
      expect(await schedules.getInstigatorState('new_data_sensor')).toStrictEqual({
        name: 'new_data_sensor',
        type: 'SENSOR',
        cursor: 'commit-2',
        updatedAt: CONTRACT_START_TIME + 1,
      });
      expect((await schedules.listInstigatorStates()).map((s) => s.name)).toEqual([
        'daily',
        'new_data_sensor',
      ]);
    });

    it('adds ticks with increasing ids and lists them newest first, per instigator', async () => {
      const a1 = await schedules.addTick(tick('a', 1_000));
      const b1 = await schedules.addTick(tick('b', 1_500));
      const a2 = await schedules.addTick(
        tick('a', 3_000, { status: 'SKIPPED', skipReason: 'no new commit' }),
      );
      const a3 = await schedules.addTick(tick('a', 2_000, { id: 999 }));
      expect(a1).toBeLessThan(b1);
      expect(b1).toBeLessThan(a2);
      expect(a2).toBeLessThan(a3);
      const ticks = await schedules.listTicks('a');
      expect(ticks.map((t) => t.id)).toEqual([a2, a3, a1]);
      expect(ticks[0]).toStrictEqual({
        ...tick('a', 3_000, { status: 'SKIPPED', skipReason: 'no new commit' }),
        id: a2,
      });
      expect((await schedules.listTicks('a', { limit: 2 })).map((t) => t.id)).toEqual([a2, a3]);
      expect(await schedules.listTicks('unknown')).toEqual([]);
    });

    it('returns at most 100 ticks by default, and rejects a bad limit', async () => {
      for (let i = 0; i < 103; i++) await schedules.addTick(tick('many', i));
      expect(await schedules.listTicks('many')).toHaveLength(100);
      const error: unknown = await schedules.listTicks('many', { limit: -1 }).catch((e: unknown) => e);
      expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
    });

    it('merges updates into a tick and rejects unknown tick ids', async () => {
      const id = await schedules.addTick(tick('s', 1_000, { cursor: 'c0' }));
      await schedules.updateTick(id, { status: 'SUCCESS', runKeys: ['k1'], runIds: ['run-1'], cursor: 'c1' });
      expect((await schedules.listTicks('s'))[0]).toStrictEqual({
        ...tick('s', 1_000, { status: 'SUCCESS', runKeys: ['k1'], runIds: ['run-1'], cursor: 'c1' }),
        id,
      });
      await schedules.updateTick(id, { status: 'FAILURE', error: 'sensor threw: boom' });
      expect((await schedules.listTicks('s'))[0]).toMatchObject({
        status: 'FAILURE',
        error: 'sensor threw: boom',
        cursor: 'c1',
        runKeys: ['k1'],
      });
      const error: unknown = await schedules
        .updateTick(987_654, { status: 'SUCCESS' })
        .catch((e: unknown) => e);
      expect(isLakeloopError(error, 'NOT_FOUND')).toBe(true);
    });

    it('coalesces consecutive SKIPPED ticks with the same reason and cursor into one counted tick', async () => {
      const skip = { status: 'SKIPPED', skipReason: 'No new commit.' } as const;
      const first = await schedules.addTick(tick('idle', 1_000, { cursor: 'c1' }));
      expect(await schedules.finishTick(first, skip)).toStrictEqual({
        ...tick('idle', 1_000, { cursor: 'c1', ...skip }),
        id: first,
      });
      await schedules.addTick(tick('other', 1_500)); // another instigator does not interrupt
      for (const at of [2_000, 3_000, 4_000]) {
        const id = await schedules.addTick(tick('idle', at, { cursor: 'c1' }));
        const finished = await schedules.finishTick(id, skip);
        expect(finished.id).toBe(first);
      }
      expect(await schedules.listTicks('idle')).toStrictEqual([
        { ...tick('idle', 1_000, { cursor: 'c1', ...skip }), id: first, count: 4, lastTimestamp: 4_000 },
      ]);
      // A different reason, a different cursor, or another outcome starts a new tick.
      const otherReason = await schedules.addTick(tick('idle', 5_000, { cursor: 'c1' }));
      expect(
        (await schedules.finishTick(otherReason, { status: 'SKIPPED', skipReason: 'Branch missing.' })).id,
      ).toBe(otherReason);
      const otherCursor = await schedules.addTick(tick('idle', 6_000, { cursor: 'c2' }));
      expect((await schedules.finishTick(otherCursor, { ...skip, cursor: 'c2' })).id).toBe(otherCursor);
      const success = await schedules.addTick(tick('idle', 7_000, { cursor: 'c2' }));
      expect(
        await schedules.finishTick(success, { status: 'SUCCESS', runKeys: ['k'], runIds: ['run-1'] }),
      ).toMatchObject({ id: success, status: 'SUCCESS' });
      const afterSuccess = await schedules.addTick(tick('idle', 8_000, { cursor: 'c2' }));
      expect((await schedules.finishTick(afterSuccess, { ...skip, cursor: 'c2' })).id).toBe(afterSuccess);
      expect((await schedules.listTicks('idle')).map((t) => [t.id, t.count ?? 1])).toEqual([
        [afterSuccess, 1],
        [success, 1],
        [otherCursor, 1],
        [otherReason, 1],
        [first, 4],
      ]);
      const error: unknown = await schedules.finishTick(987_654, skip).catch((e: unknown) => e);
      expect(isLakeloopError(error, 'NOT_FOUND')).toBe(true);
    });

    it('deletes ticks whose last evaluation is older than a cutoff (a coalesced tick by its last time)', async () => {
      const skip = { status: 'SKIPPED', skipReason: 'idle' } as const;
      const old = await schedules.addTick(tick('a', 1_000, { status: 'SUCCESS' }));
      const coalesced = await schedules.addTick(tick('a', 2_000));
      await schedules.finishTick(coalesced, skip);
      await schedules.finishTick(await schedules.addTick(tick('a', 9_000)), skip); // last time 9 000
      const oldB = await schedules.addTick(tick('b', 1_000, { status: 'FAILURE', error: 'boom' }));
      const newB = await schedules.addTick(tick('b', 9_500, { status: 'SUCCESS' }));
      expect(await schedules.deleteTicks({ before: 5_000, dryRun: true })).toBe(2);
      expect((await schedules.listTicks('a')).map((t) => t.id)).toEqual([coalesced, old]);
      expect(await schedules.deleteTicks({ before: 5_000, instigatorName: 'b' })).toBe(1);
      expect((await schedules.listTicks('b')).map((t) => t.id)).toEqual([newB]);
      expect(await schedules.deleteTicks({ before: 5_000 })).toBe(1);
      expect((await schedules.listTicks('a')).map((t) => t.id)).toEqual([coalesced]);
      expect(await schedules.deleteTicks({ before: 5_000 })).toBe(0);
      expect(oldB).toBeLessThan(newB);
    });

    it('finds the tick that launched a run by its run id: the newest, per instigator, after updates and deletes', async () => {
      expect(await schedules.getTickByRunId('run-a')).toBeUndefined();
      const first = await schedules.addTick(
        tick('s', 1_000, { status: 'SUCCESS', runIds: ['run-a', 'run-b'] }),
      );
      const other = await schedules.addTick(tick('t', 3_000, { status: 'SUCCESS', runIds: ['run-a'] }));
      expect(await schedules.getTickByRunId('run-b')).toMatchObject({
        id: first,
        runIds: ['run-a', 'run-b'],
      });
      expect((await schedules.getTickByRunId('run-a'))?.id).toBe(other);
      expect((await schedules.getTickByRunId('run-a', { instigatorName: 's' }))?.id).toBe(first);
      expect(await schedules.getTickByRunId('run-a', { instigatorName: 'unknown' })).toBeUndefined();

      // A tick that launches its run on a later update, and one whose runs change, are found by the new ids.
      const later = await schedules.addTick(tick('s', 2_000));
      expect(await schedules.getTickByRunId('run-c')).toBeUndefined();
      await schedules.updateTick(later, { runIds: ['run-c'] });
      expect((await schedules.getTickByRunId('run-c'))?.id).toBe(later);
      await schedules.finishTick(later, { status: 'SUCCESS', runIds: ['run-d'] });
      expect(await schedules.getTickByRunId('run-c')).toBeUndefined();
      expect(await schedules.getTickByRunId('run-d')).toStrictEqual({
        ...tick('s', 2_000, { status: 'SUCCESS', runIds: ['run-d'] }),
        id: later,
      });

      expect(await schedules.deleteTicks({ before: 1_500 })).toBe(1);
      expect(await schedules.getTickByRunId('run-b')).toBeUndefined();
      expect((await schedules.getTickByRunId('run-a'))?.id).toBe(other);
    });

    it('claims a run key exactly once per instigator and remembers the first run id', async () => {
      expect(await schedules.getRunIdForKey('sensor', 'commit-1')).toBeUndefined();
      expect(await schedules.claimRunKey('sensor', 'commit-1', 'run-a')).toBe(true);
      expect(await schedules.claimRunKey('sensor', 'commit-1', 'run-b')).toBe(false);
      expect(await schedules.claimRunKey('sensor', 'commit-1', 'run-a')).toBe(false);
      expect(await schedules.getRunIdForKey('sensor', 'commit-1')).toBe('run-a');
      expect(await schedules.claimRunKey('other_sensor', 'commit-1', 'run-c')).toBe(true);
      expect(await schedules.getRunIdForKey('other_sensor', 'commit-1')).toBe('run-c');
      expect(await schedules.getRunIdForKey('sensor', 'commit-2')).toBeUndefined();
    });

    it('lets exactly one of many concurrent claims of one run key win', async () => {
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => schedules.claimRunKey('sensor', 'commit-x', `run-${i}`)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await schedules.getRunIdForKey('sensor', 'commit-x')).toBe(`run-${results.indexOf(true)}`);
    });

    it('reports the most recent daemon heartbeat', async () => {
      expect(await schedules.latestHeartbeat()).toBeUndefined();
      await schedules.recordHeartbeat('daemon-1', 1_000);
      await schedules.recordHeartbeat('daemon-2', 2_000);
      expect(await schedules.latestHeartbeat()).toStrictEqual({ daemonId: 'daemon-2', timestamp: 2_000 });
      await schedules.recordHeartbeat('daemon-1', 3_000);
      expect(await schedules.latestHeartbeat()).toStrictEqual({ daemonId: 'daemon-1', timestamp: 3_000 });
    });

    it('rejects calls after close', async () => {
      await schedules.close();
      const error: unknown = await schedules.claimRunKey('s', 'k', 'r').catch((e: unknown) => e);
      expect(isLakeloopError(error, 'PRECONDITION_FAILED')).toBe(true);
    });
  });
}
