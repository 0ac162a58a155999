import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLakeloopError } from 'lakeloop';
import {
  DEFAULT_SMOOTHING,
  ENCODED_KEYS,
  FEATURE_NAMES,
  assembleTrainingSet,
  buildMonthAggregates,
  buildMonthFeatures,
  openFeatureDatabase,
  readTabularData,
  type FeatureDatabase,
  type MonthFeatureFiles,
  type TabularData,
} from './index.js';
import { jsonText } from './sql-text.js';

const FLIGHTS_2K = resolve('node_modules/vega-datasets/data/flights-2k.json');
const MONTHS = ['2001-01', '2001-02', '2001-03'] as const;

interface RawFlight {
  date: string;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

const rawFlights = JSON.parse(readFileSync(FLIGHTS_2K, 'utf8')) as RawFlight[];
const monthOf = (flight: RawFlight): string => flight.date.slice(0, 7).replace('/', '-');

let dir: string;
let database: FeatureDatabase;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  database = await openFeatureDatabase({ threads: 1 });
});

afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Builds features + aggregates for each month from `inputPath` into `folder`. */
async function buildMonths(
  inputPath: string,
  folder: string,
  months: readonly string[] = MONTHS,
): Promise<MonthFeatureFiles[]> {
  const db = database.connection;
  const files: MonthFeatureFiles[] = [];
  for (const month of months) {
    const entry = {
      month,
      featuresPath: join(folder, `${month}.features.parquet`),
      aggregatesPath: join(folder, `${month}.aggregates.parquet`),
    };
    await buildMonthFeatures({ db, inputPath, outputPath: entry.featuresPath, month });
    await buildMonthAggregates({ db, featuresPath: entry.featuresPath, outputPath: entry.aggregatesPath });
    files.push(entry);
  }
  return files;
}

interface StoredRow {
  month: string;
  fold: number;
  label: number;
  origin: string;
  destination: string;
  route: string;
  flight: string;
}

/** The stored rows of feature files in the order the assembled matrices use. */
async function storedRows(paths: readonly string[]): Promise<StoredRow[]> {
  const list = paths.map((p) => `'${p}'`).join(', ');
  const reader = await database.connection.runAndReadAll(
    `SELECT month, fold, label, origin, destination, route, flight FROM read_parquet([${list}]) ORDER BY month, row_in_month`,
  );
  return reader.getRowObjectsJson().map((row) => ({
    month: jsonText(row.month),
    fold: Number(row.fold),
    label: Number(row.label),
    origin: jsonText(row.origin),
    destination: jsonText(row.destination),
    route: jsonText(row.route),
    flight: jsonText(row.flight),
  }));
}

const column = (data: TabularData, name: string): number[] => {
  const j = data.featureNames.indexOf(name);
  return Array.from({ length: data.rows }, (_, i) => data.features[i * data.columns + j] ?? Number.NaN);
};

/** Independent from-scratch computation of the encodings, straight from the rows. */
function expectedEncodings(train: readonly StoredRow[], test: readonly StoredRow[], m = DEFAULT_SMOOTHING) {
  const keys = ['origin', 'destination', 'route', 'flight'] as const;
  const total = { n: train.length, p: train.reduce((s, r) => s + r.label, 0) };
  const fold = new Map<number, { n: number; p: number }>();
  const byKey = new Map<string, { n: number; p: number }>();
  const byKeyFold = new Map<string, { n: number; p: number }>();
  const add = (
    map: Map<string | number, { n: number; p: number }>,
    k: string | number,
    label: number,
  ): void => {
    const e = map.get(k) ?? { n: 0, p: 0 };
    e.n += 1;
    e.p += label;
    map.set(k, e);
  };
  for (const r of train) {
    add(fold, r.fold, r.label);
    for (const k of keys) {
      add(byKey, `${k}:${r[k]}`, r.label);
      add(byKeyFold, `${k}:${r[k]}:${r.fold}`, r.label);
    }
  }
  const trainExpected = train.map((r) => {
    const f = fold.get(r.fold) ?? { n: 0, p: 0 };
    const prior = total.n - f.n > 0 ? (total.p - f.p) / (total.n - f.n) : total.p / total.n;
    return Object.fromEntries(
      keys.flatMap((k) => {
        const all = byKey.get(`${k}:${r[k]}`) ?? { n: 0, p: 0 };
        const own = byKeyFold.get(`${k}:${r[k]}:${r.fold}`) ?? { n: 0, p: 0 };
        // out-of-fold like the test month: a training row's frequency never counts its own fold
        const otherRows = total.n - f.n;
        return [
          [`${k}_freq`, otherRows > 0 ? (all.n - own.n) / otherRows : 0],
          [`${k}_te`, (all.p - own.p + m * prior) / (all.n - own.n + m)],
        ];
      }),
    );
  });
  const testExpected = test.map((r) =>
    Object.fromEntries(
      keys.flatMap((k) => {
        const all = byKey.get(`${k}:${r[k]}`) ?? { n: 0, p: 0 };
        return [
          [`${k}_freq`, all.n / total.n],
          [`${k}_te`, (all.p + (m * total.p) / total.n) / (all.n + m)],
        ];
      }),
    ),
  );
  return { trainExpected, testExpected };
}

describe('buildMonthFeatures', () => {
  it('computes the row features of hand-checked rows and keeps only the month', async () => {
    const [january] = await buildMonths(FLIGHTS_2K, dir, ['2001-01']);
    if (january === undefined) throw new Error('no month');
    const reader = await database.connection.runAndReadAll(
      `SELECT * FROM read_parquet('${january.featuresPath}') ORDER BY row_in_month`,
    );
    const rows = reader.getRowObjectsJson();
    expect(rows).toHaveLength(rawFlights.filter((f) => monthOf(f) === '2001-01').length);
    // {"date":"2001/01/01 06:55","delay":-19,"distance":1797,"origin":"LAX","destination":"BNA"}
    const lax = rows.find(
      (r) =>
        r.origin === 'LAX' && r.destination === 'BNA' && jsonText(r.departure).startsWith('2001-01-01 06:55'),
    );
    expect(lax).toMatchObject({
      hour: 6,
      day_of_week: 0,
      day_of_month: 1,
      label: 0,
      delay: -19,
      route: 'LAX-BNA',
      flight: 'LAX-BNA 0655', // route + departure time of day
    });
    expect(Number(lax?.hour_sin)).toBeCloseTo(0.97134, 4); // sin(2π · 6.91667 / 24)
    expect(Number(lax?.hour_cos)).toBeCloseTo(-0.23769, 4);
    expect(Number(lax?.log_distance)).toBeCloseTo(7.49387, 4); // ln 1797
    // a delayed flight on a Sunday: 2001-01-07
    const sunday = rawFlights.find((f) => f.date.startsWith('2001/01/07') && f.delay > 15);
    if (sunday === undefined) throw new Error('fixture has no delayed flight on 2001-01-07');
    const match = rows.find(
      (r) => r.origin === sunday.origin && r.destination === sunday.destination && r.delay === sunday.delay,
    );
    expect(match).toMatchObject({
      day_of_week: 6,
      day_of_month: 7,
      label: 1,
      hour: Number(sunday.date.slice(11, 13)),
    });
    // labels: delay > 15, exactly
    const delays = rows.map((r) => [Number(r.delay), Number(r.label)]);
    expect(delays.every(([delay, label]) => label === (Number(delay) > 15 ? 1 : 0))).toBe(true);
    expect(new Set(rows.map((r) => Number(r.fold)))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it('gives the same file from a one-month chunk as from the whole file, in any row order', async () => {
    const [fromAll] = await buildMonths(FLIGHTS_2K, join(dir, 'all'), ['2001-02']);
    const chunk = join(dir, 'february.json');
    writeFileSync(chunk, JSON.stringify(rawFlights.filter((f) => monthOf(f) === '2001-02').reverse()));
    const [fromChunk] = await buildMonths(chunk, join(dir, 'chunk'), ['2001-02']);
    if (fromAll === undefined || fromChunk === undefined) throw new Error('no month');
    const diff = await database.connection.runAndReadAll(
      `SELECT count(*) AS n FROM (SELECT * FROM read_parquet('${fromAll.featuresPath}')
        EXCEPT ALL SELECT * FROM read_parquet('${fromChunk.featuresPath}'))`,
    );
    expect(Number(diff.getRowObjectsJson()[0]?.n)).toBe(0);
    const aggDiff = await database.connection.runAndReadAll(
      `SELECT count(*) AS n FROM (SELECT * FROM read_parquet('${fromAll.aggregatesPath}')
        EXCEPT ALL SELECT * FROM read_parquet('${fromChunk.aggregatesPath}'))`,
    );
    expect(Number(aggDiff.getRowObjectsJson()[0]?.n)).toBe(0);
  });

  it('refuses a chunk with a mistyped column, naming the file and the column', async () => {
    const bad = join(dir, 'bad-chunk.json');
    writeFileSync(
      bad,
      JSON.stringify(rawFlights.slice(0, 20).map((f) => ({ ...f, delay: `${f.delay} min` }))),
    );
    const error = await buildMonthFeatures({
      db: database.connection,
      inputPath: bad,
      outputPath: join(dir, 'out.parquet'),
      month: '2001-01',
    }).catch((e: unknown) => e);
    expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(
      /Column "delay" of flight data file .*bad-chunk\.json has type VARCHAR/,
    );
  });

  it('refuses a month without rows, a malformed month and a missing file', async () => {
    const db = database.connection;
    const outputPath = join(dir, 'out.parquet');
    await expect(
      buildMonthFeatures({ db, inputPath: FLIGHTS_2K, outputPath, month: '2001-07' }),
    ).rejects.toThrow(/no flights in month 2001-07/);
    await expect(
      buildMonthFeatures({ db, inputPath: FLIGHTS_2K, outputPath, month: '2001-7' }),
    ).rejects.toThrow(/not of the form YYYY-MM/);
    await expect(
      buildMonthFeatures({ db, inputPath: join(dir, 'missing.parquet'), outputPath, month: '2001-01' }),
    ).rejects.toThrow(/does not exist/);
  });
});

describe('assembleTrainingSet', () => {
  it('equals a from-scratch computation: out-of-fold encodings on train, all-train encodings on test', async () => {
    const months = await buildMonths(FLIGHTS_2K, dir);
    const [january, february, march] = months;
    if (january === undefined || february === undefined || march === undefined) throw new Error('no months');
    const set = await assembleTrainingSet({
      db: database.connection,
      trainMonths: [january, february],
      testMonth: march,
    });
    const train = await storedRows([january.featuresPath, february.featuresPath]);
    const test = await storedRows([march.featuresPath]);
    expect(set.featureNames).toEqual([...FEATURE_NAMES]);
    expect(set.train.rows).toBe(train.length);
    expect(set.test.rows).toBe(test.length);
    expect(Array.from(set.train.labels)).toEqual(train.map((r) => r.label));
    expect(Array.from(set.test.labels)).toEqual(test.map((r) => r.label));
    const { trainExpected, testExpected } = expectedEncodings(train, test);
    const encodedNames = ENCODED_KEYS.flatMap((k) => [`${k}_freq`, `${k}_te`]);
    expect(encodedNames).toContain('flight_te');
    for (const name of encodedNames) {
      const trainValues = column(set.train, name);
      const testValues = column(set.test, name);
      trainValues.forEach((v, i) => {
        expect(v, `${name} train row ${i}`).toBeCloseTo(trainExpected[i]?.[name] ?? NaN, 6);
      });
      testValues.forEach((v, i) => {
        expect(v, `${name} test row ${i}`).toBeCloseTo(testExpected[i]?.[name] ?? NaN, 6);
      });
    }
    expect(set.trainPositiveRate).toBeCloseTo(train.reduce((s, r) => s + r.label, 0) / train.length, 12);
  });

  it("never uses a training row's own fold, and the test month never feeds any statistic", async () => {
    const base = await buildMonths(FLIGHTS_2K, join(dir, 'base'));
    // relabel every fold-0 row of January and February, and every row of March
    const folds = await storedRows(base.slice(0, 2).map((m) => m.featuresPath));
    const foldZero = new Set(
      (
        await database.connection.runAndReadAll(
          `SELECT strftime(departure, '%Y/%m/%d %H:%M') || origin || destination || distance AS k
           FROM read_parquet(['${base[0]?.featuresPath}', '${base[1]?.featuresPath}']) WHERE fold = 0`,
        )
      )
        .getRowObjectsJson()
        .map((r) => jsonText(r.k)),
    );
    expect(foldZero.size).toBeGreaterThan(50);
    expect(folds.length).toBeGreaterThan(foldZero.size);
    const flip = (f: RawFlight): RawFlight => ({ ...f, delay: f.delay > 15 ? 0 : 60 });
    const relabelled = rawFlights.map((f) =>
      foldZero.has(`${f.date}${f.origin}${f.destination}${f.distance}`) ? flip(f) : f,
    );
    const input = join(dir, 'relabelled.json');
    writeFileSync(input, JSON.stringify(relabelled));
    const changed = await buildMonths(input, join(dir, 'changed'));
    const assemble = (m: MonthFeatureFiles[]) =>
      assembleTrainingSet({
        db: database.connection,
        trainMonths: m.slice(0, 2),
        testMonth: m[2] as MonthFeatureFiles,
      });
    const before = await assemble(base);
    const after = await assemble(changed);
    expect(before.featureNames).toContain('flight_te'); // the scheduled-flight encoding is covered too
    const trainRows = await storedRows(base.slice(0, 2).map((m) => m.featuresPath));
    let foldZeroRows = 0;
    let otherChanged = 0;
    for (const name of ENCODED_KEYS.map((k) => `${k}_te`)) {
      const b = column(before.train, name);
      const a = column(after.train, name);
      trainRows.forEach((row, i) => {
        if (row.fold === 0) {
          foldZeroRows++;
          expect(a[i], `${name} of fold-0 row ${i}`).toBe(b[i]); // its own fold's labels changed: no effect
        } else if (a[i] !== b[i]) {
          otherChanged++;
        }
      });
    }
    expect(foldZeroRows).toBeGreaterThan(0);
    expect(otherChanged).toBeGreaterThan(0); // the relabelling is visible to the other folds
    // Relabelling only the test month (March) changes none of the features, train or test.
    const marchOnly = join(dir, 'march-relabelled.json');
    writeFileSync(marchOnly, JSON.stringify(rawFlights.map((f) => (monthOf(f) === '2001-03' ? flip(f) : f))));
    const marchChanged = await assemble(await buildMonths(marchOnly, join(dir, 'march')));
    expect(Array.from(marchChanged.test.labels)).not.toEqual(Array.from(before.test.labels));
    expect(marchChanged.test.features).toEqual(before.test.features);
    expect(marchChanged.train.features).toEqual(before.train.features);
  });

  it('encodes the scheduled flight (route + departure time of day) as its own key, by hand', async () => {
    // January: JFK-ORD at 07:00 on 20 days (8 delayed) and at 07:05 on 20 days (none delayed).
    // February (test month): the 07:00 and 07:05 flights again, and a 09:00 never seen in training.
    const day = (d: number): string => String(d).padStart(2, '0');
    const january = Array.from({ length: 20 }, (_, i) => [
      {
        date: `2001/01/${day(i + 1)} 07:00`,
        delay: i < 8 ? 45 : 0,
        distance: 740,
        origin: 'JFK',
        destination: 'ORD',
      },
      { date: `2001/01/${day(i + 1)} 07:05`, delay: 0, distance: 740, origin: 'JFK', destination: 'ORD' },
    ]).flat();
    const february = ['07:00', '07:05', '09:00'].map((time) => ({
      date: `2001/02/01 ${time}`,
      delay: 60,
      distance: 740,
      origin: 'JFK',
      destination: 'ORD',
    }));
    const input = join(dir, 'scheduled.json');
    writeFileSync(input, JSON.stringify([...january, ...february]));
    const [jan, feb] = await buildMonths(input, join(dir, 'scheduled'), ['2001-01', '2001-02']);
    if (jan === undefined || feb === undefined) throw new Error('no months');
    const set = await assembleTrainingSet({ db: database.connection, trainMonths: [jan], testMonth: feb });
    // test rows are ordered by departure: 07:00, 07:05, 09:00; prior = 8 / 40 = 0.2, m = 20
    expect(column(set.test, 'flight_te').map((v) => +v.toFixed(6))).toEqual([0.3, 0.1, 0.2]); // (8+4)/40, 4/40, prior
    expect(column(set.test, 'flight_freq')).toEqual([0.5, 0.5, 0]);
    expect(column(set.test, 'route_te').map((v) => +v.toFixed(6))).toEqual([0.2, 0.2, 0.2]); // (8+4)/60
    // Out-of-fold on training rows: a 07:00 row's encoding leaves out its own fold.
    const rows = await storedRows([jan.featuresPath]);
    const trainTe = column(set.train, 'flight_te');
    const flights = rows.map((r) => r.flight);
    expect(new Set(flights)).toEqual(new Set(['JFK-ORD 0700', 'JFK-ORD 0705']));
    const { trainExpected } = expectedEncodings(rows, []);
    trainTe.forEach((v, i) => {
      expect(v, `train row ${i}`).toBeCloseTo(trainExpected[i]?.flight_te ?? NaN, 6);
    });
    expect(new Set(trainTe.map((v) => v.toFixed(6))).size).toBeGreaterThan(2); // folds differ
    // The test month never contributes: relabelling February's flights changes no feature.
    const relabelled = join(dir, 'scheduled-relabelled.json');
    writeFileSync(relabelled, JSON.stringify([...january, ...february.map((f) => ({ ...f, delay: 0 }))]));
    const [jan2, feb2] = await buildMonths(relabelled, join(dir, 'scheduled-relabelled'), [
      '2001-01',
      '2001-02',
    ]);
    if (jan2 === undefined || feb2 === undefined) throw new Error('no months');
    const after = await assembleTrainingSet({
      db: database.connection,
      trainMonths: [jan2],
      testMonth: feb2,
    });
    expect(Array.from(after.test.labels)).toEqual([0, 0, 0]);
    expect(after.test.features).toEqual(set.test.features);
    expect(after.train.features).toEqual(set.train.features);
  });

  it('builds month by month: a new month leaves the earlier months untouched and matches a fresh build', async () => {
    const incremental = join(dir, 'incremental');
    const first = await buildMonths(FLIGHTS_2K, incremental, ['2001-01', '2001-02']);
    const januaryBytes = readFileSync(first[0]?.featuresPath ?? '');
    const added = await buildMonths(FLIGHTS_2K, incremental, ['2001-03']);
    const fresh = await buildMonths(FLIGHTS_2K, join(dir, 'fresh'));
    expect(readFileSync(first[0]?.featuresPath ?? '')).toEqual(januaryBytes);
    const inc = await assembleTrainingSet({
      db: database.connection,
      trainMonths: first,
      testMonth: added[0] as MonthFeatureFiles,
    });
    const scratch = await assembleTrainingSet({
      db: database.connection,
      trainMonths: fresh.slice(0, 2),
      testMonth: fresh[2] as MonthFeatureFiles,
    });
    expect(inc.train.features).toEqual(scratch.train.features);
    expect(inc.test.features).toEqual(scratch.test.features);
    expect(inc.train.labels).toEqual(scratch.train.labels);
  });

  it('samples deterministically and refuses inconsistent inputs', async () => {
    const months = await buildMonths(FLIGHTS_2K, dir);
    const db = database.connection;
    const [january, february, march] = months as [MonthFeatureFiles, MonthFeatureFiles, MonthFeatureFiles];
    const sample = { trainRows: 300, testRows: 100, seed: 7 };
    const a = await assembleTrainingSet({ db, trainMonths: [january, february], testMonth: march, sample });
    const b = await assembleTrainingSet({ db, trainMonths: [february, january], testMonth: march, sample });
    expect(a.train.rows).toBe(300);
    expect(a.test.rows).toBe(100);
    expect(a.train.features).toEqual(b.train.features);
    expect(a.encodedTrainRows).toBeGreaterThan(300);
    await expect(
      assembleTrainingSet({ db, trainMonths: [january, march], testMonth: march }),
    ).rejects.toThrow(/also a training month/);
    await expect(assembleTrainingSet({ db, trainMonths: [], testMonth: march })).rejects.toThrow(
      /at least one/,
    );
    await expect(
      assembleTrainingSet({
        db,
        trainMonths: [{ ...january, aggregatesPath: february.aggregatesPath }],
        testMonth: march,
      }),
    ).rejects.toThrow(/hold months 2001-02 but the training months are 2001-01/);
  });
});

describe('readTabularData', () => {
  it('copies columns row-major and turns NULL features into NaN', async () => {
    const data = await readTabularData({
      db: database.connection,
      sql: `SELECT CAST(i AS FLOAT) AS a, CAST(CASE WHEN i % 2 = 0 THEN NULL ELSE i * 10 END AS FLOAT) AS b,
                   CAST(i % 2 AS UTINYINT) AS label FROM range(5000) t(i) ORDER BY i`,
      featureNames: ['a', 'b'],
    });
    expect(data.rows).toBe(5000);
    expect(Array.from(data.features.slice(0, 6))).toEqual([0, NaN, 1, 10, 2, NaN]);
    expect(data.features[2 * 4999]).toBe(4999);
    expect(data.features[2 * 4999 + 1]).toBe(49990);
    expect(Array.from(data.labels.slice(0, 4))).toEqual([0, 1, 0, 1]);
  });
});
