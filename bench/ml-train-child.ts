/**
 * One measured fit for `bench/ml-train.bench.ts`, in its own process so that its peak RSS is its
 * own: loads the raw float32 files written by `writeFlightFeatureFiles`, trains, prints one JSON line
 * (the same fields as `bench/baselines/sklearn_train.py`).
 *
 * @example
 * ```sh
 * node --conditions=lakeloop-source --import tsx bench/ml-train-child.ts --dir /tmp/f --size small --model gbdt --threads 2
 * # the same matrices without the scheduled-flight columns (as sklearn_train.py --exclude):
 * node --conditions=lakeloop-source --import tsx bench/ml-train-child.ts --dir /tmp/f --size small --model gbdt --exclude flight_freq,flight_te
 * ```
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  logLoss,
  rocAuc,
  trainGradientBoosting,
  trainLogisticRegression,
  type TabularData,
} from '../src/ml/index.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    size: { type: 'string' },
    model: { type: 'string' },
    threads: { type: 'string', default: '2' },
    iterations: { type: 'string', default: '100' },
    seed: { type: 'string', default: '0' },
    /** Comma-separated feature names to drop (the "before" figures on the same matrices). */
    exclude: { type: 'string', default: '' },
    /** Rows to time `predict` on (the test rows repeated up to this count); 0 = no timing. */
    'predict-rows': { type: 'string', default: '0' },
  },
});
const dir = values.dir ?? '.';
const size = values.size ?? 'small';
const prefix = `${dir}/${size}`;
const meta = JSON.parse(readFileSync(`${prefix}-meta.json`, 'utf8')) as {
  columns: number;
  featureNames: string[];
};

const excluded = values.exclude.split(',').filter((name) => name !== '');
const unknown = excluded.filter((name) => !meta.featureNames.includes(name));
if (unknown.length > 0) {
  throw new Error(
    `--exclude names unknown features ${unknown.join(', ')}; the matrices have ${meta.featureNames.join(', ')}`,
  );
}
const keep = meta.featureNames.flatMap((name, j) => (excluded.includes(name) ? [] : [j]));

function load(part: 'train' | 'test'): TabularData {
  const x = readFileSync(`${prefix}-${part}-X.f32`);
  const y = readFileSync(`${prefix}-${part}-y.u8`);
  const all = new Float32Array(x.buffer, x.byteOffset, x.byteLength / 4);
  const labels = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
  const rows = labels.length;
  const featureNames = keep.map((j) => meta.featureNames[j] ?? '');
  if (keep.length === meta.columns)
    return { features: all, labels, rows, columns: meta.columns, featureNames };
  const features = new Float32Array(rows * keep.length);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < keep.length; c++)
      features[i * keep.length + c] = all[i * meta.columns + (keep[c] ?? 0)] ?? 0;
  }
  return { features, labels, rows, columns: keep.length, featureNames };
}

const train = load('train');
const test = load('test');
const rssBeforeFitMb = process.memoryUsage().rss / 2 ** 20;
const start = performance.now();
const cpuStart = process.cpuUsage();
const model =
  values.model === 'lr'
    ? await trainLogisticRegression(train)
    : await trainGradientBoosting(train, {
        maxIterations: Number(values.iterations),
        maxLeaves: 31,
        learningRate: 0.1,
        maxBins: 255,
        threads: Number(values.threads),
        seed: Number(values.seed),
      });
const fitSeconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
// the fit's peak (data loaded + training), before the prediction matrix exists
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const scores = model.predict(test.features, test.rows);
const predictRows = Number(values['predict-rows']);
let predictSeconds: number | undefined;
if (predictRows > 0) {
  const rowLength = test.columns;
  const many = new Float32Array(predictRows * rowLength);
  for (let at = 0; at < predictRows; at += test.rows) {
    const rows = Math.min(test.rows, predictRows - at);
    many.set(test.features.subarray(0, rows * rowLength), at * rowLength);
  }
  const predictStart = performance.now();
  model.predict(many, predictRows);
  predictSeconds = (performance.now() - predictStart) / 1000;
}
console.log(
  JSON.stringify({
    model: values.model,
    library: 'lakeloop',
    threads: Number(values.threads),
    featureNames: train.featureNames,
    fitSeconds,
    cpuSeconds,
    auc: rocAuc({ labels: test.labels, scores }),
    logLoss: logLoss({ labels: test.labels, scores }),
    peakRssMb,
    ...(predictSeconds === undefined ? {} : { predictSeconds, predictRows }),
    rssBeforeFitMb,
    iterations: model.iterations,
  }),
);
