/**
 * importChunks on real files (flights-2k as CSV, flights-3m.parquet), the URI resolver that lets
 * DuckDB read any commit, the bad inputs that must change nothing, and the import's temporary
 * folders (removed on success and failure; a killed import's removed by the next one).
 */
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IMPORT_TEMP_PREFIX,
  importChunks,
  removeStaleImportFolders,
} from '../../src/versioning/chunk-import.js';
import { LakeloopError } from '../../src/errors.js';
import type { ImportProgress } from '../../src/versioning/chunk-import.js';
import { formatDataUri, parseDataUri } from '../../src/versioning/data-uri.js';
import { resolveDataFile, resolveToLocalPath } from '../../src/versioning/local-path-resolver.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { expectCode } from '../contracts/data-repository.contract.js';

const DATA_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'node_modules',
  'vega-datasets',
  'data',
);
const IMPORT_CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'import-child.ts');
const homes: string[] = [];
const repos: EmbeddedDataRepository[] = [];

afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.close();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

async function setup(): Promise<{ data: EmbeddedDataRepository; home: string }> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  homes.push(home);
  const data = new EmbeddedDataRepository({ home });
  repos.push(data);
  await data.createRepository({ name: 'flights' });
  return { data, home };
}

/** flights-2k.json as a CSV file with ISO timestamps. */
function flights2kCsv(home: string): string {
  const rows = JSON.parse(readFileSync(join(DATA_DIR, 'flights-2k.json'), 'utf8')) as {
    date: string;
    delay: number;
    distance: number;
    origin: string;
    destination: string;
  }[];
  const lines = rows.map(
    (r) => `${r.date.replace(/\//g, '-')},${r.delay},${r.distance},${r.origin},${r.destination}`,
  );
  const file = join(home, 'flights-2k.csv');
  writeFileSync(file, `date,delay,distance,origin,destination\n${lines.join('\n')}\n`);
  return file;
}

async function countRows(file: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${file}')`);
    return Number(reader.getRowObjectsJson()[0]?.n);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('importChunks', () => {
  it('splits a CSV table into one Parquet file and one commit per month, oldest first', async () => {
    const { data, home } = await setup();
    const file = flights2kCsv(home);
    const progress: ImportProgress[] = [];
    const result = await importChunks({
      data,
      file,
      repository: 'flights',
      branch: 'main',
      column: 'date',
      path: 'months',
      onProgress: (p) => progress.push(p),
    });
    expect(result.format).toBe('csv');
    expect(result.chunks.map((c) => c.period)).toEqual(['2001-01', '2001-02', '2001-03']);
    expect(result.chunks.reduce((sum, c) => sum + c.rows, 0)).toBe(2000);
    expect(result).toMatchObject({ totalRows: 2000, rowsOutsideRange: 0, rowsWithoutDate: 0 });
    expect(progress.map((p) => `${p.done}/${p.total}`)).toEqual(['0/3', '1/3', '2/3', '3/3']);

    const log = await data.log({ repository: 'flights', ref: 'main' });
    expect(log.results.slice(0, 3).map((c) => c.metadata.period)).toEqual(['2001-03', '2001-02', '2001-01']);
    expect(log.results[0]?.metadata).toMatchObject({
      rows: String(result.chunks[2]?.rows),
      column: 'date',
      by: 'month',
    });

    // Every chunk is readable by DuckDB at its own commit, through a lakefs:// URI.
    const cacheDir = join(home, 'data', 'cache');
    for (const chunk of result.chunks) {
      const uri = formatDataUri({ repository: 'flights', ref: chunk.commitId, path: chunk.path });
      expect(await countRows(await resolveToLocalPath(data, uri, { cacheDir }))).toBe(chunk.rows);
    }
    // Re-running the import is a no-op: same bytes, no new commits.
    const head = await data.getBranch({ repository: 'flights', branch: 'main' });
    const again = await importChunks({
      data,
      file,
      repository: 'flights',
      branch: 'main',
      column: 'date',
      path: 'months',
    });
    expect(again.chunks.map((c) => c.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect((await data.getBranch({ repository: 'flights', branch: 'main' })).commitId).toBe(head.commitId);
    // main~2 is the January commit: February's file does not exist there.
    await expectCode(
      resolveToLocalPath(data, 'lakefs://flights/main~2/months/2001-02.parquet', { cacheDir }),
      'NOT_FOUND',
    );
  });

  it('imports flights-3m.parquet into 6 monthly commits with --until, reporting the 6 rows left out', async () => {
    const { data } = await setup();
    const result = await importChunks({
      data,
      file: join(DATA_DIR, 'flights-3m.parquet'),
      repository: 'flights',
      branch: 'main',
      column: 'date',
      by: 'month',
      until: '2001-07-01',
    });
    expect(result.format).toBe('parquet');
    expect(result.chunks.map((c) => [c.period, c.path])).toEqual(
      ['01', '02', '03', '04', '05', '06'].map((m) => [`2001-${m}`, `flights-3m/2001-${m}.parquet`]),
    );
    expect(result.chunks.reduce((sum, c) => sum + c.rows, 0)).toBe(2_999_994);
    expect(result.rowsOutsideRange).toBe(6);
    expect(result.chunks.every((c) => c.status === 'committed')).toBe(true);
  });

  it('removes its temporary folder on success and on failure, and stale ones left by killed imports', async () => {
    const { data, home } = await setup();
    const tempRoot = join(home, 'tmp');
    mkdirSync(tempRoot);
    const stale = join(tempRoot, `${IMPORT_TEMP_PREFIX}killed`);
    const recent = join(tempRoot, `${IMPORT_TEMP_PREFIX}running`);
    mkdirSync(stale);
    writeFileSync(join(stale, '2001-01.parquet'), 'partial');
    mkdirSync(recent);
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    const imports = (): string[] => readdirSync(tempRoot).filter((n) => n.startsWith(IMPORT_TEMP_PREFIX));
    const during: string[][] = [];
    const file = flights2kCsv(home);
    const base = { data, file, repository: 'flights', branch: 'main', column: 'date', tempRoot };
    await importChunks({ ...base, onProgress: () => during.push(imports()) });
    expect(during[0]).toHaveLength(2); // its own folder next to the recent one; the stale one is gone
    expect(imports()).toEqual([`${IMPORT_TEMP_PREFIX}running`]);
    await expectCode(importChunks({ ...base, column: 'when' }), 'INVALID_ARGUMENT');
    await expectCode(
      importChunks({
        ...base,
        onProgress: () => {
          throw new LakeloopError('CANCELED', 'stopped by the test');
        },
      }),
      'CANCELED',
    );
    expect(imports()).toEqual([`${IMPORT_TEMP_PREFIX}running`]);
    expect(removeStaleImportFolders(tempRoot, 3_600_000, Date.now() + 2 * 3_600_000)).toEqual([recent]);
    expect(imports()).toEqual([]);
  });

  it('an import killed (SIGKILL) after its first commit leaves a folder the next import removes, and resumes', async () => {
    const { data, home } = await setup();
    const tempRoot = join(home, 'tmp');
    mkdirSync(tempRoot);
    const file = flights2kCsv(home);
    await data.close(); // the child process opens the repository itself
    const child = spawn(process.execPath, ['--import', 'tsx', IMPORT_CHILD, home, file, tempRoot], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.on('close', (_code, signal) => {
        resolve(signal);
      });
    });
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) lines.push(line);
    expect(await exited).toBe('SIGKILL');
    expect(lines).toEqual(['committed 2001-01']);
    const left = readdirSync(tempRoot).filter((n) => n.startsWith(IMPORT_TEMP_PREFIX));
    expect(left).toHaveLength(1); // a killed process cannot clean up
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(join(tempRoot, left[0] ?? ''), twoHoursAgo, twoHoursAgo);

    const again = new EmbeddedDataRepository({ home });
    repos.push(again);
    const result = await importChunks({
      data: again,
      file,
      tempRoot,
      repository: 'flights',
      branch: 'main',
      column: 'date',
    });
    expect(result.chunks.map((c) => [c.period, c.status])).toEqual([
      ['2001-01', 'unchanged'],
      ['2001-02', 'committed'],
      ['2001-03', 'committed'],
    ]);
    expect(readdirSync(tempRoot)).toEqual([]);
  });

  it('refuses a file that is not Parquet or CSV, a missing column, and bad dates, changing nothing', async () => {
    const { data, home } = await setup();
    const before = await data.getBranch({ repository: 'flights', branch: 'main' });
    const notParquet = join(home, 'broken.parquet');
    writeFileSync(notParquet, Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const base = { data, repository: 'flights', branch: 'main' };
    const error = await expectCode(
      importChunks({ ...base, file: notParquet, column: 'date' }),
      'INVALID_ARGUMENT',
    );
    expect(error.message).toMatch(/not a valid Parquet file/);
    const csv = flights2kCsv(home);
    const missing = await expectCode(
      importChunks({ ...base, file: csv, column: 'when' }),
      'INVALID_ARGUMENT',
    );
    expect(missing.message).toMatch(/no column "when".*date, delay/);
    const notDate = await expectCode(
      importChunks({ ...base, file: csv, column: 'origin' }),
      'INVALID_ARGUMENT',
    );
    expect(notDate.message).toMatch(/not a date or timestamp/);
    await expectCode(
      importChunks({ ...base, file: csv, column: 'date', until: "2001-01-01'; DROP" }),
      'INVALID_ARGUMENT',
    );
    await expectCode(importChunks({ ...base, file: join(home, 'nope.csv'), column: 'date' }), 'NOT_FOUND');
    await data.putObject({ repository: 'flights', branch: 'main', path: 'stray.txt', content: 'x' });
    await expectCode(importChunks({ ...base, file: csv, column: 'date' }), 'PRECONDITION_FAILED');
    expect((await data.getBranch({ repository: 'flights', branch: 'main' })).commitId).toBe(before.commitId);
  });
});

describe('lakefs:// URIs and local paths', () => {
  it('parses and formats URIs, and refuses malformed ones', () => {
    expect(parseDataUri('lakefs://flights/main/a/b.parquet')).toEqual({
      repository: 'flights',
      ref: 'main',
      path: 'a/b.parquet',
    });
    expect(parseDataUri('lakefs://flights/main~1')).toEqual({
      repository: 'flights',
      ref: 'main~1',
      path: '',
    });
    expect(formatDataUri({ repository: 'flights', ref: 'abc', path: 'x.csv' })).toBe(
      'lakefs://flights/abc/x.csv',
    );
    for (const bad of [
      's3://flights/main/a',
      'lakefs://flights',
      'lakefs://Fl/main/a',
      'lakefs://flights/main/../a',
    ]) {
      expect(() => parseDataUri(bad), bad).toThrow(/Invalid/);
    }
  });

  it('caches a resolved file by checksum and reads branches at the commit they point to', async () => {
    const { data, home } = await setup();
    const cacheDir = join(home, 'data', 'cache');
    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.csv', content: 'x\n1\n' });
    const first = await data.commit({ repository: 'flights', branch: 'main', message: 'v1' });
    const resolved = await resolveDataFile(data, 'lakefs://flights/main/a.csv', { cacheDir });
    expect(resolved.commitId).toBe(first.id);
    expect(resolved.immutableUri).toBe(`lakefs://flights/${first.id}/a.csv`);
    expect(readFileSync(resolved.path, 'utf8')).toBe('x\n1\n');
    expect(resolved.path.startsWith(cacheDir)).toBe(true);
    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.csv', content: 'x\n2\n' });
    await data.commit({ repository: 'flights', branch: 'main', message: 'v2' });
    const second = await resolveToLocalPath(data, 'lakefs://flights/main/a.csv', { cacheDir });
    expect(second).not.toBe(resolved.path);
    expect(readFileSync(second, 'utf8')).toBe('x\n2\n');
    expect(await resolveToLocalPath(data, `lakefs://flights/${first.id}/a.csv`, { cacheDir })).toBe(
      resolved.path,
    );
    await expectCode(resolveToLocalPath(data, 'lakefs://flights/main/', { cacheDir }), 'INVALID_ARGUMENT');
  });
});
