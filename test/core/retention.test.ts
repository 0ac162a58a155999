/**
 * pruneInstance on real instances (memory and SQLite storages, the filesystem IO manager, real
 * runs): what it deletes (old finished runs with their events, old ticks, unreferenced values) and
 * what it always keeps (runs in progress, the latest materialization's run, parents of kept runs,
 * the newest N, every value a kept run references); dry runs; the orphaned events a killed prune
 * leaves; `<home>/lakeloop.json` and the daemon's once-an-interval prune.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { ManualClock } from '../../src/clock.js';
import { defineAsset } from '../../src/core/definitions/asset-definition.js';
import { Definitions } from '../../src/core/definitions/definitions.js';
import type { RunRecord } from '../../src/core/events/event-types.js';
import type { TickRecord } from '../../src/core/storage/storage-types.js';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { materialize } from '../../src/core/execution/run-launcher.js';
import { Instance } from '../../src/core/instance/instance.js';
import {
  DAY_MS,
  parseDuration,
  pruneInstance,
  pruneInstanceIfDue,
  readRetentionConfig,
} from '../../src/core/instance/retention.js';
import { isLakeloopError } from '../../src/errors.js';

/** raw (a new value every run) -> doubled. */
function retentionDefs(): Definitions {
  let n = 0;
  const raw = defineAsset({ key: 'raw', compute: () => [++n, n] });
  const doubled = defineAsset({
    key: 'doubled',
    deps: [raw],
    compute: (_ctx, inputs) => inputs.raw.map((x) => x * 2),
  });
  return new Definitions({ assets: [raw, doubled] });
}

describe.each(['memory', 'sqlite'] as const)('pruneInstance (%s storage)', (storage) => {
  let clock: ManualClock;
  let instance: Instance;
  let defs: Definitions;

  beforeEach(async () => {
    clock = manualClock(Date.now()); // value files get real mtimes: the clock starts at real time
    instance = await Instance.ephemeral({ clock, storage });
    defs = retentionDefs();
  });

  afterEach(async () => {
    await instance.close();
  });

  /** One run a day, oldest first. */
  async function runDaily(days: number, select = '*'): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    for (let d = 0; d < days; d++) {
      const run = await materialize(defs, { select, instance });
      expect(run.status).toBe('SUCCESS');
      runs.push(run);
      clock.advance(DAY_MS);
    }
    return runs;
  }

  async function valuePaths(runId: string): Promise<string[]> {
    const events = await instance.events.getEvents({ runId, types: ['ASSET_MATERIALIZATION'] });
    return events.map((e) => e.materialization?.storagePath ?? '');
  }

  it('deletes old finished runs with their events and values, keeping what kept runs reference', async () => {
    const old = await runDaily(5);
    const oldPaths = await Promise.all(old.map((r) => valuePaths(r.runId)));
    const recent = await runDaily(2);
    const now = clock.now();

    const dry = await pruneInstance({ instance, policy: { runsOlderThanMs: 3 * DAY_MS }, dryRun: true });
    expect(dry.runs.deleted).toEqual(old.map((r) => r.runId));
    expect(dry.values.deleted).toBe(10);
    expect(await instance.runs.listRuns()).toHaveLength(7); // nothing deleted
    for (const path of oldPaths.flat()) expect(existsSync(path)).toBe(true);

    const report = await pruneInstance({ instance, now, policy: { runsOlderThanMs: 3 * DAY_MS } });
    expect(report).toMatchObject({
      dryRun: false,
      runs: { deleted: old.map((r) => r.runId), kept: 2, protected: 0 },
      orphanedEventRuns: [],
      values: { deleted: 10, kept: 4 },
    });
    expect((await instance.runs.listRuns()).map((r) => r.runId)).toEqual(
      recent.map((r) => r.runId).reverse(),
    );
    expect(await instance.events.listRunIdsWithEvents()).toEqual(recent.map((r) => r.runId).sort());
    for (const path of oldPaths.flat()) expect(existsSync(path)).toBe(false);
    for (const run of recent) {
      for (const path of await valuePaths(run.runId)) {
        expect(await instance.ioManager.read({ assetKey: 'x', storagePath: path })).toBeDefined();
      }
    }
    // Nothing more to do.
    expect((await pruneInstance({ instance, policy: { runsOlderThanMs: 3 * DAY_MS } })).runs.deleted).toEqual(
      [],
    );
  });

  it('keeps the values a kept run read, though the run that stored them is deleted', async () => {
    const [producer] = await runDaily(1, 'raw');
    const reader = await materialize(defs, { select: 'doubled', instance }); // reads the producer's raw
    clock.advance(DAY_MS);
    await runDaily(1, 'raw'); // a newer raw: the producer no longer holds the latest materialization
    const [read] = await valuePaths(producer?.runId ?? '');
    const report = await pruneInstance({
      instance,
      policy: { runsOlderThanMs: 1.5 * DAY_MS, valueGraceMs: 0 },
    });
    expect(report.runs.deleted).toEqual([producer?.runId]);
    expect(existsSync(read ?? '')).toBe(true); // re-executing `reader` reads exactly this value
    expect((await instance.runs.getRun(reader.runId))?.status).toBe('SUCCESS');
  });

  it('never deletes runs in progress, the latest materialization run, parents of kept runs, or the newest N', async () => {
    const [onlyRaw] = await runDaily(1, 'raw');
    const [parent, middle] = await runDaily(2);
    const [latestDoubled] = await runDaily(1, 'doubled'); // latest of doubled; raw's latest is `middle`
    if (onlyRaw === undefined || parent === undefined || middle === undefined || latestDoubled === undefined)
      throw new Error('runs missing');
    const inProgress: RunRecord = {
      runId: 'run-in-progress-old',
      jobName: '__asset_selection__',
      selection: '*',
      assetKeys: ['raw'],
      status: 'STARTED',
      tags: {},
      createdAt: clock.now() - 100 * DAY_MS,
      updatedAt: clock.now() - 100 * DAY_MS,
    };
    await instance.runs.addRun(inProgress);
    clock.advance(10 * DAY_MS);
    // A recent re-execution of `parent` (finished, kept by age): `parent` must stay for it.
    await instance.runs.addRun({
      ...inProgress,
      runId: 'reexecution-of-parent',
      status: 'FAILURE',
      parentRunId: parent.runId,
      createdAt: clock.now(),
      updatedAt: clock.now(),
      endedAt: clock.now(),
    });
    const report = await pruneInstance({ instance, policy: { runsOlderThanMs: DAY_MS } });
    // Old enough: onlyRaw, parent (kept run's parent), middle (raw's latest), latestDoubled
    // (doubled's latest), and the run in progress.
    expect(report.runs.deleted).toEqual([onlyRaw.runId]);
    expect(report.runs.protected).toBe(4);
    const left = new Set((await instance.runs.listRuns()).map((r) => r.runId));
    expect(left).toEqual(
      new Set([parent.runId, middle.runId, latestDoubled.runId, inProgress.runId, 'reexecution-of-parent']),
    );
    // keepRuns alone: every finished run beyond the newest N may go (still with the protections).
    expect((await pruneInstance({ instance, policy: { keepRuns: 1 } })).runs.deleted).toEqual([]);
    // Both criteria: a run must be old AND beyond the newest N. Three new runs take over the
    // latest materializations; the re-execution goes, so its parent may go too.
    const [newest1] = await runDaily(3);
    const both = await pruneInstance({ instance, policy: { keepRuns: 2, runsOlderThanMs: 0 } });
    expect(both.runs.deleted).toEqual([
      parent.runId,
      middle.runId,
      latestDoubled.runId,
      'reexecution-of-parent',
      newest1?.runId,
    ]);
    expect((await instance.runs.getRun(inProgress.runId))?.status).toBe('STARTED');
    for (const latest of await instance.events.latestMaterializations()) {
      const path = latest.event.materialization?.storagePath ?? '';
      expect(existsSync(path)).toBe(true);
    }
  });

  it('deletes old ticks, and deletes the events a killed prune left without their run', async () => {
    const [run] = await runDaily(1);
    if (run === undefined) throw new Error('no run');
    const paths = await valuePaths(run.runId);
    await instance.schedules.addTick({
      instigatorName: 'old_sensor',
      type: 'SENSOR',
      timestamp: clock.now() - 30 * DAY_MS,
      status: 'SUCCESS',
      runKeys: [],
      runIds: [],
    });
    await instance.schedules.addTick({
      instigatorName: 'old_sensor',
      type: 'SENSOR',
      timestamp: clock.now(),
      status: 'SKIPPED',
      runKeys: [],
      runIds: [],
    });
    // Simulate a prune killed between deleting a run and its events; add a newer run so that the
    // orphaned one is not the latest materialization's.
    await runDaily(1);
    await instance.runs.deleteRun(run.runId);
    const report = await pruneInstance({ instance, policy: { ticksOlderThanMs: 7 * DAY_MS } });
    expect(report.orphanedEventRuns).toEqual([run.runId]);
    expect(report.ticks.deleted).toBe(1);
    expect(report.values.deleted).toBe(2);
    expect(await instance.events.getEvents({ runId: run.runId })).toEqual([]);
    for (const path of paths) expect(existsSync(path)).toBe(false);
    expect(await instance.schedules.listTicks('old_sensor')).toHaveLength(1);
  });

  it('keeps unreferenced values written within the grace period, and can leave values alone', async () => {
    await runDaily(2);
    const now = clock.now();
    const first = await pruneInstance({ instance, now, policy: { keepRuns: 1, runsOlderThanMs: 0 } });
    expect(first.runs.deleted).toHaveLength(1);
    expect(first.values.deleted).toBe(2);
    await runDaily(1);
    const noValues = await pruneInstance({ instance, policy: { keepRuns: 1, pruneValues: false } });
    expect(noValues.values.skipped).toMatch(/keeps every value/);
    // Real mtimes are "now": with the real time as `now`, the grace period protects them all.
    const graced = await pruneInstance({ instance, now: Date.now(), policy: {} });
    expect(graced.values.deleted).toBe(0);
    const later = await pruneInstance({ instance, policy: {} });
    expect(later.values.deleted).toBe(2); // the values of the run deleted without values
  });

  it('rejects a negative or fractional policy figure', async () => {
    const error = await pruneInstance({ instance, policy: { keepRuns: -1 } }).catch((e: unknown) => e);
    expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('retention configuration', () => {
  let instance: Instance;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = manualClock(Date.now());
    instance = await Instance.ephemeral({ clock, storage: 'sqlite' });
  });

  afterEach(async () => {
    await instance.close();
  });

  it('parses durations and rejects bad ones', () => {
    expect(parseDuration('30d')).toBe(30 * DAY_MS);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('2w')).toBe(14 * DAY_MS);
    expect(parseDuration('500ms')).toBe(500);
    for (const bad of ['30', 'd', '-1d', '1.5h', '3 days']) {
      expect(() => parseDuration(bad)).toThrow(/Invalid duration/);
    }
  });

  it('is applied by a running daemon on its pass', async () => {
    writeFileSync(
      join(instance.home, 'lakeloop.json'),
      JSON.stringify({ retention: { ticksOlderThan: '7d' } }),
    );
    const old: TickRecord = {
      instigatorName: 'gone_sensor',
      type: 'SENSOR',
      timestamp: clock.now() - 8 * DAY_MS,
      status: 'SUCCESS',
      runKeys: [],
      runIds: [],
    };
    await instance.schedules.addTick(old);
    const daemon = new Daemon({ defs: retentionDefs(), instance, tickIntervalMs: 3_600_000 });
    await daemon.start();
    await daemon.stop(); // waits for the first pass
    expect(await instance.schedules.listTicks('gone_sensor')).toEqual([]);
  });

  it('reads <home>/lakeloop.json, and the daemon prunes by it at most once an interval', async () => {
    expect(readRetentionConfig(instance.home)).toBeUndefined();
    expect(await pruneInstanceIfDue({ instance })).toBeUndefined();
    writeFileSync(
      join(instance.home, 'lakeloop.json'),
      JSON.stringify({ retention: { ticksOlderThan: '7d', runsOlderThan: '30d', interval: '2h' } }),
    );
    expect(readRetentionConfig(instance.home)).toEqual({
      policy: { ticksOlderThanMs: 7 * DAY_MS, runsOlderThanMs: 30 * DAY_MS },
      intervalMs: 2 * 3_600_000,
    });
    // The first check (no file yet) counts: due again one default interval (1 h) later.
    clock.advance(3_599_999);
    expect(await pruneInstanceIfDue({ instance })).toBeUndefined();
    clock.advance(1);
    const report = await pruneInstanceIfDue({ instance });
    expect(report?.ticks.deleted).toBe(0);
    clock.advance(2 * 3_600_000 - 1);
    expect(await pruneInstanceIfDue({ instance })).toBeUndefined();
    clock.advance(1);
    expect(await pruneInstanceIfDue({ instance })).toBeDefined();

    writeFileSync(join(instance.home, 'lakeloop.json'), JSON.stringify({ retention: { keepRuns: 'ten' } }));
    expect(() => readRetentionConfig(instance.home)).toThrow(/not a valid instance configuration/);
    writeFileSync(join(instance.home, 'lakeloop.json'), JSON.stringify({ other: true }));
    expect(readRetentionConfig(instance.home)).toBeUndefined();
  });
});
