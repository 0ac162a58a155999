/**
 * Findings 2, 3, 4 and 6 of the reliability issue: runs of dead processes end instead of stalling
 * the queue, a cancel of such a run ends it at once, status writes are compare-and-set (a run
 * another process ended keeps that end and its steps stop), a final status that cannot be written
 * is retried and later recovered, and a sensor's runs execute one at a time, in order.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { ManualClock } from '../../src/clock.js';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { DAEMON_ID_TAG } from '../../src/core/daemon/run-queue.js';
import type { Definitions } from '../../src/core/definitions/definitions.js';
import type { RunRecord } from '../../src/core/events/event-types.js';
import { endRunsOfDeadOwners } from '../../src/core/execution/dead-run-recovery.js';
import { executeRun } from '../../src/core/execution/run-execution.js';
import { cancelRun, createRun } from '../../src/core/execution/run-launcher.js';
import { ownerTags } from '../../src/core/execution/run-ownership.js';
import { deleteRun, markRunFailed } from '../../src/core/execution/run-admin.js';
import { Instance } from '../../src/core/instance/instance.js';
import { LakeloopError } from '../../src/errors.js';
import { openSqliteStorages } from '../../src/core/storage/sqlite/sqlite-storages.js';
import type { RunStorage } from '../../src/core/storage/storage-types.js';
import { automationDefs, gate } from '../automation/fixtures/automation-defs.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');

/** Real run storage whose writes of a final status fail while `full` is set (a full disk). */
function fillableRuns(runs: RunStorage): { runs: RunStorage; state: { full: boolean; refused: number } } {
  const state = { full: false, refused: 0 };
  const updateRun: RunStorage['updateRun'] = (runId, update, expected) => {
    const final = update.status === 'SUCCESS' || update.status === 'FAILURE' || update.status === 'CANCELED';
    if (state.full && final) {
      state.refused++;
      return Promise.reject(
        new LakeloopError(
          'UNAVAILABLE',
          'Cannot use the run storage: database or disk is full (SQLITE_FULL).',
        ),
      );
    }
    return runs.updateRun(runId, update, expected);
  };
  const wrapped = new Proxy(runs, {
    get(target, property) {
      if (property === 'updateRun') return updateRun;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { runs: wrapped, state };
}

describe('run ownership', () => {
  let home: string;
  let clock: ManualClock;
  let instance: Instance;
  let disk: { full: boolean; refused: number };
  let sleeps: number[];

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-ownership-'));
    clock = manualClock(T0);
    const storages = openSqliteStorages({ path: join(home, 'lakeloop.db'), clock });
    const fillable = fillableRuns(storages.runs);
    disk = fillable.state;
    sleeps = [];
    instance = await Instance.open({
      home,
      clock,
      storages: { ...storages, runs: fillable.runs, close: () => storages.close() },
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
  });

  afterEach(async () => {
    await instance.close();
    rmSync(home, { recursive: true, force: true });
  });

  /** A run STARTED by a process that has exited (the pid of a real, finished child). */
  async function runOfDeadProcess(defs: Definitions, tags: Record<string, string> = {}): Promise<RunRecord> {
    const run = await createRun(defs, { instance, jobName: 'process', tags });
    const dead = spawnSync(process.execPath, ['-e', '0']);
    const owner = { ...instance.owner, id: `dead-${run.runId}`, pid: dead.pid, pidStart: '' };
    await instance.runs.updateRun(run.runId, { status: 'STARTED', tags: ownerTags(owner, clock.now()) });
    return run;
  }

  it('does not let runs of dead processes hold the queue', async () => {
    const { defs, recorder } = automationDefs();
    for (let i = 0; i < 4; i++) await runOfDeadProcess(defs);
    const queued = await createRun(defs, { instance, jobName: 'process', status: 'QUEUED' });
    const daemon = new Daemon({ defs, instance, maxConcurrentRuns: 4 });
    expect(await daemon.tick(clock.now())).toMatchObject({ startedRunIds: [queued.runId] });
    await daemon.queue.idle();
    expect((await instance.runs.getRun(queued.runId))?.status).toBe('SUCCESS');
    expect(recorder.runs).toHaveLength(1);
    const failed = await instance.runs.listRuns({ statuses: ['FAILURE'] });
    expect(failed).toHaveLength(4);
  });

  it('ends SUCCESS a run whose process died after every step succeeded, and re-executes nothing', async () => {
    const { defs } = automationDefs();
    const orphan = await runOfDeadProcess(defs, { [DAEMON_ID_TAG]: 'a-daemon' });
    // What the killed process had written: the step's success, not the run's end.
    await instance.events.appendEvents([
      {
        runId: orphan.runId,
        type: 'STEP_SUCCESS',
        stepKey: 'processed',
        timestamp: clock.now(),
        message: 'ok',
      },
    ]);
    const daemon = new Daemon({ defs, instance, orphanedRunPolicy: 'reexecute' });
    const ended = await daemon.recoverOrphanedRuns();
    expect(ended.map((run) => run.status)).toEqual(['SUCCESS']);
    const events = await instance.events.getEvents({
      runId: orphan.runId,
      types: ['RUN_SUCCESS', 'RUN_FAILURE'],
    });
    expect(events.map((e) => e.type)).toEqual(['RUN_SUCCESS']);
    await daemon.recoverOrphanedRuns(); // a later heartbeat: still nothing to re-execute
    expect(await instance.runs.listRuns({})).toHaveLength(1);
  });

  it('ends a canceled run at once when no live process executes it', async () => {
    const { defs } = automationDefs();
    const orphan = await runOfDeadProcess(defs);
    const canceled = await cancelRun(instance, orphan.runId);
    expect(canceled.status).toBe('CANCELED');
    expect(canceled.error?.message).toMatch(/its process pid \d+ on \S+ exited/);
    const events = await instance.events.getEvents({ runId: orphan.runId, types: ['RUN_CANCELED'] });
    expect(events).toHaveLength(1);
  });

  it('keeps the end another process wrote, and stops the steps of a run taken over', async () => {
    const release = gate();
    const { defs, recorder } = automationDefs({ recorder: { runs: [], gate: release } });
    const started = gate();
    recorder.onStart = () => {
      started.open();
    };
    const run = await createRun(defs, { instance, jobName: 'process' });
    const execution = executeRun({ defs, runId: run.runId, instance, cancelPollMs: 5 });
    await started.promise;
    // What `daemon --force` beside this process did: it took the run for dead and failed it.
    expect(
      await instance.runs.updateRun(run.runId, { status: 'FAILURE', endedAt: clock.now() }, 'STARTED'),
    ).toBe(true);
    const final = await execution; // the step saw ctx.signal abort: it did not need the gate
    expect(final.status).toBe('FAILURE');
    const types = (await instance.events.getEvents({ runId: run.runId })).map((e) => e.type);
    expect(types).not.toContain('RUN_SUCCESS');
    expect(types).not.toContain('RUN_CANCELED');
    expect(types).not.toContain('ASSET_MATERIALIZATION');
  });

  it('retries a final status the disk refused, and ends the run once space returns', async () => {
    const { defs } = automationDefs();
    const first = await createRun(defs, { instance, jobName: 'process' });
    disk.full = true;
    const refusedTwice = { count: 0 };
    const original = instance.sleep;
    // Space returns after two backoffs.
    Object.assign(instance, {
      sleep: (ms: number) => {
        if (++refusedTwice.count === 2) disk.full = false;
        return original(ms);
      },
    });
    const done = await executeRun({ defs, runId: first.runId, instance });
    expect(done.status).toBe('SUCCESS');
    expect(disk.refused).toBe(2);
    expect(sleeps).toEqual([100, 200]);
    Object.assign(instance, { sleep: original });

    // The disk stays full: the run cannot be ended by its process ...
    const second = await createRun(defs, { instance, jobName: 'process' });
    disk.full = true;
    await expect(executeRun({ defs, runId: second.runId, instance })).rejects.toThrow(
      /finished SUCCESS, but its status could not be stored after 6 attempts/,
    );
    expect((await instance.runs.getRun(second.runId))?.status).toBe('STARTED');
    // ... and once space returns, any pass of recovery (daemon, runs list, the next open) ends it:
    // SUCCESS, as its process had decided, since every step's success was recorded.
    disk.full = false;
    const [ended] = await endRunsOfDeadOwners({ instance });
    expect(ended?.run.status).toBe('SUCCESS');
    expect(ended?.run.tags['lakeloop/owner_lost']).toBe('not_executing');
    expect(await instance.runs.listRuns({ statuses: ['STARTED', 'STARTING', 'CANCELING'] })).toEqual([]);
  });

  it('marks failed or deletes a run by hand, refusing one whose process is alive', async () => {
    const { defs } = automationDefs();
    const live = await createRun(defs, { instance, jobName: 'process' });
    await instance.runs.updateRun(live.runId, {
      status: 'STARTED',
      tags: ownerTags({ ...instance.owner, id: 'another-live-instance' }, clock.now()),
    });
    await expect(markRunFailed({ instance, runId: live.runId })).rejects.toThrow(/its process .* is alive/);
    await expect(deleteRun({ instance, runId: live.runId })).rejects.toThrow(/pass --force/);
    const marked = await markRunFailed({ instance, runId: live.runId, reason: 'host gone', force: true });
    expect(marked.status).toBe('FAILURE');
    expect(marked.error?.message).toMatch(/marked failed by hand \(host gone\)/);

    await deleteRun({ instance, runId: live.runId });
    expect(await instance.runs.getRun(live.runId)).toBeUndefined();
    expect(await instance.events.getEvents({ runId: live.runId })).toEqual([]);
  });

  it("executes a sensor's runs one at a time, oldest first, by default", async () => {
    const release = gate();
    const { defs, recorder } = automationDefs({ recorder: { runs: [], gate: release } });
    const tags = (commit: string): Record<string, string> => ({
      'lakeloop/sensor': 'new_data',
      'lakeloop/data_commit': commit,
    });
    const jan = await createRun(defs, { instance, jobName: 'process', status: 'QUEUED', tags: tags('jan') });
    const feb = await createRun(defs, { instance, jobName: 'process', status: 'QUEUED', tags: tags('feb') });
    const daemon = new Daemon({ defs, instance }); // default maxConcurrentRuns: 4
    expect((await daemon.tick(clock.now())).startedRunIds).toEqual([jan.runId]);
    expect((await daemon.tick(clock.now())).startedRunIds).toEqual([]);
    release.open();
    await daemon.queue.idle();
    expect(recorder.runs.map((t) => t['lakeloop/data_commit'])).toEqual(['jan', 'feb']);
    expect((await instance.runs.getRun(feb.runId))?.status).toBe('SUCCESS');
  });
});
