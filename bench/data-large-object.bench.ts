/**
 * Streams a 1 GiB object into the embedded data repository and reads it back, measuring the
 * process's peak RSS (the file is generated in a temp dir and deleted afterwards).
 * Goal (issue 3): peak RSS < 200 MiB.
 *
 *   npm run bench -- data-large-object
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDataRepository } from '../src/versioning/local/embedded-data-repository.js';
import { reportBench } from './bench-report.js';

const SIZE = 1 << 30;
const CHUNK = 8 << 20;
const mib = (bytes: number): number => bytes / (1 << 20);
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

const dir = mkdtempSync(join(tmpdir(), 'lakeloop-bench-'));
const data = new EmbeddedDataRepository({ home: join(dir, 'home') });
try {
  await data.createRepository({ name: 'large' });
  const file = join(dir, 'one-gib.bin');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(CHUNK);
  const sourceHash = createHash('sha256');
  for (let offset = 0; offset < SIZE; offset += CHUNK) {
    chunk.fill(offset / CHUNK);
    chunk.writeUInt32LE(offset / CHUNK, 0);
    sourceHash.update(chunk);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  const rssBefore = peakRss();

  let t = performance.now();
  const stat = await data.putObject({
    repository: 'large',
    branch: 'main',
    path: 'big/one-gib.bin',
    content: createReadStream(file, { highWaterMark: 1 << 20 }),
  });
  await data.commit({ repository: 'large', branch: 'main', message: '1 GiB object' });
  const putSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  const readHash = createHash('sha256');
  let readBytes = 0;
  for await (const part of await data.getObject({
    repository: 'large',
    ref: 'main',
    path: 'big/one-gib.bin',
  })) {
    const buffer = part as Buffer;
    readHash.update(buffer);
    readBytes += buffer.byteLength;
  }
  const readSeconds = (performance.now() - t) / 1000;
  const intact =
    readBytes === SIZE && readHash.digest('hex') === sourceHash.digest('hex') && stat.sizeBytes === SIZE;
  if (!intact) throw new Error('the 1 GiB object did not read back identical');
  reportBench(
    'data-large-object',
    [
      { name: 'peak_rss', value: mib(peakRss()), unit: 'MiB', goal: '< 200 MiB' },
      { name: 'peak_rss_before_put', value: mib(rssBefore), unit: 'MiB' },
      { name: 'put_and_commit_throughput', value: mib(SIZE) / putSeconds, unit: 'MiB/s' },
      { name: 'read_throughput', value: mib(SIZE) / readSeconds, unit: 'MiB/s' },
    ],
    { sizeBytes: SIZE, verified: intact, loadAverage: loadavg() },
  );
} finally {
  await data.close();
  rmSync(dir, { recursive: true, force: true });
}
