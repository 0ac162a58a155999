/**
 * Unit tests of the pipeline's pure parts and of chunk validation on real Parquet files:
 * configuration (defaults, environment, overrides, the run-config schema, errors), the temporal
 * split plan, chunk validation (schema, types, ranges, month, garbled pages, single class), and the
 * Definitions' shape. The promotion (gates, promote_model) is tested in promotion.test.ts.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRun, Instance, isLakeloopError } from 'lakeloop';
import { badMonthSelect, garbleDataPages, writeParquet } from '../../test/e2e/bad-flight-chunks.js';
import { validateChunk } from './chunk-validation.js';
import { buildDefinitions, NEW_DATA_SENSOR, RETRAIN_JOB } from './definitions.js';
import { openFeatureDatabase } from './features/index.js';
import type { FeatureDatabase } from './features/index.js';
import { DEFAULT_RUN_CONFIG, resolveFlightConfig, runConfigSchema } from './pipeline-config.js';
import { planSplit } from './preprocess-asset.js';
import { formatVersionTable } from './version-table.js';

describe('pipeline configuration', () => {
  it('defaults to the brief’s model and flights@main', () => {
    const { settings, runDefaults } = resolveFlightConfig({}, {});
    expect(runDefaults).toEqual(DEFAULT_RUN_CONFIG);
    expect(runDefaults.gbdt).toEqual({
      maxIterations: 100,
      maxLeaves: 31,
      learningRate: 0.1,
      minSamplesLeaf: 20,
    });
    expect([settings.repository, settings.branch, settings.modelName]).toEqual([
      'flights',
      'main',
      'flight-delays',
    ]);
  });

  it('reads LAKELOOP_FLIGHTS_REPOSITORY/_BRANCH; overrides win over them and become the schema’s defaults', () => {
    const env = { LAKELOOP_FLIGHTS_BRANCH: 'dev', LAKELOOP_FLIGHTS_REPOSITORY: 'air' };
    const { settings, runDefaults } = resolveFlightConfig(
      { repository: 'planes', aucFloor: 0.65, gbdt: { maxLeaves: 15 } },
      env,
    );
    expect([settings.repository, settings.branch]).toEqual(['planes', 'dev']);
    const parsed = runConfigSchema(runDefaults).parse({ gbdt: { maxIterations: 40 } });
    expect(parsed.aucFloor).toBe(0.65);
    expect(parsed.gbdt).toEqual({ maxIterations: 40, maxLeaves: 15, learningRate: 0.1, minSamplesLeaf: 20 });
    expect(runConfigSchema().parse({})).toEqual(DEFAULT_RUN_CONFIG);
  });

  it('refuses invalid values naming the setting', () => {
    const bad = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
        return (error as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(bad(() => resolveFlightConfig({ aucFloor: 1.5 }, {}))).toContain('aucFloor');
    expect(bad(() => resolveFlightConfig({ gbdt: { maxLeaves: 1 } }, {}))).toContain('gbdt.maxLeaves');
    expect(bad(() => resolveFlightConfig({ modelName: '' }, {}))).toContain('modelName');
  });

  it('validates a run’s config at launch, naming the field', async () => {
    const { defs } = buildDefinitions({ home: join(tmpdir(), 'lakeloop-never-opened'), env: {} });
    const home = mkdtempSync(join(tmpdir(), 'lakeloop-config-'));
    const instance = await Instance.open(home);
    try {
      await expect(
        createRun(defs, {
          instance,
          jobName: RETRAIN_JOB,
          config: { retrain: { gbdt: { maxLeaves: 'many' } } },
        }),
      ).rejects.toThrow(/config\.retrain\.gbdt\.maxLeaves/);
      expect(await instance.runs.listRuns()).toEqual([]);
    } finally {
      await instance.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('temporal split', () => {
  it('evaluates on the newest month; a single month holds out its last days', () => {
    expect(planSplit(['2001-01', '2001-02', '2001-03'], 7)).toEqual({
      trainMonths: ['2001-01', '2001-02'],
      testLabel: '2001-03',
    });
    expect(planSplit(['2001-01'], 7)).toEqual({
      trainMonths: ['2001-01'],
      testLabel: '2001-01 (last 7 days)',
    });
  });
});

const FLIGHTS_2K = resolve('node_modules/vega-datasets/data/flights-2k.json');

describe('chunk validation', () => {
  let dir: string;
  let features: FeatureDatabase;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    features = await openFeatureDatabase({ threads: 1 });
  });
  afterEach(() => {
    features.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function parquet(name: string, select: string): Promise<string> {
    const file = join(dir, name);
    await features.connection.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
    return file;
  }

  const good = `SELECT TIMESTAMP '2001-02-03 10:00:00' AS date, 20::BIGINT AS delay, 300::BIGINT AS distance,
                       'SFO' AS origin, 'LAX' AS destination
                UNION ALL SELECT TIMESTAMP '2001-02-28 23:59:00', -5, 1200, 'JFK', 'ORD'`;

  it('accepts a valid chunk and counts its rows and positives', async () => {
    const file = await parquet('good.parquet', good);
    const result = await validateChunk({
      db: features.connection,
      file,
      name: 'flights/2001-02.parquet',
      month: '2001-02',
    });
    expect(result).toEqual({ rows: 2, positives: 1, problems: [] });
  });

  it('names the file and the column of a wrong type or a missing column', async () => {
    const typed = await parquet(
      'typed.parquet',
      `SELECT date, CAST(delay AS VARCHAR) AS delay, distance, origin, destination FROM (${good})`,
    );
    const missing = await parquet('missing.parquet', `SELECT date, delay, distance, origin FROM (${good})`);
    const db = features.connection;
    const name = 'flights/2001-02.parquet';
    expect((await validateChunk({ db, file: typed, name, month: '2001-02' })).problems).toEqual([
      'flights/2001-02.parquet: column "delay" has type VARCHAR, expected an integer (minutes)',
    ]);
    expect((await validateChunk({ db, file: missing, name, month: '2001-02' })).problems[0]).toContain(
      'flights/2001-02.parquet has no column "destination"',
    );
  });

  it('reports rows outside the month, out-of-range values, bad codes and missing values', async () => {
    const file = await parquet(
      'ranges.parquet',
      `${good}
       UNION ALL SELECT TIMESTAMP '2001-03-01 00:00:00', 0, 100, 'SFO', 'LAX'
       UNION ALL SELECT TIMESTAMP '2001-02-10 08:00:00', 5000, 100, 'SFO', 'LAX'
       UNION ALL SELECT TIMESTAMP '2001-02-10 08:00:00', 0, 0, 'SFO', 'LAX'
       UNION ALL SELECT TIMESTAMP '2001-02-10 08:00:00', 0, 100, 'sfo?', 'LAX'
       UNION ALL SELECT TIMESTAMP '2001-02-10 08:00:00', NULL, 100, 'SFO', 'LAX'`,
    );
    const { problems } = await validateChunk({
      db: features.connection,
      file,
      name: 'x/2001-02.parquet',
      month: '2001-02',
    });
    expect(problems).toEqual([
      'x/2001-02.parquet: 1 rows with a missing value',
      'x/2001-02.parquet: 1 rows with a date outside 2001-02',
      'x/2001-02.parquet: 1 rows with a delay outside -1440..2880 minutes',
      'x/2001-02.parquet: 1 rows with a distance outside 1..6000 miles',
      'x/2001-02.parquet: 1 rows with an airport code that is not 3 letters/digits',
    ]);
  });

  it('reports a file that is not Parquet', async () => {
    const file = join(dir, 'text.parquet');
    await features.connection.run(`COPY (SELECT 1 AS a) TO '${file}' (FORMAT csv)`);
    const { problems } = await validateChunk({
      db: features.connection,
      file,
      name: 'x/2001-02.parquet',
      month: '2001-02',
    });
    expect(problems[0]).toMatch(/^x\/2001-02\.parquet is not a readable Parquet file/);
  });

  const uri = 'lakefs://flights/0123456789ab/flights/2001-03.parquet';

  it('reports garbled data pages under an intact footer in any of the five columns, without the local path', async () => {
    const db = features.connection;
    const source = await parquet(
      'flights-2k.parquet',
      `SELECT strptime(date, '%Y/%m/%d %H:%M') AS date, CAST(delay AS BIGINT) AS delay,
              CAST(distance AS BIGINT) AS distance, origin, destination
       FROM read_json('${FLIGHTS_2K}')`,
    );
    const intact = await writeParquet(
      db,
      badMonthSelect('garbled-pages', source, '2001-03'),
      join(dir, 'intact.parquet'),
    );
    expect(await validateChunk({ db, file: intact, name: uri, month: '2001-03' })).toMatchObject({
      problems: [],
    });
    for (const column of ['date', 'delay', 'distance', 'origin', 'destination']) {
      const file = join(dir, `garbled-${column}.parquet`);
      copyFileSync(intact, file);
      await garbleDataPages(db, file, column);
      const result = await validateChunk({ db, file, name: uri, month: '2001-03' });
      expect(result.problems, column).toHaveLength(1);
      expect(result.problems[0], column).toMatch(
        /^lakefs:\/\/flights\/0123456789ab\/flights\/2001-03\.parquet: the data pages cannot be read \(.+\); the file is corrupt although its footer is readable: export the month again and commit the chunk again$/,
      );
      expect(result.problems[0], column).not.toContain(dir);
    }
  });

  it('refuses a date of TIMESTAMP WITH TIME ZONE, saying what to write instead', async () => {
    const file = await parquet(
      'tz.parquet',
      `SELECT CAST(date AS TIMESTAMPTZ) AS date, delay, distance, origin, destination FROM (${good})`,
    );
    const { problems } = await validateChunk({ db: features.connection, file, name: uri, month: '2001-02' });
    expect(problems).toEqual([
      `${uri}: column "date" has type TIMESTAMP WITH TIME ZONE, expected TIMESTAMP (the local departure time, ` +
        'without time zone); write it as a TIMESTAMP without time zone and commit the chunk again',
    ]);
  });

  it('refuses a month with a single class, either way', async () => {
    const db = features.connection;
    const onTime = await parquet('on-time.parquet', `SELECT * FROM (${good}) WHERE delay <= 15`);
    const delayed = await parquet(
      'delayed.parquet',
      `SELECT date, 16 + abs(delay) AS delay, distance, origin, destination FROM (${good})`,
    );
    const what =
      'so a model can neither be trained nor evaluated on this month; check the export (a filter on delay?) and commit the complete month';
    expect(await validateChunk({ db, file: onTime, name: uri, month: '2001-02' })).toEqual({
      rows: 1,
      positives: 0,
      problems: [`${uri}: all 1 flights have delay <= 15 minutes (none delayed), ${what}`],
    });
    expect(await validateChunk({ db, file: delayed, name: uri, month: '2001-02' })).toEqual({
      rows: 2,
      positives: 2,
      problems: [`${uri}: all 2 flights have delay > 15 minutes (none on time), ${what}`],
    });
  });
});

describe('definitions', () => {
  it('has the five assets, the retrain job, the blocking checks and the sensor', () => {
    const { defs } = buildDefinitions({ home: join(tmpdir(), 'lakeloop-never-opened'), env: {} });
    expect(defs.select(defs.job(RETRAIN_JOB).select)).toEqual([
      'load_data',
      'preprocess',
      'train_model',
      'evaluate_model',
      'promote_model',
    ]);
    expect(defs.checksFor('load_data').map((c) => [c.name, c.blocking])).toEqual([['chunks_valid', true]]);
    expect(defs.checksFor('evaluate_model').map((c) => [c.name, c.blocking])).toEqual([
      ['auc_floor', true],
      ['not_worse_than_champion', true],
    ]);
    expect(defs.sensors.map((s) => s.name)).toEqual([NEW_DATA_SENSOR]);
  });
});

describe('version table', () => {
  it('formats one row per version with the champion marked', () => {
    const text = formatVersionTable([
      {
        version: '1',
        dataCommit: 'abcdef0123456789',
        evaluationMonth: '2001-02',
        trainRows: 508239,
        auc: 0.78912,
        logLoss: 0.44,
        gate: 'passed',
        champion: false,
        pipelineRunId: 'r1',
        durationSeconds: 12.34,
      },
      {
        version: '2',
        dataCommit: '0123456789abcdef',
        evaluationMonth: '2001-03',
        trainRows: 966409,
        auc: 0.7901,
        logLoss: 0.43,
        gate: 'passed',
        champion: true,
        pipelineRunId: 'r2',
        durationSeconds: undefined,
      },
    ]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain('abcdef012345');
    expect(lines[2]).toContain('508,239');
    expect(lines[2]).toContain('0.7891');
    expect(lines[2]).toContain('12.3 s');
    expect(lines[3]).toContain('* champion');
  });
});
