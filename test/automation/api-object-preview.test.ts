/**
 * `GET /api/data/repositories/:repo/objects/preview` through `app.request` (no socket) against the
 * real embedded data repository: Parquet written by DuckDB (small ones stored inline, read through
 * a temporary file; large ones read in place from their blob), CSV, text (whole and cut at
 * 64 KiB), binary, a corrupt Parquet (400), missing paths and refs (404), and the row bound. Then
 * the module itself: the copy bound and the CSV prefix behind a backend without local files, and
 * that no temporary file is left.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { Instance } from '../../src/core/instance/instance.js';
import { createApiApp } from '../../src/server/api-app.js';
import type { DataRepository } from '../../src/versioning/data-repository.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { CSV_PREFIX_BYTES, previewObject, TEXT_PREVIEW_BYTES } from '../../src/versioning/object-preview.js';
import { automationDefs } from './fixtures/automation-defs.js';

const PREVIEW = '/api/data/repositories/flights/objects/preview';

/** A Parquet file of `rows` rows written by DuckDB (ids, text, a date, a timestamp, a large BIGINT, a list). */
async function parquetBytes(dir: string, rows: number): Promise<Buffer> {
  const file = join(dir, `t-${rows}.parquet`);
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    await connection.run(
      `COPY (SELECT range AS id, 'flight ' || range::VARCHAR || repeat('x', 20) AS name,
                    DATE '2001-01-01' + range::INTEGER % 28 AS day,
                    TIMESTAMP '2001-01-01 10:30:00' AS departed,
                    9007199254740993::BIGINT AS big, [range, range + 1] AS pair
             FROM range(${rows})) TO '${file}' (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    db.closeSync();
  }
  return readFileSync(file);
}

function previewTemps(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('lakeloop-preview-'));
}

describe('REST API: object preview', () => {
  let dir: string;
  let instance: Instance;
  let data: EmbeddedDataRepository;
  let app: Hono;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    instance = await Instance.ephemeral({ clock: manualClock(Date.parse('2026-03-01T00:00:00Z')) });
    data = new EmbeddedDataRepository({ home: join(dir, 'home') });
    await data.createRepository({ name: 'flights' });
    app = createApiApp({ defs: automationDefs().defs, instance, data });
  });

  afterEach(async () => {
    await data.close();
    await instance.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const put = (path: string, content: string | Uint8Array) =>
    data.putObject({ repository: 'flights', branch: 'main', path, content });

  const get = async (query: string) => {
    const response = await app.request(`${PREVIEW}?${query}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('previews a small Parquet object with its columns, JSON-safe values and row count', async () => {
    await put('months/small.parquet', await parquetBytes(dir, 3));
    const { status, body } = await get('ref=main&path=months/small.parquet');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      kind: 'table',
      format: 'parquet',
      path: 'months/small.parquet',
      truncated: false,
      totalRows: 3,
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'day', type: 'DATE' },
        { name: 'departed', type: 'TIMESTAMP' },
        { name: 'big', type: 'BIGINT' },
        { name: 'pair', type: 'BIGINT[]' },
      ],
    });
    expect((body['rows'] as unknown[][])[1]).toEqual([
      1,
      `flight 1${'x'.repeat(20)}`,
      '2001-01-02',
      '2001-01-01T10:30:00.000Z',
      '9007199254740993', // beyond 2^53: a string, not a rounded number
      [1, 2],
    ]);
    expect(body['ref']).toBe('main');
  });

  it('reads a large Parquet object in place: the first 100 rows, or fewer on request, and its total', async () => {
    const bytes = await parquetBytes(dir, 20_000);
    expect(bytes.length).toBeGreaterThan(64 * 1024); // a blob file, not inline
    await put('months/large.parquet', bytes);
    const commit = await data.commit({ repository: 'flights', branch: 'main', message: 'large' });
    const address = { repository: 'flights', ref: commit.id, path: 'months/large.parquet' };
    expect((await data.blobPathOf(address)).path).toBeDefined(); // so the preview reads it in place
    const all = await get(`ref=${commit.id}&path=months/large.parquet`);
    expect(all.body).toMatchObject({ kind: 'table', truncated: true, totalRows: 20_000, size: bytes.length });
    expect((all.body['rows'] as unknown[][]).map((row) => row[0])).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    const five = await get('ref=main&path=months/large.parquet&rows=5');
    expect(five.body['rows']).toHaveLength(5);
    expect(five.body['truncated']).toBe(true);
  });

  it('previews CSV, cut at the row bound, without a total', async () => {
    await put('a.csv', 'origin,delay\nSFO,12\n"LAX, CA",-3\n');
    const small = await get('ref=main&path=a.csv');
    expect(small.body).toMatchObject({
      kind: 'table',
      format: 'csv',
      columns: [
        { name: 'origin', type: 'VARCHAR' },
        { name: 'delay', type: 'BIGINT' },
      ],
      rows: [
        ['SFO', 12],
        ['LAX, CA', -3],
      ],
      truncated: false,
    });
    expect(small.body).not.toHaveProperty('totalRows');
    const lines = Array.from({ length: 150 }, (_, i) => `${i},${i * 2}`).join('\n');
    await put('b.csv', `n,twice\n${lines}\n`);
    const cut = await get('ref=main&path=b.csv&rows=100');
    expect(cut.body['rows']).toHaveLength(100);
    expect(cut.body['truncated']).toBe(true);
  });

  it('reads .tsv as tab-separated, doubled quotes as one, and still detects a missing header', async () => {
    await put('c.tsv', 'origin\tnote\nSFO\t"said ""late"""\n');
    expect((await get('ref=main&path=c.tsv')).body).toMatchObject({
      columns: [{ name: 'origin' }, { name: 'note' }],
      rows: [['SFO', 'said "late"']],
    });
    await put('d.csv', '1,2.5\n2,3.5\n');
    expect((await get('ref=main&path=d.csv')).body).toMatchObject({
      columns: [
        { name: 'column0', type: 'BIGINT' },
        { name: 'column1', type: 'DOUBLE' },
      ],
      rows: [
        [1, 2.5],
        [2, 3.5],
      ],
    });
  });

  it('returns text whole, or its first 64 KiB marked truncated, and only the size of binary objects', async () => {
    await put('config.json', '{"lr": 0.1, "name": "délai"}');
    expect((await get('ref=main&path=config.json')).body).toMatchObject({
      kind: 'text',
      text: '{"lr": 0.1, "name": "délai"}',
      truncated: false,
    });
    const long = 'é'.repeat(40_000); // 80,000 bytes: the cut falls inside a character
    await put('notes.md', long);
    const cut = await get('ref=main&path=notes.md');
    expect(cut.body).toMatchObject({ kind: 'text', truncated: true, size: 80_000 });
    expect(cut.body['text']).toBe('é'.repeat(TEXT_PREVIEW_BYTES / 2));
    await put('model.bin', new Uint8Array([0x89, 0x50, 0x00, 0xff, 0x10]));
    expect((await get('ref=main&path=model.bin')).body).toMatchObject({ kind: 'binary', size: 5 });
    expect((await get('ref=main&path=model.bin')).body).not.toHaveProperty('text');
  });

  it('answers 400 for a corrupt Parquet object and for rows out of range, 404 for a missing path or ref', async () => {
    await put('bad.parquet', 'PAR1 not really parquet');
    const corrupt = await get('ref=main&path=bad.parquet');
    expect(corrupt).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    const message = (corrupt.body['error'] as { message: string }).message;
    expect(message).toContain('"bad.parquet" as Parquet');
    expect(message).not.toContain(tmpdir()); // names the object, not our temporary file
    expect((await get('ref=main&path=bad.parquet&rows=101')).status).toBe(400);
    expect((await get('ref=main&path=bad.parquet&rows=0')).status).toBe(400);
    expect((await get('ref=main')).status).toBe(400); // path is required
    const missing = await get('ref=main&path=months/nope.parquet');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(JSON.stringify(missing.body)).toContain('objects?ref=main&prefix=months/');
    expect((await get('ref=no-such-branch&path=bad.parquet')).status).toBe(404);
  });

  it('refuses to copy a Parquet object over the bound, reads only the start of a CSV without local files, and leaves no temporary file', async () => {
    const before = previewTemps();
    await put('small.parquet', await parquetBytes(dir, 3));
    const address = { repository: 'flights', ref: 'main', path: 'small.parquet' };
    await expect(previewObject(data, address, { maxTableBytes: 100 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/larger than the 0\.0 MiB a preview copies/) as unknown,
    });
    // The same backend seen without its local blob files (as lakeFS is): objects arrive as streams.
    const remote = new Proxy(data, {
      getPrototypeOf: () => Object.prototype,
      get: (target, key) => {
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as DataRepository;
    expect(remote instanceof EmbeddedDataRepository).toBe(false);
    const row = `${'x'.repeat(1000)}\n`;
    await put('huge.csv', `n\n${row.repeat(Math.ceil((CSV_PREFIX_BYTES * 1.5) / row.length))}`);
    const csv = await previewObject(remote, { ...address, path: 'huge.csv' }, { rows: 3 });
    expect(csv).toMatchObject({ kind: 'table', format: 'csv', truncated: true });
    expect(csv.kind === 'table' ? csv.rows : []).toHaveLength(3);
    const parquet = await previewObject(remote, address);
    expect(parquet).toMatchObject({ kind: 'table', totalRows: 3, truncated: false });
    expect(previewTemps()).toEqual(before);
  });
});
