/**
 * `readTable`, `readText`, `readJson` and `openData` on the embedded backend with real Parquet,
 * CSV and JSON files written by DuckDB: typed columns, prefixes and globs, reads pinned to one
 * commit, blob files read in place, and the typed errors (NOT_FOUND naming the URI and how to
 * list, INVALID_ARGUMENT for malformed URIs and unsupported formats).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { text } from 'node:stream/consumers';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import { resolveDataFiles, globPattern } from '../../src/versioning/data-file-set.js';
import { openData, readJson, readTable, readText } from '../../src/versioning/data-readers.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';

let work: string;
let db: DuckDBInstance;

/** Writes the rows of `sql` to a file with DuckDB's COPY and returns its bytes. */
async function fileOf(sql: string, options: string, name: string): Promise<Buffer> {
  const connection = await db.connect();
  const path = join(work, name);
  await connection.run(`COPY (${sql}) TO '${path}' (${options})`);
  connection.closeSync();
  return readFileSync(path);
}

const MONTH = (month: number, rows: number) =>
  `SELECT (i + ${month * 100_000})::INTEGER AS id, (i % 97)::BIGINT AS delay,
          CASE WHEN i % 10 = 0 THEN NULL ELSE i / 4 END::DOUBLE AS ratio,
          CASE WHEN i % 2 = 0 THEN 'SFO' ELSE 'LAX' END AS origin,
          TIMESTAMP '2001-0${month}-01 00:00:00' + INTERVAL (i) SECOND AS at,
          DATE '2001-0${month}-01' AS day, i % 3 = 0 AS flag
   FROM range(${rows}) t(i)`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'lakeloop-readers-files-'));
  db = await DuckDBInstance.create(':memory:');
});
afterAll(() => {
  db.closeSync();
  rmSync(work, { recursive: true, force: true });
});

const homes: string[] = [];
const repos: EmbeddedDataRepository[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.close();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

async function repository(): Promise<EmbeddedDataRepository> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-readers-'));
  homes.push(home);
  const data = new EmbeddedDataRepository({ home });
  repos.push(data);
  await data.createRepository({ name: 'flights' });
  return data;
}

async function put(data: EmbeddedDataRepository, path: string, content: string | Uint8Array): Promise<void> {
  await data.putObject({ repository: 'flights', branch: 'main', path, content });
}

async function commit(data: EmbeddedDataRepository, message: string): Promise<string> {
  return (await data.commit({ repository: 'flights', branch: 'main', message })).id;
}

async function code(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isLakeloopError(error)) throw new Error(`expected a LakeloopError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe('readTable', () => {
  it('reads a Parquet file into typed columns: integers, BIGINT and decimals as doubles, timestamps as epoch ms, text as strings', async () => {
    const data = await repository();
    await put(data, 'months/2001-01.parquet', await fileOf(MONTH(1, 20_000), 'FORMAT parquet', 'm1.parquet'));
    const commitId = await commit(data, 'january');

    const table = await readTable(data, 'lakefs://flights/main/months/2001-01.parquet');

    expect(table.rowCount).toBe(20_000);
    expect(table.columnNames).toEqual(['id', 'delay', 'ratio', 'origin', 'at', 'day', 'flag']);
    expect(table.types).toMatchObject({
      id: 'INTEGER',
      delay: 'BIGINT',
      ratio: 'DOUBLE',
      at: 'TIMESTAMP',
      day: 'DATE',
    });
    expect(table.columns.id).toBeInstanceOf(Int32Array);
    expect(table.columns.delay).toBeInstanceOf(Float64Array);
    expect(table.columns.flag).toBeInstanceOf(Uint8Array);
    expect(Array.from((table.columns.id as Int32Array).subarray(0, 3))).toEqual([100_000, 100_001, 100_002]);
    expect((table.columns.delay as Float64Array)[98]).toBe(1);
    expect((table.columns.origin as string[]).slice(0, 2)).toEqual(['SFO', 'LAX']);
    expect((table.columns.at as Float64Array)[61]).toBe(Date.UTC(2001, 0, 1, 0, 1, 1));
    expect((table.columns.day as Float64Array)[0]).toBe(Date.UTC(2001, 0, 1));
    expect(Array.from((table.columns.flag as Uint8Array).subarray(0, 4))).toEqual([1, 0, 0, 1]);
    // NULLs: NaN in a float column, and a validity mask for the columns that have NULLs only.
    const ratio = table.columns.ratio as Float64Array;
    expect(Number.isNaN(ratio[0])).toBe(true);
    expect(ratio[1]).toBe(0.25);
    expect(table.validity.ratio?.[0]).toBe(0);
    expect(table.validity.ratio?.[1]).toBe(1);
    expect(Object.keys(table.validity)).toEqual(['ratio']);
    expect(table.commitId).toBe(commitId);
    expect(table.uris).toEqual([`lakefs://flights/${commitId}/months/2001-01.parquet`]);
  });

  it('applies columns, where and limit in DuckDB', async () => {
    const data = await repository();
    await put(data, 'm.parquet', await fileOf(MONTH(1, 1_000), 'FORMAT parquet', 'small.parquet'));
    await commit(data, 'm');

    const table = await readTable(data, 'lakefs://flights/main/m.parquet', {
      columns: ['origin', 'delay'],
      where: "origin = 'LAX' AND delay > 90",
      limit: 3,
    });

    expect(table.columnNames).toEqual(['origin', 'delay']);
    expect(table.rowCount).toBe(3);
    expect(table.toRows()).toEqual([
      { origin: 'LAX', delay: 91 },
      { origin: 'LAX', delay: 93 },
      { origin: 'LAX', delay: 95 },
    ]);
  });

  it('reads every Parquet file under a prefix, and the files a glob matches, as one table', async () => {
    const data = await repository();
    for (const month of [1, 2, 3]) {
      await put(
        data,
        `months/2001-0${month}.parquet`,
        await fileOf(MONTH(month, 500), 'FORMAT parquet', `p${month}.parquet`),
      );
    }
    await put(data, 'months/README.txt', 'three months');
    await put(
      data,
      'months/archive/2000-12.parquet',
      await fileOf(MONTH(9, 10), 'FORMAT parquet', 'p9.parquet'),
    );
    await commit(data, 'three months');

    const all = await readTable(data, 'lakefs://flights/main/months/', { columns: ['id'] });
    expect(all.rowCount).toBe(1_510);
    // Path order; README.txt is not a table and is left out.
    expect(all.uris.map((uri) => uri.split('/').slice(4).join('/'))).toEqual([
      'months/2001-01.parquet',
      'months/2001-02.parquet',
      'months/2001-03.parquet',
      'months/archive/2000-12.parquet',
    ]);

    const glob = await readTable(data, 'lakefs://flights/main/months/2001-0[12].parquet', {
      columns: ['id'],
    });
    expect(glob.rowCount).toBe(1_000);
    const deep = await readTable(data, 'lakefs://flights/main/**/*-12.parquet', { columns: ['id'] });
    expect(deep.rowCount).toBe(10);
    expect(deep.uris).toHaveLength(1);
  });

  it('reads CSV (also gzipped) and JSON lines', async () => {
    const data = await repository();
    const csv = 'city,flights\nSFO,3\nLAX,4\n';
    await put(data, 'in/cities.csv', csv);
    await put(data, 'in/cities.csv.gz', gzipSync(csv));
    await put(data, 'in/events.jsonl', '{"kind":"a","n":1}\n{"kind":"b","n":2}\n');
    await commit(data, 'text tables');

    expect((await readTable(data, 'lakefs://flights/main/in/cities.csv')).toRows()).toEqual([
      { city: 'SFO', flights: 3 },
      { city: 'LAX', flights: 4 },
    ]);
    expect((await readTable(data, 'lakefs://flights/main/in/cities.csv.gz')).rowCount).toBe(2);
    const events = await readTable(data, 'lakefs://flights/main/in/events.jsonl');
    expect(events.toRows()).toEqual([
      { kind: 'a', n: 1 },
      { kind: 'b', n: 2 },
    ]);
  });

  it('reads the commit the ref resolved to: a commit id keeps reading the old data after the branch moved', async () => {
    const data = await repository();
    await put(data, 't.csv', 'x\n1\n');
    const first = await commit(data, 'one row');
    await put(data, 't.csv', 'x\n1\n2\n');
    const second = await commit(data, 'two rows');

    expect((await readTable(data, `lakefs://flights/${first}/t.csv`)).rowCount).toBe(1);
    const head = await readTable(data, 'lakefs://flights/main/t.csv');
    expect(head.rowCount).toBe(2);
    expect(head.commitId).toBe(second);
    expect((await readTable(data, 'lakefs://flights/main~1/t.csv')).rowCount).toBe(1);
  });

  it('reads the embedded blob files in place, without streaming the objects', async () => {
    const data = await repository();
    await put(data, 'big.parquet', await fileOf(MONTH(1, 50_000), 'FORMAT parquet', 'big.parquet'));
    await commit(data, 'big');
    const getObject = vi.spyOn(data, 'getObject');

    const table = await readTable(data, 'lakefs://flights/main/big.parquet', { columns: ['id'] });

    expect(table.rowCount).toBe(50_000);
    expect(getObject).not.toHaveBeenCalled();
  });

  it('refuses unknown repositories, refs and paths with NOT_FOUND naming the URI and how to list', async () => {
    const data = await repository();
    await put(data, 'months/a.csv', 'x\n1\n');
    await commit(data, 'a');

    const repo = await code(readTable(data, 'lakefs://nope/main/a.csv'));
    expect(repo.code).toBe('NOT_FOUND');
    expect(repo.message).toContain('lakefs://nope/main/a.csv');
    expect(repo.message).toContain('lakeloop data repo list');
    const ref = await code(readTable(data, 'lakefs://flights/nobranch/a.csv'));
    expect(ref.code).toBe('NOT_FOUND');
    expect(ref.message).toContain('lakeloop data branch list flights');
    const path = await code(readTable(data, 'lakefs://flights/main/months/b.csv'));
    expect(path.code).toBe('NOT_FOUND');
    expect(path.message).toContain('lakeloop data ls lakefs://flights/main/months/');
    const prefix = await code(readTable(data, 'lakefs://flights/main/nothing/'));
    expect(prefix.code).toBe('NOT_FOUND');
    expect(prefix.message).toContain('lakeloop data ls lakefs://flights/main/nothing/');
  });

  it('refuses malformed URIs, unsupported formats, mixed formats and bad columns with INVALID_ARGUMENT', async () => {
    const data = await repository();
    await put(data, 'mixed/a.csv', 'x\n1\n');
    await put(data, 'mixed/b.jsonl', '{"x":1}\n');
    await put(data, 'notes.txt', 'hello');
    await commit(data, 'mixed');

    const malformed = await code(readTable(data, 's3://flights/main/a.csv'));
    expect(malformed.code).toBe('INVALID_ARGUMENT');
    expect(malformed.message).toContain('lakefs://<repository>/<ref>/<path>');
    expect((await code(readTable(data, 'lakefs://flights'))).code).toBe('INVALID_ARGUMENT');
    const format = await code(readTable(data, 'lakefs://flights/main/notes.txt'));
    expect(format.code).toBe('INVALID_ARGUMENT');
    expect(format.message).toContain('parquet, csv, json');
    const mixed = await code(readTable(data, 'lakefs://flights/main/mixed/'));
    expect(mixed.code).toBe('INVALID_ARGUMENT');
    expect(mixed.message).toContain('format');
    expect((await readTable(data, 'lakefs://flights/main/mixed/', { format: 'csv' })).rowCount).toBe(1);
    const column = await code(readTable(data, 'lakefs://flights/main/mixed/a.csv', { columns: ['nope'] }));
    expect(column.code).toBe('INVALID_ARGUMENT');
    expect(column.message).toContain('nope');
    expect((await code(readTable(data, 'lakefs://flights/main/mixed/a.csv', { limit: -1 }))).code).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('readText, readJson and openData', () => {
  it('read an object as text, as JSON and as a stream, at the ref the URI names', async () => {
    const data = await repository();
    await put(data, 'config.json', JSON.stringify({ months: 6 }));
    const first = await commit(data, 'config');
    await put(data, 'config.json', JSON.stringify({ months: 7 }));
    await commit(data, 'config 2');

    expect(await readJson(data, 'lakefs://flights/main/config.json')).toEqual({ months: 7 });
    expect(await readJson(data, `lakefs://flights/${first}/config.json`)).toEqual({ months: 6 });
    expect(await readText(data, 'lakefs://flights/main/config.json')).toBe('{"months":7}');
    expect(await text(await openData(data, 'lakefs://flights/main~1/config.json'))).toBe('{"months":6}');
  });

  it('refuses non-JSON, prefixes and missing objects with typed errors', async () => {
    const data = await repository();
    await put(data, 'dir/notes.txt', 'not json');
    await commit(data, 'notes');

    expect((await code(readJson(data, 'lakefs://flights/main/dir/notes.txt'))).code).toBe('INVALID_ARGUMENT');
    expect((await code(openData(data, 'lakefs://flights/main/dir/'))).code).toBe('INVALID_ARGUMENT');
    const missing = await code(readText(data, 'lakefs://flights/main/dir/gone.txt'));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('lakeloop data ls lakefs://flights/main/dir/');
  });
});

describe('resolveDataFiles', () => {
  it('downloads objects without a blob file to a temp folder that release removes', async () => {
    const data = await repository();
    await put(data, 'small.csv', 'x\n1\n'); // small objects put from memory live in SQLite, not a file
    await commit(data, 'small');

    const files = await resolveDataFiles(data, 'lakefs://flights/main/small.csv');
    const local = files.files[0]?.localPath ?? '';
    expect(readFileSync(local, 'utf8')).toBe('x\n1\n');
    expect(local.endsWith('small.csv')).toBe(true);
    await files.release();
    expect(existsSync(local)).toBe(false);
  });

  it('matches globs: * and ? within a folder, ** across folders, [..] classes', () => {
    const glob = (pattern: string) => globPattern(pattern) ?? /never/;
    expect(glob('m/*.parquet').test('m/a.parquet')).toBe(true);
    expect(glob('m/*.parquet').test('m/x/a.parquet')).toBe(false);
    expect(glob('m/**/*.parquet').test('m/a.parquet')).toBe(true);
    expect(glob('m/**/*.parquet').test('m/x/y/a.parquet')).toBe(true);
    expect(glob('m/200?-0[1-3].csv').test('m/2001-02.csv')).toBe(true);
    expect(glob('m/200?-0[1-3].csv').test('m/2001-04.csv')).toBe(false);
    expect(glob('m/a.b').test('m/axb')).toBe(false);
    expect(globPattern('m/plain.csv')).toBeUndefined();
  });
});
