/**
 * Schedules: cron ticks driven by a manual clock, run key = scheduled time, missed ticks reported
 * with at most one caught up, time zones, invalid definitions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { ManualClock } from '../../src/clock.js';
import {
  defineSchedule,
  nextScheduledTime,
  scheduledTimesBetween,
} from '../../src/core/definitions/schedule-definition.js';
import { ScheduleLoop } from '../../src/core/daemon/schedule-loop.js';
import { setInstigatorStatus } from '../../src/core/daemon/instigator-control.js';
import { Instance } from '../../src/core/instance/instance.js';
import { automationDefs } from './fixtures/automation-defs.js';

const T0 = Date.parse('2026-03-01T00:01:00Z');
const MIN = 60_000;

describe('ScheduleLoop', () => {
  let clock: ManualClock;
  let instance: Instance;

  beforeEach(async () => {
    clock = manualClock(T0);
    instance = await Instance.ephemeral({ clock });
  });

  afterEach(async () => {
    await instance.close();
  });

  it('launches one run per due tick, keyed by the scheduled time', async () => {
    const every5 = defineSchedule({
      name: 'every5',
      cron: '*/5 * * * *',
      job: 'process',
      tags: { team: 'ml' },
    });
    const { defs } = automationDefs({ schedules: [every5] });
    const loop = new ScheduleLoop({ defs, instance });
    expect(await loop.tick(clock.now())).toEqual([]); // first sight: counts from now
    clock.advance(3 * MIN); // 00:04
    expect(await loop.tick(clock.now())).toEqual([]);
    clock.advance(1 * MIN); // 00:05
    const [tick] = await loop.tick(clock.now());
    expect(tick?.status).toBe('SUCCESS');
    expect(tick?.runKeys).toEqual(['2026-03-01T00:05:00.000Z']);
    const [run] = await instance.runs.listRuns();
    expect(run?.status).toBe('QUEUED');
    expect(run?.tags).toMatchObject({
      team: 'ml',
      'lakeloop/schedule': 'every5',
      'lakeloop/scheduled_time': '2026-03-01T00:05:00.000Z',
    });
    clock.advance(30_000);
    expect(await loop.tick(clock.now())).toEqual([]);
    expect(await instance.runs.listRuns()).toHaveLength(1);
  });

  it('reports ticks missed while the daemon was down and catches up only the latest', async () => {
    const every5 = defineSchedule({ name: 'every5', cron: '*/5 * * * *', job: 'process' });
    const { defs } = automationDefs({ schedules: [every5] });
    await new ScheduleLoop({ defs, instance }).tick(clock.now());
    clock.advance(61 * MIN); // down from 00:01 to 01:02: 00:05 ... 01:00 due (12 ticks)
    const restarted = new ScheduleLoop({ defs, instance });
    const ticks = await restarted.tick(clock.now());
    expect(ticks.map((t) => t.status)).toEqual(['SKIPPED', 'SUCCESS']);
    expect(ticks[0]?.skipReason).toMatch(
      /Missed 11 scheduled tick\(s\) from 2026-03-01T00:05:00.000Z to 2026-03-01T00:55:00.000Z/,
    );
    expect(ticks[1]?.runKeys).toEqual(['2026-03-01T01:00:00.000Z']);
    expect(await instance.runs.listRuns()).toHaveLength(1);
    const stored = await instance.schedules.listTicks('every5');
    expect(stored).toHaveLength(2);
  });

  it('does not launch a scheduled time twice (a second daemon pass over the same time)', async () => {
    const every5 = defineSchedule({ name: 'every5', cron: '*/5 * * * *', job: 'process' });
    const { defs } = automationDefs({ schedules: [every5] });
    await new ScheduleLoop({ defs, instance }).tick(clock.now());
    const before = await instance.schedules.getInstigatorState('every5');
    clock.advance(4 * MIN);
    await new ScheduleLoop({ defs, instance }).tick(clock.now());
    // Simulate a crash after the run was queued but before the state was saved.
    if (before !== undefined) await instance.schedules.setInstigatorState(before);
    const [tick] = await new ScheduleLoop({ defs, instance }).tick(clock.now());
    expect(tick?.status).toBe('SKIPPED');
    expect(tick?.skipReason).toMatch(/already launched/);
    expect(await instance.runs.listRuns()).toHaveLength(1);
  });

  it('does not catch up ticks that passed while the schedule was stopped', async () => {
    const every5 = defineSchedule({ name: 'every5', cron: '*/5 * * * *', job: 'process' });
    const { defs } = automationDefs({ schedules: [every5] });
    const loop = new ScheduleLoop({ defs, instance });
    await loop.tick(clock.now());
    await setInstigatorStatus({ defs, instance, name: 'every5', status: 'STOPPED' });
    clock.advance(30 * MIN);
    expect(await loop.tick(clock.now())).toEqual([]);
    await setInstigatorStatus({ defs, instance, name: 'every5', status: 'RUNNING' });
    expect(await loop.tick(clock.now())).toEqual([]);
    clock.advance(5 * MIN);
    expect((await loop.tick(clock.now())).map((t) => t.status)).toEqual(['SUCCESS']);
  });

  it('computes times in the schedule time zone', () => {
    const paris = defineSchedule({
      name: 'paris',
      cron: '0 2 * * *',
      timezone: 'Europe/Paris',
      job: 'process',
    });
    // 02:00 in Paris on 1 March 2026 (UTC+1) is 01:00 UTC.
    expect(new Date(nextScheduledTime(paris, T0) ?? 0).toISOString()).toBe('2026-03-01T01:00:00.000Z');
    const utc = defineSchedule({ name: 'utc', cron: '0 2 * * *', job: 'process' });
    expect(new Date(nextScheduledTime(utc, T0) ?? 0).toISOString()).toBe('2026-03-01T02:00:00.000Z');
    const { times, truncated } = scheduledTimesBetween(utc, {
      after: T0,
      until: T0 + 3 * 86_400_000,
      limit: 2,
    });
    expect(times).toHaveLength(2);
    expect(truncated).toBe(true);
  });

  it('rejects invalid cron expressions, time zones and names', () => {
    expect(() => defineSchedule({ name: 'bad', cron: '61 * * * *', job: 'process' })).toThrow(
      /invalid cron "61 \* \* \* \*"/,
    );
    expect(() =>
      defineSchedule({ name: 'bad', cron: '* * * * *', timezone: 'Mars/Olympus', job: 'process' }),
    ).toThrow(/time zone "Mars\/Olympus"/);
    expect(() => defineSchedule({ name: 'bad name', cron: '* * * * *', job: 'process' })).toThrow(
      /Invalid schedule name/,
    );
  });
});
