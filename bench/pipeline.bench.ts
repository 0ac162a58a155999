/**
 * The flagship pipeline end to end (issue 7): the `npm start` loop on flights-3m (six monthly
 * commits, each retrain launched by the data-commit sensor of a running daemon) on the embedded
 * backends. Figures: total wall time from the first import to the last registered version (goal
 * <= 3 min), commit -> run STARTED latency per commit (goal <= 1 s), time per stage per month
 * (load, preprocess, train, evaluate, register, promote), preprocessing of the new month per month (should
 * not grow with the month number), and the peak RSS of the process (goal <= 3 GiB).
 *
 * Run: `npm run bench -- pipeline`   (LL_DATASET=flights-2k for a quick check)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDemo } from '../pipelines/flight-delays/demo-runner.js';
import type { MonthOutcome } from '../pipelines/flight-delays/demo-runner.js';
import { demoConfig } from '../pipelines/flight-delays/demo-data.js';
import type { DemoDataset } from '../pipelines/flight-delays/demo-data.js';
import { reportBench } from './bench-report.js';
import type { BenchFigure } from './bench-report.js';

const dataset = (process.env.LL_DATASET ?? 'flights-3m') as DemoDataset;
const home = mkdtempSync(join(tmpdir(), 'lakeloop-bench-pipeline-'));

const num = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);

function stageSeconds(outcome: MonthOutcome): Record<string, number> {
  const step = (key: string): MonthOutcome['steps'][number] | undefined =>
    outcome.steps.find((s) => s.step === key);
  const evaluate = step('evaluate_model');
  const register = num(evaluate?.metadata['register_seconds']);
  const preprocess = step('preprocess');
  const newMonth = preprocess?.metadata['month_seconds'] as Record<string, number> | undefined;
  return {
    import: outcome.importSeconds,
    load: step('load_data')?.seconds ?? Number.NaN,
    preprocess: preprocess?.seconds ?? Number.NaN,
    preprocess_new_month: newMonth?.[outcome.month] ?? Number.NaN,
    preprocess_assemble: num(preprocess?.metadata['assemble_seconds']),
    train: step('train_model')?.seconds ?? Number.NaN,
    evaluate: (evaluate?.seconds ?? Number.NaN) - register,
    register,
    promote: step('promote_model')?.seconds ?? Number.NaN,
    run: outcome.runSeconds,
  };
}

try {
  const started = performance.now();
  const demo = await startDemo({
    home,
    dataset,
    config: demoConfig(dataset),
    onProgress: (p) => {
      if (p.kind === 'run-finished') {
        const s = stageSeconds(p.outcome);
        console.log(
          `${p.month}: ${p.outcome.run.status} in ${s.run?.toFixed(1)} s ` +
            `(latency ${p.outcome.latencyMs.toFixed(0)} ms, load ${s.load?.toFixed(1)}, preprocess ${s.preprocess?.toFixed(1)}, ` +
            `train ${s.train?.toFixed(1)}, evaluate ${s.evaluate?.toFixed(1)}, register ${s.register?.toFixed(2)}, promote ${s.promote?.toFixed(2)})`,
        );
      }
    },
  });
  const outcomes: MonthOutcome[] = [];
  const firstImport = performance.now();
  const cpuAtFirstImport = process.cpuUsage();
  try {
    for (const month of demo.source.months) outcomes.push(await demo.commitMonth(month));
  } finally {
    await demo.close();
  }
  const totalSeconds = (performance.now() - firstImport) / 1000;
  const failed = outcomes.filter((o) => o.run.status !== 'SUCCESS');
  if (failed.length > 0)
    console.warn(`runs not SUCCESS: ${failed.map((o) => `${o.month} ${o.run.status}`).join(', ')}`);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  // CPU time of the whole process (all threads: DuckDB, training workers): comparable across loads.
  const usage = process.cpuUsage(cpuAtFirstImport);
  const cpuSeconds = (usage.user + usage.system) / 1e6;
  const figures: BenchFigure[] = [
    { name: 'total_first_import_to_last_version', value: totalSeconds, unit: 's', goal: '<= 180 s' },
    {
      name: 'commit_to_run_start_max',
      value: Math.max(...outcomes.map((o) => o.latencyMs)),
      unit: 'ms',
      goal: '<= 1000 ms',
    },
    { name: 'peak_rss', value: peakRssMiB, unit: 'MiB', goal: '<= 3072 MiB' },
    { name: 'total_cpu_time', value: cpuSeconds, unit: 's' },
  ];
  for (const outcome of outcomes) {
    const s = stageSeconds(outcome);
    const m = outcome.month;
    figures.push({
      name: `${m}_commit_to_run_start`,
      value: outcome.latencyMs,
      unit: 'ms',
      goal: '<= 1000 ms',
    });
    for (const stage of [
      'import',
      'load',
      'preprocess',
      'preprocess_new_month',
      'preprocess_assemble',
      'train',
      'evaluate',
      'register',
      'promote',
      'run',
    ]) {
      figures.push({ name: `${m}_${stage}`, value: s[stage] ?? Number.NaN, unit: 's' });
    }
  }
  reportBench('pipeline', figures, {
    dataset,
    months: outcomes.map((o) => o.month),
    statuses: outcomes.map((o) => o.run.status),
    setupSeconds: (firstImport - started) / 1000,
    cpus: (await import('node:os')).availableParallelism(),
    loadAverage: (await import('node:os')).loadavg(),
  });
} finally {
  rmSync(home, { recursive: true, force: true });
}
