/**
 * Event log append rate on the SQLite storage (a file, WAL, synchronous=NORMAL): realistic step
 * events appended in batches of one step's events (what an executor writes per step) and one
 * by one; plus the cost of reading the latest materializations once the log is large.
 *
 * Run: `npm run bench -- event-log`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRecord } from '../src/core/events/event-types.js';
import { createMemoryStorages } from '../src/core/storage/memory/memory-storages.js';
import { openSqliteStorages } from '../src/core/storage/sqlite/sqlite-storages.js';
import type { EventLogStorage } from '../src/core/storage/storage-types.js';
import { median, reportBench } from './bench-report.js';

const TRIALS = 5;
const BATCHED_EVENTS = 40_000;
const SINGLE_EVENTS = 10_000;
const ASSETS = 500;

/** The events one step of an asset writes: start, logs, output, materialization, check, success. */
function stepEvents(runId: string, assetKey: string, n: number): EventRecord[] {
  const t = Date.parse('2026-01-01T00:00:00Z') + n;
  return [
    {
      runId,
      stepKey: assetKey,
      type: 'STEP_START',
      timestamp: t,
      message: `Started ${assetKey}`,
      level: 'INFO',
    },
    {
      runId,
      stepKey: assetKey,
      type: 'LOG',
      timestamp: t + 1,
      message: `Loaded 498,734 rows from flights@a1b2c3d4 (month 2001-0${(n % 6) + 1})`,
      level: 'INFO',
    },
    { runId, stepKey: assetKey, type: 'LOG', timestamp: t + 2, message: 'Fitted 100 trees', level: 'DEBUG' },
    {
      runId,
      stepKey: assetKey,
      type: 'STEP_OUTPUT',
      timestamp: t + 3,
      message: `Stored output of ${assetKey}`,
      data: { storagePath: `storage/${assetKey}/output.arrow`, bytes: 12_345_678 },
    },
    {
      runId,
      stepKey: assetKey,
      type: 'ASSET_MATERIALIZATION',
      timestamp: t + 4,
      message: `Materialized ${assetKey}`,
      materialization: {
        assetKey,
        partition: `2001-0${(n % 6) + 1}`,
        codeVersion: 'v3',
        dataVersion: `sha256:${n.toString(16).padStart(64, '0')}`,
        inputDataVersions: { preprocess: 'sha256:'.padEnd(71, 'e'), load_data: 'sha256:'.padEnd(71, 'f') },
        storagePath: `storage/${assetKey}/output.arrow`,
        metadata: { rows: 498_734, auc: 0.7895, logLoss: 0.437 },
      },
    },
    {
      runId,
      stepKey: assetKey,
      type: 'ASSET_CHECK_EVALUATION',
      timestamp: t + 5,
      message: 'auc_above_floor passed',
      checkEvaluation: {
        assetKey,
        checkName: 'auc_above_floor',
        passed: true,
        severity: 'ERROR',
        blocking: true,
        metadata: { auc: 0.7895, floor: 0.7 },
      },
    },
    {
      runId,
      stepKey: assetKey,
      type: 'STEP_SUCCESS',
      timestamp: t + 6,
      message: `Finished ${assetKey} in 1.2 s`,
      data: { durationMs: 1_203 },
    },
  ];
}

const BATCH = stepEvents('r', 'a', 0).length;

function makeBatches(total: number): EventRecord[][] {
  const batches: EventRecord[][] = [];
  for (let n = 0; batches.length * BATCH < total; n++) {
    batches.push(stepEvents(`run-${Math.floor(n / 4)}`, `asset_${n % ASSETS}`, n));
  }
  return batches;
}

interface Rate {
  /** Events per wall-clock second. */
  wall: number;
  /** Events per second of this process's CPU time (user + system): less sensitive to other load. */
  cpu: number;
}

async function rate(
  events: EventLogStorage,
  batches: readonly EventRecord[][],
  oneByOne: boolean,
): Promise<Rate> {
  let count = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (const batch of batches) {
    if (oneByOne) {
      for (const event of batch) count += (await events.appendEvents([event])).length;
    } else {
      count += (await events.appendEvents(batch)).length;
    }
  }
  const wallSeconds = (performance.now() - start) / 1_000;
  const cpu = process.cpuUsage(cpuStart);
  return { wall: count / wallSeconds, cpu: count / ((cpu.user + cpu.system) / 1e6) };
}

const dir = mkdtempSync(join(tmpdir(), 'lakeloop-bench-'));
try {
  const batched: Rate[] = [];
  const single: Rate[] = [];
  const memoryBatched: Rate[] = [];
  const latestMs: number[] = [];
  const batchedInput = makeBatches(BATCHED_EVENTS);
  const singleInput = makeBatches(SINGLE_EVENTS);
  let logSize = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const storages = openSqliteStorages({ path: join(dir, `trial-${trial}.db`) });
    batched.push(await rate(storages.events, batchedInput, false));
    single.push(await rate(storages.events, singleInput, true));
    const start = performance.now();
    const latest = await storages.events.latestMaterializations();
    latestMs.push(performance.now() - start);
    if (latest.length === 0) throw new Error('no materializations indexed');
    logSize = (await storages.events.getEvents({ afterId: 0 })).length;
    await storages.close();
    const memory = createMemoryStorages();
    memoryBatched.push(await rate(memory.events, batchedInput, false));
    await memory.close();
  }
  reportBench(
    'event-log',
    [
      {
        name: 'sqlite_append_batched',
        value: Math.round(median(batched.map((r) => r.wall))),
        unit: 'events/s',
        goal: '>= 20000 events/s',
      },
      {
        name: 'sqlite_append_batched_per_cpu_second',
        value: Math.round(median(batched.map((r) => r.cpu))),
        unit: 'events/cpu-s',
      },
      {
        name: 'sqlite_append_one_by_one',
        value: Math.round(median(single.map((r) => r.wall))),
        unit: 'events/s',
        goal: '>= 20000 events/s',
      },
      {
        name: 'sqlite_append_one_by_one_per_cpu_second',
        value: Math.round(median(single.map((r) => r.cpu))),
        unit: 'events/cpu-s',
      },
      {
        name: 'memory_append_batched',
        value: Math.round(median(memoryBatched.map((r) => r.wall))),
        unit: 'events/s',
      },
      { name: 'sqlite_latest_materializations', value: median(latestMs), unit: 'ms' },
    ],
    {
      trials: TRIALS,
      batchSize: BATCH,
      batchedEvents: batchedInput.length * BATCH,
      oneByOneEvents: singleInput.length * BATCH,
      logSizeAtLatestRead: logSize,
      latestMaterializationRows: `${ASSETS} assets x 6 partitions`,
      storage: 'SQLite file, WAL, synchronous=NORMAL, wal_autocheckpoint=10000, one connection',
      loadAverage: loadavg(),
      cpus: cpus().length,
    },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
