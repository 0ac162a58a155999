/**
 * Arrow IPC bodies (`application/vnd.apache.arrow.stream`) written by a real Arrow implementation —
 * pyarrow, from the test virtualenv that `node scripts/test-setup.js` creates (mlflow brings it) —
 * answered like `loadModel(...).predict`: columns in another order, float64 / float32 / int64
 * types, nulls as missing values, two record batches. Skipped locally without the virtualenv;
 * fails under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/tracking/index.js';
import { VENV } from '../tracking/mlflow-server-process.js';
import { createServingHome, FEATURES, startServe, testRowObjects } from './serving-fixtures.js';
import type { ServeProcess, ServingHome } from './serving-fixtures.js';

const python = join(VENV, 'bin', 'python');
const available = existsSync(python);
if (!available && process.env.CI === 'true') {
  throw new Error(`${python} is missing: run \`node scripts/test-setup.js\` (pyarrow comes with mlflow).`);
}

/** An Arrow IPC stream of `rows` (by name), written by pyarrow with the given column types. */
function arrowStream(rows: readonly Record<string, number | null>[]): Buffer {
  const script = `
import sys, json, pyarrow as pa
rows = json.loads(sys.stdin.read())
order = ["route_rate", "hour", "day", "skew", "log_distance"]
types = {"route_rate": pa.float64(), "hour": pa.int64(), "day": pa.float32(), "skew": pa.float64(), "log_distance": pa.float32()}
def column(name):
    values = [r[name] for r in rows]
    if name == "hour":
        values = [None if v is None else int(v) for v in values]
    return pa.array(values, type=types[name])
table = pa.table({name: column(name) for name in order})
sink = pa.BufferOutputStream()
with pa.ipc.new_stream(sink, table.schema) as writer:
    for batch in table.to_batches(max_chunksize=(len(rows) + 1) // 2):
        writer.write_batch(batch)
sys.stdout.buffer.write(sink.getvalue().to_pybytes())
`;
  const result = spawnSync(python, ['-c', script], { input: JSON.stringify(rows) });
  if (result.status !== 0) throw new Error(`pyarrow failed: ${result.stderr.toString()}`);
  return result.stdout;
}

describe.skipIf(!available)(
  `lakeloop serve: Arrow IPC bodies${available ? '' : ` (skipped: no ${python}; run node scripts/test-setup.js)`}`,
  () => {
    let home: ServingHome;
    let server: ServeProcess;

    beforeAll(async () => {
      home = await createServingHome(1);
      server = await startServe(home.home, [`models:/${home.name}/1`]);
    }, 120_000);

    afterAll(async () => {
      await server.stop();
      await home.cleanup();
    });

    it('answers an Arrow stream like loadModel (any column order, int and float types, nulls)', async () => {
      // Whole hours: the int64 column must carry the same values the model sees.
      const rows = testRowObjects().map((row): Record<string, number | null> => ({
        ...row,
        hour: row.hour === null || row.hour === undefined ? null : Math.floor(row.hour),
      }));
      await using scorer = await loadModel(`models:/${home.name}/1`, {
        registry: home.registry,
        tracking: home.tracking,
      });
      const expected = await scorer.predict(
        rows.map((row) => Object.fromEntries(FEATURES.map((f) => [f, row[f] ?? null]))),
      );
      const response = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        body: arrowStream(rows),
        headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
      });
      expect(response.status).toBe(200);
      const { predictions } = (await response.json()) as { predictions: number[] };
      expect(predictions).toHaveLength(rows.length);
      predictions.forEach((p, i) => {
        expect(Math.abs(p - (expected[i] ?? Number.NaN))).toBeLessThan(1e-6);
      });
    });

    it('names a missing column of the stream', async () => {
      const script = `
import sys, pyarrow as pa
t = pa.table({"hour": [1.0], "skew": [1.0], "log_distance": [1.0], "route_rate": [1.0]})
s = pa.BufferOutputStream()
with pa.ipc.new_stream(s, t.schema) as w: w.write_table(t)
sys.stdout.buffer.write(s.getvalue().to_pybytes())`;
      const missing = spawnSync(python, ['-c', script]).stdout;
      const response = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        body: missing,
        headers: { 'content-type': 'application/vnd.apache.arrow.stream' },
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        /missing field "day"/,
      );
    });
  },
);
