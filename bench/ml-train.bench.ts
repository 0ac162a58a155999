/**
 * Training benchmark (issue 5): lakeloop's gradient boosting and logistic regression against
 * scikit-learn (HistGradientBoostingClassifier: 100 iterations, 31 leaves, lr 0.1, 255 bins, no early
 * stopping; StandardScaler + LogisticRegression lbfgs) on the flight-delay features, 2 threads each,
 * measured in one run. Every fit runs in its own child process (so peak RSS is its own) on the same
 * raw float32 files.
 *
 * Sizes: `LAKELOOP_BENCH_ML_SIZES=small,full` (default both; `small` = 200k/100k, `full` = 2.5M/0.5M).
 * Repeats: `LAKELOOP_BENCH_ML_REPEATS` (default 3): the two libraries take turns, and the medians are
 * compared, because on a shared virtual machine one fit can take 1.5x another for no reason of its own.
 * Python: `LAKELOOP_BENCH_PYTHON` (default the project's `.venv/bin/python` when it exists, which
 * `node scripts/test-setup.js` creates with scikit-learn; else `/usr/bin/python3`).
 * Columns: `LAKELOOP_BENCH_ML_EXCLUDE=flight_freq,flight_te` fits both libraries without these
 * features (the figures before the scheduled-flight encoding, on the same matrices).
 *
 * @example
 * ```sh
 * npm run bench -- ml-train
 * LAKELOOP_BENCH_ML_SIZES=small npm run bench -- ml-train
 * LAKELOOP_BENCH_ML_SIZES=small LAKELOOP_BENCH_ML_EXCLUDE=flight_freq,flight_te npm run bench -- ml-train
 * ```
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportBench, type BenchFigure } from './bench-report.js';
import { writeFlightFeatureFiles, type FlightFeatureSize } from './flight-features.js';

interface FitResult {
  model: string;
  fitSeconds: number;
  /** CPU time of the fit, all threads (less sensitive to a busy machine than wall time). */
  cpuSeconds: number;
  auc: number;
  logLoss: number;
  peakRssMb: number;
  rssBeforeFitMb: number;
  iterations: number;
  sklearn?: string;
}

const benchDir = dirname(fileURLToPath(import.meta.url));
const venvPython = join(benchDir, '..', '.venv', 'bin', 'python');
const python =
  process.env.LAKELOOP_BENCH_PYTHON ?? (existsSync(venvPython) ? venvPython : '/usr/bin/python3');
const exclude = process.env.LAKELOOP_BENCH_ML_EXCLUDE ?? '';
const sizes = (process.env.LAKELOOP_BENCH_ML_SIZES ?? 'small,full').split(',') as FlightFeatureSize[];
const THREADS = 2;
const repeats = Math.max(1, Number(process.env.LAKELOOP_BENCH_ML_REPEATS ?? 3));

/** The run with the median fit time (an actual run, so its AUC and memory belong to it). */
function medianRun(runs: FitResult[]): FitResult {
  const sorted = [...runs].sort((a, b) => a.fitSeconds - b.fitSeconds);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new Error('no runs');
  return median;
}

function lastJsonLine(output: string): FitResult {
  const line = output.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(line) as FitResult;
}

function runSklearn(dir: string, size: string, model: 'gbdt' | 'lr'): FitResult {
  const out = execFileSync(
    python,
    [
      join(benchDir, 'baselines', 'sklearn_train.py'),
      ...['--dir', dir, '--size', size, '--model', model, '--exclude', exclude],
    ],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(THREADS) }, maxBuffer: 1 << 24 },
  );
  return lastJsonLine(out);
}

function runLakeloop(dir: string, size: string, model: 'gbdt' | 'lr'): FitResult {
  const out = execFileSync(
    process.execPath,
    [
      '--conditions=lakeloop-source',
      '--import',
      'tsx',
      join(benchDir, 'ml-train-child.ts'),
      '--dir',
      dir,
      '--size',
      size,
      '--model',
      model,
      '--threads',
      String(THREADS),
      '--exclude',
      exclude,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  return lastJsonLine(out);
}

const figures: BenchFigure[] = [];
const context: Record<string, unknown> = { threads: THREADS, python, exclude };
// The baseline needs scikit-learn: say how to get it rather than print a Python traceback.
try {
  execFileSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' });
} catch {
  console.error(
    `ml-train needs scikit-learn for its baseline: ${python} cannot import sklearn. ` +
      'Run `node scripts/test-setup.js` (creates .venv; then `.venv/bin/pip install scikit-learn` if it lacks it) or set LAKELOOP_BENCH_PYTHON.',
  );
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'lakeloop-ml-bench-'));
try {
  for (const size of sizes) {
    console.log(`preparing ${size} feature files ...`);
    await writeFlightFeatureFiles({ size, dir });
    for (const model of ['gbdt', 'lr'] as const) {
      const baseRuns: FitResult[] = [];
      const ourRuns: FitResult[] = [];
      for (let round = 1; round <= repeats; round++) {
        console.log(`${size} ${model} (${round}/${repeats}): scikit-learn ...`);
        baseRuns.push(runSklearn(dir, size, model));
        console.log(`${size} ${model} (${round}/${repeats}): lakeloop ...`);
        ourRuns.push(runLakeloop(dir, size, model));
      }
      const base = medianRun(baseRuns);
      const ours = medianRun(ourRuns);
      context[`${size}_${model}`] = { lakeloop: ourRuns, sklearn: baseRuns };
      const key = `${model}_${size}`;
      const ratioGoal = model === 'gbdt' ? '<= 1.0' : '<= 2.0';
      /** A figure of ours next to scikit-learn's. */
      const compared = (
        name: string,
        field: 'fitSeconds' | 'cpuSeconds' | 'auc' | 'logLoss' | 'peakRssMb',
        unit: string,
        baselineName = 'sklearn',
      ): BenchFigure => ({
        name: `${key}_${name}`,
        value: ours[field],
        unit,
        baseline: { name: baselineName, value: base[field], unit },
      });
      figures.push(
        compared('fit_seconds', 'fitSeconds', 's', `sklearn ${base.sklearn ?? ''}`.trim()),
        { name: `${key}_time_ratio`, value: ours.fitSeconds / base.fitSeconds, unit: 'x', goal: ratioGoal },
        compared('cpu_seconds', 'cpuSeconds', 's'),
        compared('auc', 'auc', ''),
        { name: `${key}_auc_diff`, value: Math.abs(ours.auc - base.auc), unit: '', goal: '<= 0.002' },
        compared('log_loss', 'logLoss', ''),
        {
          ...compared('peak_rss', 'peakRssMb', 'MB'),
          ...(model === 'gbdt' && size === 'full' ? { goal: '<= 1.5x sklearn' } : {}),
        },
      );
      if (model === 'gbdt' && size === 'full') {
        figures.push({
          name: `${key}_peak_rss_ratio`,
          value: ours.peakRssMb / base.peakRssMb,
          unit: 'x',
          goal: '<= 1.5',
        });
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
reportBench('ml-train', figures, context);
