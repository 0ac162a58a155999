/**
 * Bytes an idle sensor adds to `lakeloop.db` in a day: a SensorLoop over SQLite storages, driven
 * by a manual clock for a simulated day (86,400 evaluations, one per second), every evaluation
 * SKIPPED with the same reason. The WAL is checkpointed (TRUNCATE) before each measurement, so the
 * figure is what the database file itself grew by. For comparison, a sensor whose skip reason
 * changes at every evaluation (nothing can be coalesced) runs for a shorter while and its growth
 * is extrapolated to a day.
 *
 * ```sh
 * npm run bench -- idle-sensor
 * IDLE_BENCH_EVALUATIONS=3600 npm run bench -- idle-sensor   # a simulated hour
 * ```
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defineAsset, defineJob, defineSensor, Definitions, Instance, manualClock } from 'lakeloop';
import { SensorLoop } from '../src/core/daemon/sensor-loop.js';
import { reportBench } from './bench-report.js';

const DAY = 86_400;
const EVALUATIONS = Number(process.env.IDLE_BENCH_EVALUATIONS ?? DAY);
const UNCOALESCED_EVALUATIONS = Math.min(EVALUATIONS, 5_000);

/** Checkpoints the WAL into the database file and returns the file's size. */
function checkpointedSize(path: string): number {
  const db = new Database(path);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return statSync(path).size;
}

async function measure(
  evaluations: number,
  skipReason: (i: number) => string,
): Promise<{ bytes: number; ticks: number; ms: number }> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-bench-'));
  const clock = manualClock(Date.parse('2026-03-01T00:00:00Z'));
  let i = 0;
  const defs = new Definitions({
    assets: [defineAsset({ key: 'processed', compute: () => 1 })],
    jobs: [defineJob({ name: 'process', select: 'processed' })],
    sensors: [
      defineSensor({
        name: 'idle',
        job: 'process',
        minimumIntervalSeconds: 1,
        evaluate: () => ({ skipReason: skipReason(i++) }),
      }),
    ],
  });
  const instance = await Instance.open({ home, clock });
  const path = join(home, 'lakeloop.db');
  try {
    const loop = new SensorLoop({ defs, instance });
    await loop.tick(clock.now()); // first tick and state row: not part of the growth
    clock.advance(1_000);
    const before = checkpointedSize(path);
    const started = performance.now();
    for (let n = 1; n < evaluations; n++) {
      await loop.tick(clock.now());
      clock.advance(1_000);
    }
    const ms = performance.now() - started;
    const ticks = (await instance.schedules.listTicks('idle', { limit: evaluations })).length;
    return { bytes: checkpointedSize(path) - before, ticks, ms };
  } finally {
    await instance.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const idle = await measure(EVALUATIONS, () => 'No new commit on main.');
const changing = await measure(UNCOALESCED_EVALUATIONS, (n) => `No new commit on main (check ${n}).`);
const perDay = (bytes: number, evaluations: number): number => (bytes / Math.max(1, evaluations - 1)) * DAY;

reportBench(
  'idle-sensor-storage',
  [
    {
      name: 'idle_sensor_bytes_per_day',
      value: perDay(idle.bytes, EVALUATIONS),
      unit: 'B',
      goal: '<= 100 KB a day',
    },
    { name: 'idle_sensor_bytes_measured', value: idle.bytes, unit: 'B' },
    { name: 'idle_sensor_tick_rows', value: idle.ticks, unit: 'rows' },
    { name: 'evaluation_mean', value: idle.ms / Math.max(1, EVALUATIONS - 1), unit: 'ms' },
    {
      name: 'uncoalesced_bytes_per_day',
      value: perDay(changing.bytes, UNCOALESCED_EVALUATIONS),
      unit: 'B',
    },
    { name: 'uncoalesced_tick_rows', value: changing.ticks, unit: 'rows' },
  ],
  {
    evaluations: EVALUATIONS,
    intervalSeconds: 1,
    uncoalescedEvaluations: UNCOALESCED_EVALUATIONS,
    storage: 'sqlite',
    note: 'bytes = growth of lakeloop.db after PRAGMA wal_checkpoint(TRUNCATE); per day = extrapolated to 86,400 evaluations',
  },
);
