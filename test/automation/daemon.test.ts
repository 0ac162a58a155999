/**
 * The daemon: one tick drives sensors, schedules and the queue; heartbeat and health; recovery of
 * runs a dead daemon left in progress (fail / re-execute policies); refusing to start next to a
 * live daemon; a clean stop that leaves no run STARTED.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { ManualClock } from '../../src/clock.js';
import { defineSchedule } from '../../src/core/definitions/schedule-definition.js';
import { Daemon, daemonHealth } from '../../src/core/daemon/daemon.js';
import type { Definitions } from '../../src/core/definitions/definitions.js';
import type { RunRecord } from '../../src/core/events/event-types.js';
import { createRun } from '../../src/core/execution/run-launcher.js';
import { ownerTags } from '../../src/core/execution/run-ownership.js';
import { Instance } from '../../src/core/instance/instance.js';
import { automationDefs, heldRunDefs, onceSensor } from './fixtures/automation-defs.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('Daemon', () => {
  let clock: ManualClock;
  let instance: Instance;

  beforeEach(async () => {
    clock = manualClock(T0);
    instance = await Instance.ephemeral({ clock, storage: 'sqlite' });
  });

  afterEach(async () => {
    await instance.close();
  });

  it('runs sensors, schedules and the queue in one tick', async () => {
    const sensor = onceSensor();
    const schedule = defineSchedule({ name: 'minutely', cron: '* * * * *', job: 'process' });
    const { defs, recorder } = automationDefs({ sensors: [sensor], schedules: [schedule] });
    await using daemon = new Daemon({ defs, instance, daemonId: 'd1' });
    const first = await daemon.tick(clock.now());
    expect(first.sensorTicks.map((t) => t.status)).toEqual(['SUCCESS']);
    const [run] = await instance.runs.listRuns();
    expect(run?.status).not.toBe('QUEUED'); // the queue started it in the same tick
    clock.advance(60_000);
    const second = await daemon.tick(clock.now());
    expect(second.scheduleTicks.map((t) => t.status)).toEqual(['SUCCESS']);
    await daemon.queue.idle();
    expect(recorder.runs.map((t) => t['lakeloop/sensor'] ?? t['lakeloop/schedule'])).toEqual([
      'once',
      'minutely',
    ]);
  });

  it('stores heartbeats; health turns unhealthy after two intervals without one', async () => {
    const { defs } = automationDefs();
    const daemon = new Daemon({ defs, instance, daemonId: 'd1', heartbeatIntervalMs: 1_000 });
    expect((await daemonHealth({ instance, heartbeatIntervalMs: 1_000 })).healthy).toBe(false);
    await daemon.tick(clock.now());
    clock.advance(500);
    await daemon.tick(clock.now()); // not due: no new heartbeat
    expect((await instance.schedules.latestHeartbeat())?.timestamp).toBe(T0);
    clock.advance(1_500);
    expect(await daemonHealth({ instance, heartbeatIntervalMs: 1_000 })).toMatchObject({
      healthy: true,
      daemonId: 'd1',
      ageMs: 2_000,
    });
    clock.advance(1);
    const health = await daemonHealth({ instance, heartbeatIntervalMs: 1_000 });
    expect(health.healthy).toBe(false);
    expect(health.reason).toMatch(/No heartbeat for 2.0 s/);
    await daemon.tick(clock.now());
    expect((await daemonHealth({ instance, heartbeatIntervalMs: 1_000 })).healthy).toBe(true);
  });

  it('refuses to start next to a live daemon, and starts once its heartbeat is stale', async () => {
    const { defs } = automationDefs();
    await instance.schedules.recordHeartbeat('other', clock.now());
    const daemon = new Daemon({ defs, instance, tickIntervalMs: 3_600_000 });
    await expect(daemon.start()).rejects.toThrow(/Another daemon \(other\) is running/);
    clock.advance(10_001);
    const later = new Daemon({ defs, instance, tickIntervalMs: 3_600_000 });
    await later.start();
    await later.stop();
    expect((await daemonHealth({ instance })).healthy).toBe(false);
  });

  /** A run STARTED by a process that has exited (its pid is a real, finished child's). */
  async function runOfDeadProcess(defs: Definitions, tags: Record<string, string> = {}): Promise<RunRecord> {
    const run = await createRun(defs, { instance, jobName: 'process', tags });
    const dead = spawnSync(process.execPath, ['-e', '0']);
    const owner = { ...instance.owner, id: 'dead-owner', pid: dead.pid, pidStart: '' };
    await instance.runs.updateRun(run.runId, {
      status: 'STARTED',
      startedAt: T0,
      tags: ownerTags(owner, clock.now()),
    });
    return run;
  }

  it('marks runs whose owner process died FAILURE with the reason, and leaves live owners alone', async () => {
    const { defs } = automationDefs();
    const orphan = await runOfDeadProcess(defs, { 'lakeloop/daemon_id': 'dead' });
    // A run a live process executes (here: another instance of this process).
    const live = await createRun(defs, { instance, jobName: 'process' });
    const other = { ...instance.owner, id: 'live-owner' };
    await instance.runs.updateRun(live.runId, {
      status: 'STARTED',
      startedAt: T0,
      tags: ownerTags(other, clock.now()),
    });
    const daemon = new Daemon({ defs, instance, daemonId: 'alive' });
    const marked = await daemon.recoverOrphanedRuns();
    expect(marked.map((r) => r.runId)).toEqual([orphan.runId]);
    const run = await instance.runs.getRun(orphan.runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.error?.message).toMatch(/was STARTED, but its process pid \d+ on \S+ exited; marked FAILURE/);
    expect(run?.tags['lakeloop/owner_lost']).toBe('process_exited');
    const events = await instance.events.getEvents({ runId: orphan.runId, types: ['RUN_FAILURE'] });
    expect(events).toHaveLength(1);
    expect((await instance.runs.getRun(live.runId))?.status).toBe('STARTED');
    expect(await daemon.recoverOrphanedRuns()).toEqual([]);
  });

  it('takes an owner on another host for dead only once its lease expired', async () => {
    const { defs } = automationDefs();
    const run = await createRun(defs, { instance, jobName: 'process' });
    const remote = { id: 'remote', host: 'elsewhere.invalid', pid: 1, pidStart: '' };
    await instance.runs.updateRun(run.runId, { status: 'STARTED', tags: ownerTags(remote, clock.now()) });
    const daemon = new Daemon({ defs, instance });
    clock.advance(instance.runLeaseMs);
    expect(await daemon.recoverOrphanedRuns()).toEqual([]);
    clock.advance(1);
    const [ended] = await daemon.recoverOrphanedRuns();
    expect(ended?.status).toBe('FAILURE');
    expect(ended?.tags['lakeloop/owner_lost']).toBe('lease_expired');
  });

  it('re-executes runs of dead owners by policy, once, even when asked again', async () => {
    const { defs, recorder } = automationDefs();
    const orphan = await runOfDeadProcess(defs, {
      'lakeloop/daemon_id': 'dead',
      'lakeloop/data_commit': 'abc',
    });
    const daemon = new Daemon({ defs, instance, orphanedRunPolicy: 'reexecute' });
    await daemon.recoverOrphanedRuns();
    await daemon.recoverOrphanedRuns(); // a second pass (or a restarted daemon) queues nothing more
    await daemon.queue.tick();
    await daemon.queue.idle();
    const reruns = (await instance.runs.listRuns()).filter((r) => r.parentRunId === orphan.runId);
    expect(reruns.map((r) => r.status)).toEqual(['SUCCESS']);
    expect(reruns[0]?.tags['lakeloop/data_commit']).toBe('abc');
    expect(reruns[0]?.tags['lakeloop/retry_number']).toBe('1');
    expect(recorder.runs).toHaveLength(1);
  });

  it('stops cleanly: the runs it executes are canceled, none is left STARTED', async () => {
    const { defs, started } = heldRunDefs('cancellable');
    const daemon = new Daemon({ defs, instance, tickIntervalMs: 3_600_000 });
    await daemon.start();
    await started.promise;
    const [running] = await instance.runs.listRuns();
    expect(running?.status).toBe('STARTED');
    await daemon.stop();
    expect((await instance.runs.getRun(running?.runId ?? ''))?.status).toBe('CANCELED');
  });

  it('marks runs that ignore cancellation FAILURE after the grace period', async () => {
    const { defs, started, release } = heldRunDefs('stubborn');
    const daemon = new Daemon({ defs, instance, tickIntervalMs: 3_600_000, shutdownGraceMs: 50 });
    await daemon.start();
    await started.promise;
    await daemon.stop();
    const [run] = await instance.runs.listRuns();
    expect(run?.status).toBe('FAILURE');
    expect(run?.error?.message).toMatch(/did not stop within 50 ms/);
    release.open();
  });
});
