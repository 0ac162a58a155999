/**
 * `importChunks` of flights-3m.parquet (3,000,000 rows) into 6 monthly commits on the embedded
 * repository, `--until 2001-07-01`. Goal (issue 3): <= 5 s.
 *
 *   npm run bench -- data-import
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importChunks } from '../src/versioning/chunk-import.js';
import { EmbeddedDataRepository } from '../src/versioning/local/embedded-data-repository.js';
import { median, reportBench } from './bench-report.js';

const file = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'node_modules',
  'vega-datasets',
  'data',
  'flights-3m.parquet',
);
const RUNS = 3;
const times: number[] = [];
let chunks = 0;
for (let run = 0; run < RUNS; run++) {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-bench-'));
  const data = new EmbeddedDataRepository({ home });
  try {
    await data.createRepository({ name: 'flights' });
    const started = performance.now();
    const result = await importChunks({
      data,
      file,
      repository: 'flights',
      branch: 'main',
      column: 'date',
      by: 'month',
      until: '2001-07-01',
    });
    times.push((performance.now() - started) / 1000);
    chunks = result.chunks.length;
  } finally {
    await data.close();
    rmSync(home, { recursive: true, force: true });
  }
}
reportBench(
  'data-import',
  [
    { name: 'import_chunks_flights_3m_median', value: median(times), unit: 's', goal: '<= 5 s' },
    { name: 'import_chunks_flights_3m_best', value: Math.min(...times), unit: 's' },
  ],
  { rows: 3_000_000, commits: chunks, runs: RUNS, loadAverage: loadavg() },
);
