/**
 * Training benchmark (issues 5 and 18): lakeloop's gradient boosting against LightGBM, XGBoost (hist,
 * lossguide) and scikit-learn's HistGradientBoostingClassifier, at the versions pinned in
 * `bench/baselines/requirements-ml.txt` (installed with pip into the project's `.venv`, created with
 * `python3 -m venv` when missing; Debian's scikit-learn is never used), and lakeloop's logistic
 * regression against scikit-learn's. Same settings for every GBDT: 100 trees, 31 leaves, lr 0.1,
 * 255 bins, no early stopping. Every fit runs in its own fresh process on the same raw float32 files
 * (the flight features including the scheduled-flight encoding), so its peak RSS is its own.
 *
 * Per size: `LAKELOOP_BENCH_ML_REPEATS` (default 3) rounds of 2-thread fits, the libraries taking
 * turns (the order rotates every round: on a shared virtual machine one fit can take 1.5x another for
 * no reason of its own), medians compared, with the time to score 500,000 rows; then one 1-thread fit
 * per library and one 2-thread fit per library while a child process keeps one core busy
 * (`LAKELOOP_BENCH_ML_EXTRAS=0` skips these two).
 *
 * Sizes: `LAKELOOP_BENCH_ML_SIZES=small,full` (default both; `small` = 200k/100k rows, `full` =
 * 2.5M/0.5M), or `--small` after the bench name for 200k only.
 * Python: `LAKELOOP_BENCH_PYTHON` (default the project's `.venv/bin/python`).
 *
 * @example
 * ```sh
 * npm run bench -- ml-train
 * npm run bench -- ml-train --small
 * LAKELOOP_BENCH_ML_REPEATS=5 LAKELOOP_BENCH_ML_EXTRAS=0 npm run bench -- ml-train --small
 * ```
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportBench, type BenchFigure } from './bench-report.js';
import { writeFlightFeatureFiles, type FlightFeatureSize } from './flight-features.js';

type Library = 'lakeloop' | 'lightgbm' | 'xgboost' | 'sklearn';
const PEERS = ['lightgbm', 'xgboost', 'sklearn'] as const;
const LIBRARIES: readonly Library[] = ['lakeloop', ...PEERS];

interface FitResult {
  library: string;
  version?: string;
  threads: number;
  fitSeconds: number;
  /** CPU time of the fit, all threads. */
  cpuSeconds: number;
  auc: number;
  logLoss: number;
  /** Peak RSS of the process up to the end of the fit (data loaded + training). */
  peakRssMb: number;
  rssBeforeFitMb: number;
  predictSeconds?: number;
  predictRows?: number;
}

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');
const requirements = join(benchDir, 'baselines', 'requirements-ml.txt');
const venvPython = join(root, '.venv', 'bin', 'python');
const python = process.env.LAKELOOP_BENCH_PYTHON ?? venvPython;
const sizes = (
  process.argv.includes('--small') ? 'small' : (process.env.LAKELOOP_BENCH_ML_SIZES ?? 'small,full')
).split(',') as FlightFeatureSize[];
const repeats = Math.max(1, Number(process.env.LAKELOOP_BENCH_ML_REPEATS ?? 3));
const extras = process.env.LAKELOOP_BENCH_ML_EXTRAS !== '0';
const PREDICT_ROWS = 500_000;
/** A fit that takes longer than this is reported as failed rather than hanging the bench. */
const FIT_TIMEOUT_MS = 30 * 60_000;

/** `name==version` pins of the requirements file. */
function pinnedVersions(): Map<string, string> {
  const pins = new Map<string, string>();
  for (const line of readFileSync(requirements, 'utf8').split('\n')) {
    const match = /^([A-Za-z0-9_.-]+)==(\S+)/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) pins.set(match[1], match[2]);
  }
  return pins;
}

/** Makes `python` have the pinned peers, installing them with pip when one is missing or another version. */
function ensurePeers(): Record<string, string> {
  if (python === '/usr/bin/python3') {
    throw new Error(
      "ml-train compares with pinned pip releases; Debian's python3 (its scikit-learn) is not used.",
    );
  }
  if (python === venvPython && !existsSync(venvPython)) {
    console.log('creating .venv (python3 -m venv) ...');
    execFileSync('python3', ['-m', 'venv', join(root, '.venv')], { stdio: 'inherit' });
  }
  const pins = pinnedVersions();
  const installed = (): Record<string, string> => {
    const script =
      'import json, importlib.metadata as m, sys\n' +
      'out = {}\n' +
      'for p in sys.argv[1:]:\n' +
      '    try: out[p] = m.version(p)\n' +
      '    except m.PackageNotFoundError: pass\n' +
      'print(json.dumps(out))';
    return JSON.parse(execFileSync(python, ['-c', script, ...pins.keys()], { encoding: 'utf8' })) as Record<
      string,
      string
    >;
  };
  let versions = installed();
  if ([...pins].some(([name, version]) => versions[name] !== version)) {
    console.log(`installing ${[...pins].map(([n, v]) => `${n}==${v}`).join(', ')} into ${python} ...`);
    execFileSync(python, ['-m', 'pip', 'install', '-q', '-r', requirements], { stdio: 'inherit' });
    versions = installed();
  }
  return versions;
}

function lastJsonLine(output: string): FitResult {
  const line = output.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(line) as FitResult;
}

function runFit(dir: string, size: string, library: Library, threads: number, predict: boolean): FitResult {
  const predictRows = String(predict ? PREDICT_ROWS : 0);
  const common = ['--dir', dir, '--size', size, '--threads', String(threads), '--predict-rows', predictRows];
  const out =
    library === 'lakeloop'
      ? execFileSync(
          process.execPath,
          [
            '--conditions=lakeloop-source',
            '--import',
            'tsx',
            join(benchDir, 'ml-train-child.ts'),
            '--model',
            'gbdt',
            ...common,
          ],
          { encoding: 'utf8', maxBuffer: 1 << 24, timeout: FIT_TIMEOUT_MS },
        )
      : execFileSync(
          python,
          [join(benchDir, 'baselines', 'gbdt_peers_train.py'), '--library', library, ...common],
          {
            encoding: 'utf8',
            env: { ...process.env, OMP_NUM_THREADS: String(threads) },
            maxBuffer: 1 << 24,
            timeout: FIT_TIMEOUT_MS,
          },
        );
  const result = lastJsonLine(out);
  console.log(
    `  ${library} ${threads}t: fit ${result.fitSeconds.toFixed(2)} s, AUC ${result.auc.toFixed(5)}, ` +
      `peak ${result.peakRssMb.toFixed(0)} MB${result.predictSeconds === undefined ? '' : `, predict ${result.predictSeconds.toFixed(3)} s`}`,
  );
  return result;
}

function runLogisticRegression(dir: string, size: string, library: 'lakeloop' | 'sklearn'): FitResult {
  const args = ['--dir', dir, '--size', size, '--model', 'lr'];
  const out =
    library === 'lakeloop'
      ? execFileSync(
          process.execPath,
          ['--conditions=lakeloop-source', '--import', 'tsx', join(benchDir, 'ml-train-child.ts'), ...args],
          { encoding: 'utf8', maxBuffer: 1 << 24 },
        )
      : execFileSync(python, [join(benchDir, 'baselines', 'sklearn_train.py'), ...args], {
          encoding: 'utf8',
          env: { ...process.env, OMP_NUM_THREADS: '2' },
          maxBuffer: 1 << 24,
        });
  return lastJsonLine(out);
}

/** A process that keeps one core busy until `stop` (the "one core busy" fits). */
function spinOneCore(): { stop: () => void } {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  return {
    stop: () => {
      child.kill('SIGKILL');
    },
  };
}

/** The run with the median fit time (an actual run, so its AUC and memory belong to it). */
function medianRun(runs: FitResult[]): FitResult {
  const sorted = [...runs].sort((a, b) => a.fitSeconds - b.fitSeconds);
  const run = sorted[Math.floor((sorted.length - 1) / 2)];
  if (run === undefined) throw new Error('no runs');
  return run;
}

const versions = ensurePeers();
const figures: BenchFigure[] = [];
const context: Record<string, unknown> = { python, versions, loadBefore: loadavg() };
/** Markdown rows printed at the end (for docs/ml.md). */
const table: string[] = [];
const label = (library: Library): string =>
  library === 'lakeloop'
    ? 'lakeloop'
    : `${library} ${versions[library === 'sklearn' ? 'scikit-learn' : library] ?? ''}`.trim();
const dir = mkdtempSync(join(tmpdir(), 'lakeloop-ml-bench-'));
try {
  for (const size of sizes) {
    console.log(`preparing ${size} feature files ...`);
    await writeFlightFeatureFiles({ size, dir });
    const runs = new Map<Library, FitResult[]>(LIBRARIES.map((l) => [l, []]));
    for (let round = 0; round < repeats; round++) {
      console.log(`${size} GBDT 2 threads, round ${round + 1}/${repeats} (load ${loadavg()[0]?.toFixed(2)})`);
      for (let k = 0; k < LIBRARIES.length; k++) {
        const library = LIBRARIES[(round + k) % LIBRARIES.length] ?? 'lakeloop';
        runs.get(library)?.push(runFit(dir, size, library, 2, true));
      }
    }
    const med = new Map(LIBRARIES.map((l) => [l, medianRun(runs.get(l) ?? [])]));
    const ours = med.get('lakeloop');
    if (ours === undefined) throw new Error('unreachable');
    const one = new Map<Library, FitResult>();
    const busy = new Map<Library, FitResult>();
    if (extras) {
      console.log(`${size} GBDT 1 thread (load ${loadavg()[0]?.toFixed(2)})`);
      for (const library of LIBRARIES) one.set(library, runFit(dir, size, library, 1, false));
      console.log(`${size} GBDT 2 threads, one core busy with a spinning process`);
      for (const library of LIBRARIES) {
        const spinner = spinOneCore();
        try {
          busy.set(library, runFit(dir, size, library, 2, false));
        } finally {
          spinner.stop();
        }
      }
    }
    context[`${size}_gbdt`] = {
      twoThreads: Object.fromEntries(runs),
      oneThread: Object.fromEntries(one),
      oneCoreBusy: Object.fromEntries(busy),
    };
    const rows = size === 'small' ? '200k' : '2.5M';
    for (const library of LIBRARIES) {
      const m = med.get(library);
      if (m === undefined) continue;
      const times = (runs.get(library) ?? []).map((r) => r.fitSeconds.toFixed(2)).join(', ');
      const ratio = library === 'lakeloop' ? '' : (ours.fitSeconds / m.fitSeconds).toFixed(2);
      const o = one.get(library);
      const b = busy.get(library);
      table.push(
        `| ${rows} | ${label(library)} | ${m.fitSeconds.toFixed(2)} s (${times}) | ${ratio} | ${m.auc.toFixed(4)} | ` +
          `${m.peakRssMb.toFixed(0)} MB | ${m.predictSeconds?.toFixed(3) ?? ''} s | ` +
          `${o === undefined ? '' : `${o.fitSeconds.toFixed(2)} s`} | ${b === undefined ? '' : `${b.fitSeconds.toFixed(2)} s`} |`,
      );
    }
    for (const peer of PEERS) {
      const base = med.get(peer);
      if (base === undefined) continue;
      const key = `gbdt_${size}_vs_${peer}`;
      figures.push(
        {
          name: `${key}_fit_seconds`,
          value: ours.fitSeconds,
          unit: 's',
          baseline: { name: label(peer), value: base.fitSeconds, unit: 's' },
        },
        { name: `${key}_time_ratio`, value: ours.fitSeconds / base.fitSeconds, unit: 'x', goal: '<= 1.0' },
        {
          name: `${key}_auc`,
          value: ours.auc,
          unit: '',
          baseline: { name: label(peer), value: base.auc, unit: '' },
        },
        { name: `${key}_auc_diff`, value: Math.abs(ours.auc - base.auc), unit: '', goal: '<= 0.002' },
        {
          name: `${key}_peak_rss`,
          value: ours.peakRssMb,
          unit: 'MB',
          baseline: { name: label(peer), value: base.peakRssMb, unit: 'MB' },
          goal: '<= peer',
        },
        {
          name: `${key}_predict_500k_seconds`,
          value: ours.predictSeconds ?? Number.NaN,
          unit: 's',
          baseline: { name: label(peer), value: base.predictSeconds ?? Number.NaN, unit: 's' },
          goal: '<= peer',
        },
      );
      const o = one.get('lakeloop');
      const ob = one.get(peer);
      if (o !== undefined && ob !== undefined) {
        figures.push({ name: `${key}_1thread_time_ratio`, value: o.fitSeconds / ob.fitSeconds, unit: 'x' });
      }
      const b = busy.get('lakeloop');
      const bb = busy.get(peer);
      if (b !== undefined && bb !== undefined) {
        figures.push({ name: `${key}_busy_core_time_ratio`, value: b.fitSeconds / bb.fitSeconds, unit: 'x' });
      }
    }
    // Logistic regression against scikit-learn (issue 5), medians of alternating fits.
    const lrOurs: FitResult[] = [];
    const lrBase: FitResult[] = [];
    for (let round = 0; round < repeats; round++) {
      lrBase.push(runLogisticRegression(dir, size, 'sklearn'));
      lrOurs.push(runLogisticRegression(dir, size, 'lakeloop'));
    }
    const lrO = medianRun(lrOurs);
    const lrB = medianRun(lrBase);
    context[`${size}_lr`] = { lakeloop: lrOurs, sklearn: lrBase };
    figures.push(
      {
        name: `lr_${size}_fit_seconds`,
        value: lrO.fitSeconds,
        unit: 's',
        baseline: { name: label('sklearn'), value: lrB.fitSeconds, unit: 's' },
      },
      { name: `lr_${size}_time_ratio`, value: lrO.fitSeconds / lrB.fitSeconds, unit: 'x', goal: '<= 2.0' },
      { name: `lr_${size}_auc_diff`, value: Math.abs(lrO.auc - lrB.auc), unit: '', goal: '<= 0.002' },
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
context.loadAfter = loadavg();
reportBench('ml-train', figures, context);
console.log(
  `\n| rows | library | fit, median of ${repeats} (runs), 2 threads | lakeloop / it | AUC | peak RSS | predict 500k | fit, 1 thread | fit, 2 threads, one core busy |`,
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of table) console.log(row);
console.log(
  `load average before ${JSON.stringify(context.loadBefore)}, after ${JSON.stringify(context.loadAfter)}`,
);
