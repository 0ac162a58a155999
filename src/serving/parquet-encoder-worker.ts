/**
 * The worker thread of {@link ParquetEncoder}: appends the rows of each job to an in-memory DuckDB
 * table and copies it to a Parquet file, whose bytes it sends back. Appending row by row costs
 * milliseconds per thousand rows: here, it never holds up the server's event loop.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { DuckDBInstance } from '@duckdb/node-api';
import type { EncodeJob, EncodeResult } from './parquet-encoder.js';

const port = parentPort;
if (port === null) throw new Error('parquet-encoder-worker runs as a worker thread');

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const folder = await mkdtemp(join(tmpdir(), 'lakeloop-prediction-log-'));

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

async function encode(job: EncodeJob): Promise<Uint8Array> {
  const width = job.featureNames.length;
  const columns = job.featureNames.map((name) => `${quote(name)} FLOAT`).join(', ');
  await connection.run('DROP TABLE IF EXISTS rows');
  await connection.run(`CREATE TABLE rows (served_at_ms BIGINT, ${columns}, prediction DOUBLE)`);
  const appender = await connection.createAppender('rows');
  for (let r = 0; r < job.rows; r++) {
    appender.appendBigInt(BigInt(Math.round(job.servedAtMs[r] ?? 0)));
    for (let j = 0; j < width; j++) {
      const value = job.matrix[r * width + j] ?? Number.NaN;
      if (Number.isNaN(value)) appender.appendNull();
      else appender.appendFloat(value);
    }
    appender.appendDouble(job.predictions[r] ?? Number.NaN);
    appender.endRow();
  }
  appender.closeSync();
  const file = join(folder, `${job.id}.parquet`);
  await connection.run(
    `COPY (SELECT make_timestamp(served_at_ms * 1000) AS served_at, ${literal(job.modelName)} AS model_name, ${literal(job.modelVersion)} AS model_version, * EXCLUDE (served_at_ms) FROM rows) TO ${literal(file)} (FORMAT parquet, COMPRESSION zstd)`,
  );
  try {
    return new Uint8Array(await readFile(file));
  } finally {
    await rm(file, { force: true });
  }
}

port.on('message', (message: EncodeJob | 'close') => {
  if (message === 'close') {
    connection.closeSync();
    void rm(folder, { recursive: true, force: true }).then(() => {
      port.close();
    });
    return;
  }
  void encode(message).then(
    (bytes) => {
      port.postMessage({ id: message.id, bytes } satisfies EncodeResult, [bytes.buffer as ArrayBuffer]);
    },
    (error: unknown) => {
      port.postMessage({ id: message.id, error: String(error) } satisfies EncodeResult);
    },
  );
});
