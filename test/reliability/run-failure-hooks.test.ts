/**
 * Finding 7 of the reliability issue: whatever ended a run that did not succeed (its own process,
 * or another that found the process dead), the definitions' failure hooks run for it, at least
 * once: the flight-delay pipeline's hook ends the tracking runs left RUNNING.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { defineAsset, defineJob, Definitions } from '../../src/index.js';
import type { RunFailureContext } from '../../src/index.js';
import { executeRun } from '../../src/core/execution/run-execution.js';
import { createRun } from '../../src/core/execution/run-launcher.js';
import { ownerTags } from '../../src/core/execution/run-ownership.js';
import { Instance } from '../../src/core/instance/instance.js';

describe('run failure hooks', () => {
  let instance: Instance;
  const clock = manualClock(Date.parse('2026-12-01T00:00:00Z'));

  beforeEach(async () => {
    instance = await Instance.ephemeral({ storage: 'sqlite', clock });
  });

  afterEach(async () => {
    await instance.close();
  });

  function defsWithHook(hook: (ctx: RunFailureContext) => void): Definitions {
    const fails = defineAsset({
      key: 'fails',
      compute: () => {
        throw new Error('boom');
      },
    });
    return new Definitions({
      assets: [fails],
      jobs: [defineJob({ name: 'job', select: 'fails' })],
      runFailureHooks: [hook],
    });
  }

  it('runs once for a run that failed in its own process', async () => {
    const seen: RunFailureContext[] = [];
    const defs = defsWithHook((ctx) => seen.push(ctx));
    const run = await createRun(defs, { instance, jobName: 'job' });
    const done = await executeRun({ defs, runId: run.runId, instance });
    expect(done.status).toBe('FAILURE');
    expect(done.tags['lakeloop/failure_hooks']).toBe('done');
    expect(seen.map((c) => [c.run.runId, c.ownerLost])).toEqual([[run.runId, false]]);
    const daemon = new Daemon({ defs, instance });
    await daemon.tick(clock.now());
    expect(seen).toHaveLength(1); // nothing left pending
  });

  it('runs from the daemon for a run whose process died, and again after the hook failed', async () => {
    const seen: RunFailureContext[] = [];
    let failNext = true;
    const defs = defsWithHook((ctx) => {
      seen.push(ctx);
      if (failNext) {
        failNext = false;
        throw new Error('tracking server down');
      }
    });
    const run = await createRun(defs, { instance, jobName: 'job' });
    const dead = spawnSync(process.execPath, ['-e', '0']);
    await instance.runs.updateRun(run.runId, {
      status: 'STARTED',
      tags: ownerTags({ ...instance.owner, id: 'dead', pid: dead.pid, pidStart: '' }, clock.now()),
    });
    const daemon = new Daemon({ defs, instance, heartbeatIntervalMs: 1_000 });
    await daemon.tick(clock.now());
    expect((await instance.runs.getRun(run.runId))?.tags['lakeloop/failure_hooks']).toBe('pending');
    const warnings = await instance.events.getEvents({ runId: run.runId, types: ['LOG'] });
    expect(warnings.map((e) => e.message)).toEqual([expect.stringMatching(/tracking server down/)]);
    clock.advance(1_000);
    await daemon.tick(clock.now());
    expect(seen.map((c) => c.ownerLost)).toEqual([true, true]);
    expect((await instance.runs.getRun(run.runId))?.tags['lakeloop/failure_hooks']).toBe('done');
  });
});
