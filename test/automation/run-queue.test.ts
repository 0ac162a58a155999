/**
 * The run queue: max concurrent runs, tag concurrency limits (per value and per unique value),
 * priority, and FIFO order, with runs held STARTED by a gate the test opens.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { createRun } from '../../src/core/execution/run-launcher.js';
import { RunQueue } from '../../src/core/daemon/run-queue.js';
import { Instance } from '../../src/core/instance/instance.js';
import { automationDefs, gate } from './fixtures/automation-defs.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('RunQueue', () => {
  let instance: Instance;

  beforeEach(async () => {
    const clock = manualClock(T0);
    let n = 0;
    instance = await Instance.ephemeral({
      clock,
      ids: () => `run-${String(++n).padStart(3, '0')}`,
      storage: 'sqlite',
    });
  });

  afterEach(async () => {
    await instance.close();
  });

  async function enqueue(
    defs: ReturnType<typeof automationDefs>['defs'],
    tags: Record<string, string>,
  ): Promise<string> {
    const run = await createRun(defs, { instance, jobName: 'process', tags, status: 'QUEUED' });
    return run.runId;
  }

  it('starts at most maxConcurrentRuns, highest priority first, then oldest first', async () => {
    const hold = gate();
    const { defs, recorder } = automationDefs({ recorder: { runs: [], gate: hold } });
    const low = await enqueue(defs, { name: 'low' });
    const high = await enqueue(defs, { name: 'high', 'lakeloop/priority': '10' });
    const mid = await enqueue(defs, { name: 'mid', 'lakeloop/priority': '5' });
    const low2 = await enqueue(defs, { name: 'low2' });
    const queue = new RunQueue({ defs, instance, daemonId: 'd1', maxConcurrentRuns: 2 });
    expect(await queue.tick()).toEqual([high, mid]);
    expect(await queue.tick()).toEqual([]);
    expect((await instance.runs.getRun(low))?.status).toBe('QUEUED');
    hold.open();
    await queue.idle();
    expect(recorder.runs.map((tags) => tags.name)).toEqual(['high', 'mid', 'low', 'low2']);
    for (const runId of [low, high, mid, low2]) {
      const run = await instance.runs.getRun(runId);
      expect(run?.status).toBe('SUCCESS');
      expect(run?.tags['lakeloop/daemon_id']).toBe('d1');
    }
  });

  it('applies tag concurrency limits without blocking runs behind a limited one', async () => {
    const hold = gate();
    const { defs } = automationDefs({ recorder: { runs: [], gate: hold } });
    const a1 = await enqueue(defs, { team: 'a' });
    const a2 = await enqueue(defs, { team: 'a' });
    const b1 = await enqueue(defs, { team: 'b' });
    const gpu1 = await enqueue(defs, { gpu: 'yes' });
    const gpu2 = await enqueue(defs, { gpu: 'yes' });
    const queue = new RunQueue({
      defs,
      instance,
      daemonId: 'd1',
      maxConcurrentRuns: 10,
      tagConcurrencyLimits: [
        { key: 'team', perUniqueValue: true, limit: 1 },
        { key: 'gpu', value: 'yes', limit: 1 },
      ],
    });
    expect(await queue.tick()).toEqual([a1, b1, gpu1]);
    expect((await instance.runs.getRun(a2))?.status).toBe('QUEUED');
    expect((await instance.runs.getRun(gpu2))?.status).toBe('QUEUED');
    hold.open();
    await queue.idle();
    expect((await instance.runs.listRuns()).every((r) => r.status === 'SUCCESS')).toBe(true);
  });

  it('counts runs in progress elsewhere against the limits', async () => {
    const { defs } = automationDefs();
    const other = await createRun(defs, { instance, jobName: 'process' });
    await instance.runs.updateRun(other.runId, { status: 'STARTED', startedAt: T0 });
    await enqueue(defs, {});
    const queue = new RunQueue({ defs, instance, daemonId: 'd1', maxConcurrentRuns: 1 });
    expect(await queue.tick()).toEqual([]);
    await instance.runs.updateRun(other.runId, { status: 'SUCCESS', endedAt: T0 });
    expect(await queue.tick()).toHaveLength(1);
    await queue.idle();
  });

  it('validates its limits', () => {
    const { defs } = automationDefs();
    expect(() => new RunQueue({ defs, instance, daemonId: 'd', maxConcurrentRuns: 0 })).toThrow(
      /maxConcurrentRuns/,
    );
  });
});
