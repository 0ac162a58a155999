/**
 * What only the SQLite storage must show: data survives close and reopen, the schema version is
 * kept in user_version (a too-new or foreign file gives a clear error), the connections of a
 * bundle are shared and closed once, and compare-and-set and run-key claims hold across two
 * connections to one file.
 */
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { openSqliteEventLogStorage } from '../../src/core/storage/sqlite/sqlite-event-log-storage.js';
import { openSqliteRunStorage } from '../../src/core/storage/sqlite/sqlite-run-storage.js';
import { STORAGE_MIGRATIONS } from '../../src/core/storage/sqlite/sqlite-schema.js';
import { openSqliteScheduleStorage } from '../../src/core/storage/sqlite/sqlite-schedule-storage.js';
import { openSqliteStorages } from '../../src/core/storage/sqlite/sqlite-storages.js';
import { isLakeloopError } from '../../src/errors.js';
import type { LakeloopError } from '../../src/errors.js';
import { makeRun, nestedError } from '../contracts/storage-contract-support.js';

describe('SQLite storages', () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    path = join(dir, 'home', 'lakeloop.db');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps runs, events, states, ticks, claims and heartbeats after close and reopen', async () => {
    const first = openSqliteStorages({ path, clock: manualClock(5_000) });
    await first.runs.addRun(makeRun({ runId: 'r1', tags: { k: 'v' } }));
    await first.runs.updateRun('r1', { status: 'FAILURE', error: nestedError() });
    const ids = await first.events.appendEvents([
      { runId: 'r1', type: 'RUN_START', timestamp: 1, message: 'start' },
      {
        runId: 'r1',
        stepKey: 'a',
        type: 'ASSET_MATERIALIZATION',
        timestamp: 2,
        message: 'mat',
        materialization: { assetKey: 'a', dataVersion: 'v1', inputDataVersions: {} },
      },
    ]);
    await first.schedules.setInstigatorState({ name: 's', type: 'SENSOR', cursor: 'c1', updatedAt: 3 });
    const tickId = await first.schedules.addTick({
      instigatorName: 's',
      type: 'SENSOR',
      timestamp: 4,
      status: 'SUCCESS',
      runKeys: ['k'],
      runIds: ['r1'],
    });
    await first.schedules.claimRunKey('s', 'k', 'r1');
    await first.schedules.recordHeartbeat('d1', 6);
    await first.close();

    const again = openSqliteStorages({ path });
    try {
      expect(await again.runs.getRun('r1')).toMatchObject({
        status: 'FAILURE',
        error: nestedError(),
        tags: { k: 'v' },
        updatedAt: 5_000,
      });
      expect((await again.runs.listRuns({ tags: { k: 'v' } })).map((r) => r.runId)).toEqual(['r1']);
      expect((await again.events.getEvents({ runId: 'r1' })).map((e) => e.id)).toEqual(ids);
      expect((await again.events.latestMaterializations(['a']))[0]?.event.id).toBe(ids[1]);
      expect(await again.schedules.getInstigatorState('s')).toMatchObject({ cursor: 'c1' });
      expect((await again.schedules.listTicks('s')).map((t) => t.id)).toEqual([tickId]);
      expect(await again.schedules.claimRunKey('s', 'k', 'r2')).toBe(false);
      expect(await again.schedules.latestHeartbeat()).toEqual({ daemonId: 'd1', timestamp: 6 });
    } finally {
      await again.close();
    }
  });

  it('records the schema version in user_version and uses WAL', async () => {
    await openSqliteStorages({ path }).close();
    const raw = new Database(path, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(STORAGE_MIGRATIONS.at(-1)?.version);
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('indexes the run ids of the ticks a database had before the tick_runs migration', async () => {
    mkdirSync(join(dir, 'home'), { recursive: true });
    const raw = new Database(path);
    for (const migration of STORAGE_MIGRATIONS.filter((m) => m.version <= 2)) raw.exec(migration.sql);
    raw.pragma('user_version = 2');
    const body = (runIds: string[]) =>
      JSON.stringify({
        instigatorName: 's',
        type: 'SENSOR',
        timestamp: 1,
        status: 'SUCCESS',
        runKeys: [],
        runIds,
      });
    raw
      .prepare('INSERT INTO ticks (instigator_name, timestamp, status, body) VALUES (?, ?, ?, ?)')
      .run('s', 1, 'SUCCESS', body(['old-run', 'other-run']));
    raw.close();

    const schedules = openSqliteScheduleStorage({ path });
    try {
      expect(await schedules.getTickByRunId('old-run')).toMatchObject({
        id: 1,
        runIds: ['old-run', 'other-run'],
      });
      expect((await schedules.getTickByRunId('other-run', { instigatorName: 's' }))?.id).toBe(1);
      expect(await schedules.getTickByRunId('never-run')).toBeUndefined();
    } finally {
      await schedules.close();
    }
  });

  it('refuses a database whose schema is newer than this lakeloop, naming the file', async () => {
    await openSqliteStorages({ path }).close();
    const raw = new Database(path);
    raw.pragma('user_version = 999');
    raw.close();
    let error: unknown;
    try {
      openSqliteStorages({ path });
    } catch (caught) {
      error = caught;
    }
    expect(isLakeloopError(error, 'PRECONDITION_FAILED')).toBe(true);
    expect((error as LakeloopError).message).toContain(path);
    expect((error as LakeloopError).message).toMatch(/schema version 999.*upgrade lakeloop/);
  });

  it('refuses a file that is not a SQLite database with an UNAVAILABLE error naming the file', () => {
    writeFileSync(join(dir, 'garbage.db'), 'this is not a database, just text '.repeat(200));
    let error: unknown;
    try {
      openSqliteStorages({ path: join(dir, 'garbage.db') });
    } catch (caught) {
      error = caught;
    }
    expect(isLakeloopError(error, 'UNAVAILABLE')).toBe(true);
    expect((error as LakeloopError).message).toContain('garbage.db');
    expect((error as LakeloopError).cause).toBeInstanceOf(Error);
  });

  it('closes one storage of a bundle alone, and the shared connection with the bundle', async () => {
    const storages = openSqliteStorages({ path });
    await storages.runs.close();
    expect(
      await storages.events.appendEvents([{ runId: 'r', type: 'LOG', timestamp: 1, message: 'x' }]),
    ).toHaveLength(1);
    await storages.close();
    await storages.close();
    const error: unknown = await storages.schedules.latestHeartbeat().catch((e: unknown) => e);
    expect(isLakeloopError(error, 'PRECONDITION_FAILED')).toBe(true);
  });

  it('holds compare-and-set and run-key claims across two connections to one file', async () => {
    const a = openSqliteStorages({ path });
    const b = openSqliteStorages({ path });
    try {
      await a.runs.addRun(makeRun({ runId: 'shared', status: 'QUEUED' }));
      expect(await b.runs.updateRun('shared', { status: 'STARTING' }, 'QUEUED')).toBe(true);
      expect(await a.runs.updateRun('shared', { status: 'CANCELED' }, 'QUEUED')).toBe(false);
      expect((await a.runs.getRun('shared'))?.status).toBe('STARTING');
      expect(await a.schedules.claimRunKey('s', 'commit-1', 'run-a')).toBe(true);
      expect(await b.schedules.claimRunKey('s', 'commit-1', 'run-b')).toBe(false);
      expect(await b.schedules.getRunIdForKey('s', 'commit-1')).toBe('run-a');
      const [id] = await b.events.appendEvents([
        {
          runId: 'shared',
          type: 'ASSET_MATERIALIZATION',
          timestamp: 1,
          message: 'm',
          materialization: { assetKey: 'x', dataVersion: 'v', inputDataVersions: {} },
        },
      ]);
      expect((await a.events.latestMaterializations(['x']))[0]?.event.id).toBe(id);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('turns a write lock held past the busy timeout into an UNAVAILABLE error that says what to do', async () => {
    const runs = openSqliteRunStorage({ path, busyTimeoutMs: 20 });
    const holder = new Database(path);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const error: unknown = await runs.addRun(makeRun({ runId: 'blocked' })).catch((e: unknown) => e);
      expect(isLakeloopError(error, 'UNAVAILABLE')).toBe(true);
      expect((error as LakeloopError).message).toMatch(/busy timeout/);
      holder.exec('ROLLBACK');
      await runs.addRun(makeRun({ runId: 'blocked' }));
      expect((await runs.getRun('blocked'))?.runId).toBe('blocked');
    } finally {
      holder.close();
      await runs.close();
    }
  });

  it('lets standalone storages on one file see each other and close their own connection', async () => {
    const runs = openSqliteRunStorage({ path });
    const events = openSqliteEventLogStorage({ path });
    const schedules = openSqliteScheduleStorage({ path });
    await runs.addRun(makeRun({ runId: 'solo' }));
    await runs.close();
    await events.appendEvents([{ runId: 'solo', type: 'RUN_START', timestamp: 1, message: 's' }]);
    await schedules.recordHeartbeat('d', 1);
    await events.close();
    await schedules.close();
    const all = openSqliteStorages({ path });
    try {
      expect((await all.runs.getRun('solo'))?.runId).toBe('solo');
      expect(await all.events.getEvents({ runId: 'solo' })).toHaveLength(1);
    } finally {
      await all.close();
    }
  });
});
