/**
 * Orchestration overhead: median wall time of one `materialize` call of a 4-asset chain with
 * trivial compute functions, in-process executor, SQLite storage in a file (WAL), filesystem
 * IO manager (each step stores its value atomically; identical values are found, not rewritten,
 * so the chain is also timed with values that change every run). Also `createRun` alone and the time of
 * `assetStatuses` once the event log holds the runs. Goal (issue 2): median <= 20 ms.
 *
 * Run: `npm run bench -- orchestration`  (LL_RUNS=200 by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { assetStatuses, createRun, defineAsset, Definitions, Instance, materialize } from '../src/index.js';
import { median, percentile, reportBench } from './bench-report.js';

const RUNS = Number(process.env.LL_RUNS ?? 200);
const WARMUP = 10;

const a = defineAsset({ key: 'a', compute: () => 1 });
const b = defineAsset({ key: 'b', deps: [a], compute: (_c, { a }) => a + 1 });
const c = defineAsset({ key: 'c', deps: [b], compute: (_c, { b }) => b + 1 });
const d = defineAsset({ key: 'd', deps: [c], compute: (_c, { c }) => c + 1 });
const defs = new Definitions({ assets: [a, b, c, d] });

// The same chain, but every run produces new values (new files written, not just re-found).
const na = defineAsset({ key: 'na', compute: (ctx) => ctx.runId });
const nb = defineAsset({ key: 'nb', deps: [na], compute: (_c, { na }) => `${na}b` });
const nc = defineAsset({ key: 'nc', deps: [nb], compute: (_c, { nb }) => `${nb}c` });
const nd = defineAsset({ key: 'nd', deps: [nc], compute: (_c, { nc }) => `${nc}d` });
const changing = new Definitions({ assets: [na, nb, nc, nd] });

async function timeRuns(definitions: Definitions, instance: Instance): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await materialize(definitions, { select: '*', instance });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const run = await materialize(definitions, { select: '*', instance });
    times.push(performance.now() - start);
    if (run.status !== 'SUCCESS') throw new Error(`run ${run.runId} ended ${run.status}`);
  }
  return times;
}

const home = mkdtempSync(join(tmpdir(), 'lakeloop-bench-'));
const instance = await Instance.open(home);
try {
  const times = await timeRuns(defs, instance);
  const changingTimes = await timeRuns(changing, instance);
  const createTimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await createRun(defs, { select: '*', instance });
    createTimes.push(performance.now() - start);
  }
  const statusStart = performance.now();
  await assetStatuses(defs, instance);
  const statusMs = performance.now() - statusStart;
  const events = (await instance.events.getEvents({})).length;
  reportBench(
    'orchestration',
    [
      { name: 'materialize_4_chain_median', value: median(times), unit: 'ms', goal: '<= 20 ms' },
      { name: 'materialize_4_chain_p90', value: percentile(times, 90), unit: 'ms' },
      { name: 'materialize_4_chain_min', value: Math.min(...times), unit: 'ms' },
      {
        name: 'materialize_4_chain_new_values_median',
        value: median(changingTimes),
        unit: 'ms',
        goal: '<= 20 ms',
      },
      { name: 'materialize_4_chain_new_values_p90', value: percentile(changingTimes, 90), unit: 'ms' },
      { name: 'create_run_median', value: median(createTimes), unit: 'ms' },
      { name: 'asset_statuses', value: statusMs, unit: 'ms' },
    ],
    { runs: RUNS, warmup: WARMUP, eventsInLog: events, executor: 'in_process', storage: 'sqlite file (WAL)' },
  );
} finally {
  await instance.close();
  rmSync(home, { recursive: true, force: true });
}
