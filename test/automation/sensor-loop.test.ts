/**
 * The sensor loop against real storages (memory and SQLite): ticks, cursors, run-key dedupe across
 * cursor resets and restarts, intervals, isolation of failing or hanging sensors, stop/start.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { ManualClock } from '../../src/clock.js';
import { defineSensor } from '../../src/core/definitions/sensor-definition.js';
import type { SensorEvaluationContext } from '../../src/core/definitions/sensor-definition.js';
import { SensorLoop } from '../../src/core/daemon/sensor-loop.js';
import {
  resetSensorCursor,
  setInstigatorStatus,
  listInstigators,
} from '../../src/core/daemon/instigator-control.js';
import { Instance } from '../../src/core/instance/instance.js';
import { automationDefs } from './fixtures/automation-defs.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

/** A sensor that requests one run per item of `items` after the cursor (an index). */
function listSensor(name: string, items: string[], interval = 10) {
  return defineSensor({
    name,
    job: 'process',
    minimumIntervalSeconds: interval,
    evaluate: (ctx: SensorEvaluationContext) => {
      const from = ctx.cursor === undefined ? 0 : Number(ctx.cursor);
      const fresh = items.slice(from);
      if (fresh.length === 0) return { skipReason: 'nothing new' };
      return {
        runRequests: fresh.map((item) => ({ runKey: item, tags: { item } })),
        cursor: String(items.length),
      };
    },
  });
}

describe.each(['memory', 'sqlite'] as const)('SensorLoop (%s storage)', (storage) => {
  let clock: ManualClock;
  let instance: Instance;

  beforeEach(async () => {
    clock = manualClock(T0);
    instance = await Instance.ephemeral({ clock, storage });
  });

  afterEach(async () => {
    await instance.close();
  });

  it('runs a sensor declared in code by default, queues its runs, stores ticks and the cursor', async () => {
    const { defs } = automationDefs({ sensors: [listSensor('items', ['a', 'b'])] });
    const loop = new SensorLoop({ defs, instance });
    const [tick] = await loop.tick(clock.now());
    expect(tick?.status).toBe('SUCCESS');
    expect(tick?.runKeys).toEqual(['a', 'b']);
    const runs = await instance.runs.listRuns({ order: 'OLDEST_FIRST' });
    expect(
      runs.map((r) => [
        r.status,
        r.jobName,
        r.tags.item,
        r.tags['lakeloop/sensor'],
        r.tags['lakeloop/run_key'],
      ]),
    ).toEqual([
      ['QUEUED', 'process', 'a', 'items', 'a'],
      ['QUEUED', 'process', 'b', 'items', 'b'],
    ]);
    expect(tick?.runIds).toEqual(runs.map((r) => r.runId));
    const state = await instance.schedules.getInstigatorState('items');
    expect(state?.cursor).toBe('2');
    expect(state?.lastTickAt).toBe(T0);
    const ticks = await instance.schedules.listTicks('items');
    expect(ticks).toHaveLength(1);
    expect(ticks[0]?.status).toBe('SUCCESS');
    expect(ticks[0]?.cursor).toBe('2');
  });

  it('never launches a run key twice: not after a cursor reset, not after a restart', async () => {
    const items = ['a', 'b'];
    const { defs } = automationDefs({ sensors: [listSensor('items', items, 0)] });
    await new SensorLoop({ defs, instance }).tick(clock.now());
    await resetSensorCursor({ defs, instance, name: 'items' });
    expect((await instance.schedules.getInstigatorState('items'))?.cursor).toBeUndefined();
    items.push('c');
    clock.advance(1_000);
    const restarted = new SensorLoop({ defs, instance });
    const [tick] = await restarted.tick(clock.now());
    expect(tick?.runKeys).toEqual(['a', 'b', 'c']);
    expect(tick?.runIds).toHaveLength(1);
    const runs = await instance.runs.listRuns();
    expect(runs.map((r) => r.tags.item).sort()).toEqual(['a', 'b', 'c']);
    clock.advance(1_000);
    await resetSensorCursor({ defs, instance, name: 'items' });
    const [again] = await restarted.tick(clock.now());
    expect(again?.status).toBe('SKIPPED');
    expect(again?.skipReason).toMatch(/already launched/);
    expect(await instance.runs.listRuns()).toHaveLength(3);
  });

  it('creates the run of a key claimed by a process that died before creating it', async () => {
    const { defs } = automationDefs({ sensors: [listSensor('items', ['a'])] });
    expect(await instance.schedules.claimRunKey('items', 'a', 'claimed-run-id')).toBe(true);
    const [tick] = await new SensorLoop({ defs, instance }).tick(clock.now());
    expect(tick?.runIds).toEqual(['claimed-run-id']);
    expect((await instance.runs.getRun('claimed-run-id'))?.tags.item).toBe('a');
  });

  it('respects the minimum interval, and evaluate() ignores it', async () => {
    let calls = 0;
    const sensor = defineSensor({
      name: 'counting',
      job: 'process',
      minimumIntervalSeconds: 30,
      evaluate: () => {
        calls++;
        return { skipReason: 'nothing' };
      },
    });
    const { defs } = automationDefs({ sensors: [sensor] });
    const loop = new SensorLoop({ defs, instance });
    await loop.tick(clock.now());
    clock.advance(29_999);
    expect(await loop.tick(clock.now())).toEqual([]);
    expect(calls).toBe(1);
    clock.advance(1);
    expect(await loop.tick(clock.now())).toHaveLength(1);
    expect(calls).toBe(2);
    await loop.evaluate('counting');
    expect(calls).toBe(3);
  });

  it('counts the repeated SKIPPED evaluations of an idle sensor in one tick, and starts a new one on change', async () => {
    const items: string[] = [];
    const { defs } = automationDefs({ sensors: [listSensor('idle_items', items, 1)] });
    const seen: (number | undefined)[] = [];
    const loop = new SensorLoop({ defs, instance, onTick: (t) => seen.push(t.count) });
    for (let i = 0; i < 50; i++) {
      await loop.tick(clock.now());
      clock.advance(1_000);
    }
    const idle = await instance.schedules.listTicks('idle_items');
    expect(idle).toHaveLength(1);
    expect(idle[0]).toMatchObject({ status: 'SKIPPED', skipReason: 'nothing new', count: 50 });
    expect(idle[0]?.timestamp).toBe(T0);
    expect(idle[0]?.lastTimestamp).toBe(T0 + 49_000);
    expect(seen.at(-1)).toBe(50);
    const rows = await listInstigators({ defs, instance });
    expect(rows[0]?.lastTick).toMatchObject({ count: 50, lastTimestamp: T0 + 49_000 });

    items.push('a');
    await loop.tick(clock.now()); // SUCCESS: a tick of its own
    clock.advance(1_000);
    await loop.tick(clock.now()); // idle again, with the new cursor: a new SKIPPED tick
    clock.advance(1_000);
    await loop.tick(clock.now());
    const ticks = await instance.schedules.listTicks('idle_items');
    expect(ticks.map((t) => [t.status, t.count ?? 1, t.cursor])).toEqual([
      ['SKIPPED', 2, '1'],
      ['SUCCESS', 1, '1'],
      ['SKIPPED', 50, undefined],
    ]);
  });

  it('isolates a failing sensor: its tick fails, its cursor stays, others go on, the next interval retries', async () => {
    let fail = true;
    const flaky = defineSensor({
      name: 'flaky',
      job: 'process',
      minimumIntervalSeconds: 5,
      evaluate: (ctx) => {
        if (fail) throw new Error('source unreachable');
        return { runRequests: [{ runKey: 'x' }], cursor: `after-${ctx.cursor ?? 'start'}` };
      },
    });
    const { defs } = automationDefs({ sensors: [flaky, listSensor('items', ['a'])] });
    await instance.schedules.setInstigatorState({
      name: 'flaky',
      type: 'SENSOR',
      cursor: 'c1',
      updatedAt: T0,
    });
    const loop = new SensorLoop({ defs, instance });
    const ticks = await loop.tick(clock.now());
    const byName = new Map(ticks.map((t) => [t.instigatorName, t]));
    expect(byName.get('flaky')?.status).toBe('FAILURE');
    expect(byName.get('flaky')?.error).toContain('source unreachable');
    expect(byName.get('items')?.status).toBe('SUCCESS');
    expect((await instance.schedules.getInstigatorState('flaky'))?.cursor).toBe('c1');
    fail = false;
    clock.advance(5_000);
    const [retry] = await loop.tick(clock.now());
    expect(retry?.instigatorName).toBe('flaky');
    expect(retry?.status).toBe('SUCCESS');
    expect((await instance.schedules.getInstigatorState('flaky'))?.cursor).toBe('after-c1');
  });

  it('fails the tick of an evaluation that exceeds the timeout', async () => {
    let sawAbort = false;
    const hanging = defineSensor({
      name: 'hanging',
      job: 'process',
      evaluate: (ctx) =>
        new Promise(() => {
          ctx.signal.addEventListener('abort', () => {
            sawAbort = true;
          });
        }),
    });
    const { defs } = automationDefs({ sensors: [hanging, listSensor('items', ['a'])] });
    const loop = new SensorLoop({ defs, instance, evaluationTimeoutMs: 20 });
    const ticks = await loop.tick(clock.now());
    const tick = ticks.find((t) => t.instigatorName === 'hanging');
    expect(tick?.status).toBe('FAILURE');
    expect(tick?.error).toMatch(/longer than 20 ms/);
    expect(sawAbort).toBe(true);
    expect(ticks.find((t) => t.instigatorName === 'items')?.status).toBe('SUCCESS');
  });

  it('does not evaluate a stopped sensor until it is started again', async () => {
    const { defs } = automationDefs({ sensors: [listSensor('items', ['a'], 0)] });
    await setInstigatorStatus({ defs, instance, name: 'items', status: 'STOPPED' });
    const loop = new SensorLoop({ defs, instance });
    expect(await loop.tick(clock.now())).toEqual([]);
    expect(await instance.runs.listRuns()).toEqual([]);
    const [summary] = await listInstigators({ defs, instance });
    expect(summary?.status).toBe('STOPPED');
    expect(summary?.defaultStatus).toBe(false);
    await setInstigatorStatus({ defs, instance, name: 'items', status: 'RUNNING' });
    expect(await loop.tick(clock.now())).toHaveLength(1);
    expect(await instance.runs.listRuns()).toHaveLength(1);
  });

  it('queues one more evaluation when asked during an evaluation, never overlapping', async () => {
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    let release!: () => void;
    const first = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = defineSensor({
      name: 'slow',
      job: 'process',
      evaluate: async () => {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        if (calls === 1) await first;
        active--;
        return { skipReason: 'nothing' };
      },
    });
    const { defs } = automationDefs({ sensors: [slow] });
    const loop = new SensorLoop({ defs, instance });
    const a = loop.evaluate('slow');
    const b = loop.evaluate('slow');
    const c = loop.evaluate('slow');
    release();
    await Promise.all([a, b, c]);
    await loop.idle();
    expect(calls).toBe(2);
    expect(maxActive).toBe(1);
  });

  it('rejects unknown sensors and sensors of unknown jobs', () => {
    const { defs } = automationDefs({ sensors: [listSensor('items', [])] });
    const loop = new SensorLoop({ defs, instance });
    expect(() => loop.evaluate('nope')).toThrow(/Unknown sensor "nope"; sensors: items/);
    const orphan = defineSensor({ name: 'orphan', job: 'missing_job', evaluate: () => undefined });
    const bad = automationDefs({ sensors: [orphan] });
    expect(() => new SensorLoop({ defs: bad.defs, instance })).toThrow(/Unknown job "missing_job"/);
  });
});
