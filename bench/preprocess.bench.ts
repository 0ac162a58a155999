/**
 * Preprocessing benchmark of the flight-delay pipeline (issue 7): per-month feature and aggregate
 * building over the six months of flights-3m, and the assembly of each temporal training cut
 * (train Jan..m, test m+1). Month work must not grow with the month number; assembly grows only with
 * the rows it materializes (the encodings are sums over small per-month aggregates).
 *
 * Run: `npm run bench -- preprocess` (BENCH_REPEAT=n for n timed repetitions, default 3; median reported).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, reportBench, type BenchFigure } from './bench-report.js';
import {
  assembleTrainingSet,
  buildMonthAggregates,
  buildMonthFeatures,
  encodingCtes,
  openFeatureDatabase,
  type MonthFeatureFiles,
} from '../pipelines/flight-delays/features/index.js';

const FLIGHTS_3M = resolve(
  fileURLToPath(import.meta.url),
  '..',
  '..',
  'node_modules',
  'vega-datasets',
  'data',
  'flights-3m.parquet',
);
const MONTHS = ['2001-01', '2001-02', '2001-03', '2001-04', '2001-05', '2001-06'];
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

const dir = mkdtempSync(join(tmpdir(), 'lakeloop-preprocess-bench-'));
const figures: BenchFigure[] = [];
const context: Record<string, unknown> = {
  repeat,
  input: 'flights-3m.parquet split into one Parquet chunk per month',
};
try {
  await using database = await openFeatureDatabase();
  const db = database.connection;
  // The data repository holds one chunk per month: split once (not timed).
  for (const month of MONTHS) {
    await db.run(
      `COPY (SELECT * FROM read_parquet(${sqlString(FLIGHTS_3M)}) WHERE strftime(date, '%Y-%m') = ${sqlString(month)})
       TO ${sqlString(join(dir, `${month}.chunk.parquet`))} (FORMAT parquet)`,
    );
  }
  /** Median wall and CPU (all threads of the process, user + system) time over `repeat` runs. */
  const timed = async (run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> => {
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      await run();
      walls.push(performance.now() - start);
      const cpu = process.cpuUsage(cpuStart);
      cpus.push((cpu.user + cpu.system) / 1000);
    }
    return { wall: median(walls), cpu: median(cpus) };
  };
  const add = (name: string, time: { wall: number; cpu: number }, goal?: string): void => {
    figures.push({ name, value: time.wall, unit: 'ms', ...(goal === undefined ? {} : { goal }) });
    figures.push({ name: `${name}_cpu`, value: time.cpu, unit: 'ms' });
  };

  const months: MonthFeatureFiles[] = [];
  let monthTotal = 0;
  for (const month of MONTHS) {
    const files: MonthFeatureFiles = {
      month,
      featuresPath: join(dir, `${month}.features.parquet`),
      aggregatesPath: join(dir, `${month}.aggregates.parquet`),
    };
    const inputPath = join(dir, `${month}.chunk.parquet`);
    let rows = 0;
    const featuresMs = await timed(async () => {
      rows = (await buildMonthFeatures({ db, inputPath, outputPath: files.featuresPath, month })).rows;
    });
    const aggregatesMs = await timed(() =>
      buildMonthAggregates({ db, featuresPath: files.featuresPath, outputPath: files.aggregatesPath }),
    );
    monthTotal += featuresMs.wall + aggregatesMs.wall;
    add(`${month}_month_features`, featuresMs, 'flat across months');
    add(`${month}_month_aggregates`, aggregatesMs);
    context[`${month}_rows`] = rows;
    months.push(files);
  }
  figures.push({
    name: 'all_months_features_and_aggregates',
    value: monthTotal,
    unit: 'ms',
    goal: 'a few seconds per month',
  });

  // Per-month work straight from the whole 3M-row file (the pipeline's other possible input).
  const wholeFileMs = await timed(() =>
    buildMonthFeatures({
      db,
      inputPath: FLIGHTS_3M,
      outputPath: join(dir, 'whole.parquet'),
      month: '2001-06',
    }),
  );
  add('2001-06_month_features_from_3m_file', wholeFileMs);

  for (let cut = 1; cut < MONTHS.length; cut++) {
    const trainMonths = months.slice(0, cut);
    const testMonth = months[cut];
    if (testMonth === undefined) break;
    const label = `train_${MONTHS[0]}..${MONTHS[cut - 1]}_test_${testMonth.month}`;
    const encodingMs = await timed(() =>
      db.run(
        `WITH ${encodingCtes({ aggregatesPaths: trainMonths.map((m) => m.aggregatesPath), smoothing: 20 })}
         SELECT count(*) FROM enc_train`,
      ),
    );
    let trainRows = 0;
    const assembleMs = await timed(async () => {
      trainRows = (await assembleTrainingSet({ db, trainMonths, testMonth })).train.rows;
    });
    add(`${label}_encodings`, encodingMs, 'flat (sums of aggregates)');
    add(`${label}_assemble`, assembleMs, 'grows with train rows only');
    context[`${label}_train_rows`] = trainRows;
  }
  context.loadAverage = loadavg();
  figures.push({ name: 'peak_rss', value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MiB' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
reportBench('preprocess', figures, context);
