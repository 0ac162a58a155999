/**
 * The readers against the lakeFS client, with an injected `fetch` answering like the lakeFS API
 * (the approach of lakefs-data-repository.test.ts; no real server): a prefix is listed and each
 * object downloaded at the one commit the ref resolved to, into a temp folder removed after the
 * read, or into `cacheDir` by checksum (a second read downloads nothing).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import { readJson, readTable } from '../../src/versioning/data-readers.js';
import { LakeFsDataRepository } from '../../src/versioning/lakefs/lakefs-data-repository.js';

const COMMIT = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6abcd';
const OBJECTS: Record<string, string> = {
  'months/2001-01.csv': 'delay,origin\n5,SFO\n20,LAX\n',
  'months/2001-02.csv': 'delay,origin\n7,SFO\n',
  'config.json': '{"months":2}',
};
const stat = (path: string) => ({
  path,
  path_type: 'object',
  physical_address: `local://x/${path}`,
  checksum: Buffer.from(path).toString('hex').padEnd(32, '0').slice(0, 32),
  size_bytes: Buffer.byteLength(OBJECTS[path] ?? ''),
  mtime: 1_000_000,
  content_type: 'text/plain',
});

/** A lakeFS API for one repository `flights` whose `main` is at COMMIT; records object downloads. */
function fakeLakeFs(): { fetch: typeof fetch; downloads: string[]; refsAsked: string[] } {
  const downloads: string[] = [];
  const refsAsked: string[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetchImpl = (input: string | URL | Request): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const match = /^\/api\/v1\/repositories\/([^/]+)\/refs\/([^/]+)\/(.*)$/.exec(url.pathname);
    if (match === null || match[1] !== 'flights')
      return Promise.resolve(json({ message: 'repository not found' }, 404));
    const ref = decodeURIComponent(match[2] ?? '');
    const rest = match[3];
    if (ref !== 'main' && ref !== COMMIT) return Promise.resolve(json({ message: 'ref not found' }, 404));
    if (rest === 'commits') {
      refsAsked.push(ref);
      const commit = {
        id: COMMIT,
        parents: [],
        committer: 'me',
        message: 'm',
        creation_date: 1_000_000,
        meta_range_id: 'r',
        metadata: {},
      };
      return Promise.resolve(
        json({
          results: [commit],
          pagination: { has_more: false, next_offset: '', results: 1, max_per_page: 1000 },
        }),
      );
    }
    // Objects are only read at the commit, never at the branch (which could move meanwhile).
    if (ref !== COMMIT) return Promise.resolve(json({ message: `read at ${ref}` }, 400));
    const path = url.searchParams.get('path') ?? '';
    if (rest === 'objects/ls') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const results = Object.keys(OBJECTS)
        .filter((p) => p.startsWith(prefix))
        .sort()
        .map(stat);
      return Promise.resolve(
        json({
          results,
          pagination: { has_more: false, next_offset: '', results: results.length, max_per_page: 1000 },
        }),
      );
    }
    if (OBJECTS[path] === undefined) return Promise.resolve(json({ message: 'object not found' }, 404));
    if (rest === 'objects/stat') return Promise.resolve(json(stat(path)));
    downloads.push(path);
    return Promise.resolve(new Response(OBJECTS[path], { status: 200 }));
  };
  return { fetch: fetchImpl, downloads, refsAsked };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function client(fetchImpl: typeof fetch): LakeFsDataRepository {
  return new LakeFsDataRepository({
    endpoint: 'http://lakefs.test:8000/api/v1/',
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: 'secret-secret-secret',
    fetch: fetchImpl,
    sleep: () => Promise.resolve(),
  });
}

describe('readers on the lakeFS backend', () => {
  it('reads every CSV under a prefix at the resolved commit', async () => {
    const lakefs = fakeLakeFs();
    const table = await readTable(client(lakefs.fetch), 'lakefs://flights/main/months/');

    expect(table.toRows()).toEqual([
      { delay: 5, origin: 'SFO' },
      { delay: 20, origin: 'LAX' },
      { delay: 7, origin: 'SFO' },
    ]);
    expect(table.commitId).toBe(COMMIT);
    expect(table.uris).toEqual([
      `lakefs://flights/${COMMIT}/months/2001-01.csv`,
      `lakefs://flights/${COMMIT}/months/2001-02.csv`,
    ]);
    expect(lakefs.refsAsked).toEqual(['main']);
    expect(lakefs.downloads).toEqual(['months/2001-01.csv', 'months/2001-02.csv']);
    expect(await readJson(client(lakefs.fetch), 'lakefs://flights/main/config.json')).toEqual({ months: 2 });
  });

  it('keeps downloads in cacheDir by checksum: a second read downloads nothing', async () => {
    const lakefs = fakeLakeFs();
    const cacheDir = mkdtempSync(join(tmpdir(), 'lakeloop-read-cache-'));
    dirs.push(cacheDir);
    const data = client(lakefs.fetch);

    await readTable(data, 'lakefs://flights/main/months/', { cacheDir });
    const again = await readTable(data, 'lakefs://flights/main/months/2001-02.csv', { cacheDir });

    expect(again.rowCount).toBe(1);
    expect(lakefs.downloads).toEqual(['months/2001-01.csv', 'months/2001-02.csv']);
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });

  it('maps a missing repository and object to NOT_FOUND naming the URI', async () => {
    const data = client(fakeLakeFs().fetch);
    const repo = await readTable(data, 'lakefs://nope/main/a.csv').catch((error: unknown) => error);
    expect(isLakeloopError(repo, 'NOT_FOUND')).toBe(true);
    expect((repo as Error).message).toContain('lakefs://nope/main/a.csv');
    const object = await readTable(data, 'lakefs://flights/main/months/2001-03.csv').catch(
      (error: unknown) => error,
    );
    expect(isLakeloopError(object, 'NOT_FOUND')).toBe(true);
    expect((object as Error).message).toContain('lakeloop data ls lakefs://flights/main/months/');
  });
});
