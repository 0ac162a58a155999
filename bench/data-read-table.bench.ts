/**
 * `readTable` of one month of flights (January 2001 of vega-datasets' flights-3m: 508k rows,
 * date TIMESTAMP, delay/distance BIGINT, origin/destination VARCHAR) from the embedded backend,
 * against node-api's own column reader (`getColumnsObjectJS`) on the same file: the typed columns
 * are what an ML step wants, and node-api's JS values (BigInt, DuckDBTimestampValue) are not.
 *
 *   npm run bench -- data-read-table
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readTable } from '../src/versioning/data-readers.js';
import { EmbeddedDataRepository } from '../src/versioning/local/embedded-data-repository.js';
import { reportBench } from './bench-report.js';

const SOURCE = 'node_modules/vega-datasets/data/flights-3m.parquet';
const ROUNDS = 5;
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const dir = mkdtempSync(join(tmpdir(), 'lakeloop-bench-read-'));
const month = join(dir, '2001-01.parquet');
const db = await DuckDBInstance.create(':memory:');
const connection = await db.connect();
await connection.run(
  `COPY (SELECT * FROM read_parquet('${SOURCE}') WHERE date >= TIMESTAMP '2001-01-01' AND date < TIMESTAMP '2001-02-01') TO '${month}' (FORMAT parquet)`,
);
const data = new EmbeddedDataRepository({ home: join(dir, 'home') });
try {
  await data.createRepository({ name: 'flights' });
  await data.putObject({
    repository: 'flights',
    branch: 'main',
    path: 'months/2001-01.parquet',
    content: readFileSync(month),
  });
  await data.commit({ repository: 'flights', branch: 'main', message: 'january' });

  const ours: number[] = [];
  const numeric: number[] = [];
  const nodeApi: number[] = [];
  let rows = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    const table = await readTable(data, 'lakefs://flights/main/months/');
    ours.push(performance.now() - t);
    rows = table.rowCount;

    t = performance.now();
    await readTable(data, 'lakefs://flights/main/months/', { columns: ['date', 'delay', 'distance'] });
    numeric.push(performance.now() - t);

    t = performance.now();
    const result = await connection.run(`SELECT * FROM read_parquet('${month}')`);
    await result.getColumnsObjectJS();
    nodeApi.push(performance.now() - t);
  }
  reportBench(
    'data-read-table',
    [
      {
        name: 'read_table_all_columns_median',
        value: median(ours),
        unit: 'ms',
        baseline: { name: 'node-api getColumnsObjectJS', value: median(nodeApi), unit: 'ms' },
      },
      { name: 'read_table_numeric_columns_median', value: median(numeric), unit: 'ms' },
      { name: 'rows', value: rows, unit: 'rows' },
      {
        name: 'rows_per_second_all_columns',
        value: Math.round(rows / (median(ours) / 1000)),
        unit: 'rows/s',
      },
    ],
    { rounds: ROUNDS, loadavg: loadavg()[0] },
  );
} finally {
  connection.closeSync();
  db.closeSync();
  await data.close();
  rmSync(dir, { recursive: true, force: true });
}
