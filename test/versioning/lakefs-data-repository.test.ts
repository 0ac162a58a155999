/**
 * Request shapes and error mapping of the lakeFS client, checked with an injected `fetch` that
 * records each request and answers like the lakeFS API would (a spy, not a mock of the service:
 * the contract suite runs against a real server when LAKEFS_ENDPOINT is set).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import { resolveLakeFsConfig } from '../../src/versioning/lakefs/lakefs-config.js';
import { LakeFsDataRepository } from '../../src/versioning/lakefs/lakefs-data-repository.js';
import { readText } from '../contracts/data-repository.contract.js';

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRETKEY';

interface Recorded {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}

type Reply = { status: number; json?: unknown; text?: string; headers?: Record<string, string> };

/** A fetch that records requests and answers from a queue of replies (or one reply for all). */
function recordingFetch(replies: Reply[] | ((request: Recorded) => Reply)): {
  fetch: typeof fetch;
  requests: Recorded[];
} {
  const requests: Recorded[] = [];
  const fetchImpl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    let body: string | undefined;
    if (typeof init?.body === 'string') body = init.body;
    else if (init?.body instanceof Uint8Array) body = Buffer.from(init.body).toString('utf8');
    else if (init?.body instanceof ReadableStream) body = await new Response(init.body).text();
    const recorded = {
      method: init?.method ?? 'GET',
      url: new URL(input instanceof Request ? input.url : input),
      headers,
      body,
    };
    requests.push(recorded);
    const reply = typeof replies === 'function' ? replies(recorded) : replies.shift();
    if (reply === undefined) throw new Error('no reply queued');
    const payload = reply.json === undefined ? (reply.text ?? '') : JSON.stringify(reply.json);
    return new Response(reply.status === 204 ? null : payload, {
      status: reply.status,
      headers: { 'content-type': 'application/json', ...reply.headers },
    });
  };
  return { fetch: fetchImpl, requests };
}

function client(fetchImpl: typeof fetch, sleeps: number[] = []): LakeFsDataRepository {
  return new LakeFsDataRepository({
    endpoint: 'http://lakefs.test:8000/api/v1/',
    accessKeyId: 'AKIAEXAMPLE',
    secretAccessKey: SECRET,
    fetch: fetchImpl,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
}

const pagination = (hasMore: boolean, next = '') => ({
  has_more: hasMore,
  next_offset: next,
  results: 1,
  max_per_page: 1000,
});

/** A server whose merge POST answers `status` with `message` (branch and log lookups succeed). */
function mergeAnswering(status: number, message: string): ReturnType<typeof recordingFetch> {
  return recordingFetch((request) => {
    if (request.method === 'POST') return { status, json: { message } };
    if (request.url.pathname.endsWith('/commits')) {
      return {
        status: 200,
        json: {
          pagination: pagination(false),
          results: [
            { id: 's', parents: [], committer: '', message: '', creation_date: 0, meta_range_id: '' },
          ],
        },
      };
    }
    return { status: 200, json: { id: 'main', commit_id: 'd' } };
  });
}

describe('LakeFsDataRepository request shapes', () => {
  it('creates a repository with basic auth, a storage namespace and the default branch', async () => {
    const { fetch, requests } = recordingFetch([
      {
        status: 201,
        json: {
          id: 'flights',
          creation_date: 1_700_000_000,
          default_branch: 'main',
          storage_namespace: 'local://flights',
        },
      },
    ]);
    const repo = await client(fetch).createRepository({ name: 'flights' });
    expect(repo).toMatchObject({
      name: 'flights',
      defaultBranch: 'main',
      storageNamespace: 'local://flights',
    });
    const [request] = requests;
    expect(request?.method).toBe('POST');
    expect(request?.url.href).toBe('http://lakefs.test:8000/api/v1/repositories');
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`AKIAEXAMPLE:${SECRET}`).toString('base64')}`,
    );
    const body = JSON.parse(request?.body ?? '{}') as Record<string, string>;
    expect(body).toMatchObject({ name: 'flights', default_branch: 'main' });
    // Under the namespace root, unique per creation (lakeFS refuses a namespace used before).
    expect(body['storage_namespace']).toMatch(/^local:\/\/flights-[0-9a-f]{8}$/);
  });

  it('gives every creation its own storage namespace under the configured root', async () => {
    const created = {
      status: 201,
      json: { id: 'flights', creation_date: 1, default_branch: 'main', storage_namespace: 'x' },
    };
    const { fetch, requests } = recordingFetch([created, created]);
    const repo = new LakeFsDataRepository({
      endpoint: 'http://lakefs.test:8000/api/v1/',
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: SECRET,
      storageNamespaceRoot: 's3://bucket/lakeloop',
      fetch,
    });
    await repo.createRepository({ name: 'flights' });
    await repo.createRepository({ name: 'flights' });
    const namespaces = requests.map(
      (r) => (JSON.parse(r.body ?? '{}') as Record<string, string>)['storage_namespace'],
    );
    expect(namespaces[0]).toMatch(/^s3:\/\/bucket\/lakeloop\/flights-[0-9a-f]{8}$/);
    expect(namespaces[1]).not.toBe(namespaces[0]);
  });

  it('uploads an object as a raw body with content type and x-lakefs-meta headers', async () => {
    const { fetch, requests } = recordingFetch([
      {
        status: 201,
        json: {
          path: 'raw/a b.csv',
          path_type: 'object',
          physical_address: 'x',
          checksum: 'abc',
          size_bytes: 4,
          mtime: 1_700_000_000,
          content_type: 'text/csv',
        },
      },
    ]);
    const stat = await client(fetch).putObject({
      repository: 'flights',
      branch: 'main',
      path: 'raw/a b.csv',
      content: 'a,b\n',
      contentType: 'text/csv',
      metadata: { period: '2001-01' },
    });
    expect(stat).toMatchObject({ path: 'raw/a b.csv', checksum: 'abc', sizeBytes: 4 });
    const [request] = requests;
    expect(request?.method).toBe('POST');
    expect(request?.url.pathname).toBe('/api/v1/repositories/flights/branches/main/objects');
    expect(request?.url.searchParams.get('path')).toBe('raw/a b.csv');
    expect(request?.headers['content-type']).toBe('text/csv');
    expect(request?.headers['x-lakefs-meta-period']).toBe('2001-01');
    expect(request?.body).toBe('a,b\n');
  });

  it('streams an upload from an async iterable without retrying it', async () => {
    const { fetch, requests } = recordingFetch([{ status: 503, json: { message: 'busy' } }]);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield await Promise.resolve(Buffer.from('part1-'));
      yield Buffer.from('part2');
    }
    const error = await client(fetch)
      .putObject({ repository: 'flights', branch: 'main', path: 'big.bin', content: chunks() })
      .catch((caught: unknown) => caught);
    expect(isLakeloopError(error, 'UNAVAILABLE')).toBe(true);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.body).toBe('part1-part2');
  });

  it('commits with message, metadata and date in epoch seconds', async () => {
    const { fetch, requests } = recordingFetch([
      {
        status: 201,
        json: {
          id: 'c1',
          parents: ['c0'],
          committer: 'me',
          message: 'm',
          creation_date: 978_307_200,
          meta_range_id: 'mr',
          metadata: { rows: '5' },
        },
      },
    ]);
    const commit = await client(fetch).commit({
      repository: 'flights',
      branch: 'main',
      message: 'm',
      metadata: { rows: '5' },
      date: new Date('2001-01-01T00:00:00Z'),
    });
    expect(commit).toMatchObject({ id: 'c1', parents: ['c0'], metadata: { rows: '5' }, metaRangeId: 'mr' });
    expect(commit.creationDate.toISOString()).toBe('2001-01-01T00:00:00.000Z');
    expect(requests[0]?.url.pathname).toBe('/api/v1/repositories/flights/branches/main/commits');
    expect(JSON.parse(requests[0]?.body ?? '{}')).toEqual({
      message: 'm',
      metadata: { rows: '5', 'lakeloop.request_id': expect.any(String) as string },
      date: 978_307_200,
    });
  });

  it('pages the log with after/amount/prefixes and maps has_more/next_offset', async () => {
    const commit = (id: string) => ({
      id,
      parents: [],
      committer: 'me',
      message: id,
      creation_date: 1,
      meta_range_id: '',
    });
    const { fetch, requests } = recordingFetch([
      { status: 200, json: { pagination: pagination(true, 'c2'), results: [commit('c3'), commit('c2')] } },
      { status: 200, json: { pagination: pagination(false), results: [commit('c1')] } },
    ]);
    const data = client(fetch);
    const first = await data.log({ repository: 'flights', ref: 'main~1', amount: 2, prefix: 'months/' });
    expect(first).toMatchObject({ hasMore: true, nextOffset: 'c2' });
    const second = await data.log({
      repository: 'flights',
      ref: 'main~1',
      amount: 2,
      after: first.nextOffset,
      firstParent: true,
    });
    expect(second).toMatchObject({ hasMore: false, nextOffset: '' });
    expect(requests[0]?.url.pathname).toBe('/api/v1/repositories/flights/refs/main~1/commits');
    expect(Object.fromEntries(requests[0]?.url.searchParams ?? [])).toEqual({
      amount: '2',
      prefixes: 'months/',
    });
    expect(Object.fromEntries(requests[1]?.url.searchParams ?? [])).toEqual({
      amount: '2',
      after: 'c2',
      first_parent: 'true',
    });
  });

  it('diffs two refs with the two_dot diff and lists objects with a delimiter', async () => {
    const { fetch, requests } = recordingFetch([
      {
        status: 200,
        json: {
          pagination: pagination(false),
          results: [{ type: 'added', path: 'a', path_type: 'object', size_bytes: 3 }],
        },
      },
      {
        status: 200,
        json: {
          pagination: pagination(false),
          results: [
            { path: 'm/', path_type: 'common_prefix', checksum: '', physical_address: '', mtime: 0 },
            {
              path: 'x.csv',
              path_type: 'object',
              checksum: 'e',
              physical_address: '',
              mtime: 2,
              size_bytes: 1,
              metadata: { 'X-Lakefs-Meta-Period': '1' },
            },
          ],
        },
      },
    ]);
    const data = client(fetch);
    const diff = await data.diff({ repository: 'flights', left: 'v1', right: 'main' });
    expect(diff.results).toEqual([{ type: 'added', path: 'a', pathType: 'object', sizeBytes: 3 }]);
    expect(requests[0]?.url.pathname).toBe('/api/v1/repositories/flights/refs/v1/diff/main');
    expect(requests[0]?.url.searchParams.get('type')).toBe('two_dot');
    const list = await data.listObjects({ repository: 'flights', ref: 'main', delimiter: '/' });
    expect(list.results).toEqual([
      { pathType: 'common_prefix', path: 'm/' },
      expect.objectContaining({ pathType: 'object', path: 'x.csv', metadata: { period: '1' } }),
    ]);
    expect(requests[1]?.url.pathname).toBe('/api/v1/repositories/flights/refs/main/objects/ls');
    expect(requests[1]?.url.searchParams.get('delimiter')).toBe('/');
  });

  it('merges with a strategy into a merge commit', async () => {
    const { fetch, requests } = recordingFetch((request) => {
      if (request.url.pathname.endsWith('/branches/main'))
        return { status: 200, json: { id: 'main', commit_id: 'd1' } };
      if (request.url.pathname.endsWith('/commits')) {
        return {
          status: 200,
          json: {
            pagination: pagination(false),
            results: [
              { id: 's1', parents: [], committer: '', message: '', creation_date: 0, meta_range_id: '' },
            ],
          },
        };
      }
      return { status: 200, json: { reference: 'm1' } };
    });
    const result = await client(fetch).merge({
      repository: 'flights',
      source: 'dev',
      destination: 'main',
      strategy: 'source-wins',
    });
    expect(result).toEqual({ reference: 'm1', kind: 'merge' });
    const merge = requests.find((r) => r.method === 'POST');
    expect(merge?.url.pathname).toBe('/api/v1/repositories/flights/refs/dev/merge/main');
    expect(JSON.parse(merge?.body ?? '{}')).toMatchObject({ strategy: 'source-wins' });
  });

  it('streams object content back', async () => {
    const { fetch, requests } = recordingFetch([{ status: 200, text: 'hello bytes' }]);
    const stream = await client(fetch).getObject({ repository: 'flights', ref: 'abc123', path: 'a/b.txt' });
    expect(await readText(stream)).toBe('hello bytes');
    expect(requests[0]?.url.pathname).toBe('/api/v1/repositories/flights/refs/abc123/objects');
    expect(requests[0]?.url.searchParams.get('path')).toBe('a/b.txt');
  });
});

describe('LakeFsDataRepository retries and errors', () => {
  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    const { fetch, requests } = recordingFetch([
      { status: 503, json: { message: 'unavailable' } },
      { status: 429, json: { message: 'slow down' } },
      { status: 200, json: { id: 'main', commit_id: 'c9' } },
    ]);
    const sleeps: number[] = [];
    const branch = await client(fetch, sleeps).getBranch({ repository: 'flights', branch: 'main' });
    expect(branch).toEqual({ name: 'main', commitId: 'c9' });
    expect(requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('does not retry 4xx and maps statuses to the embedded backend codes', async () => {
    const cases: [number, string, () => (data: LakeFsDataRepository) => Promise<unknown>][] = [
      [404, 'NOT_FOUND', () => (data) => data.getRepository('nope-repo')],
      [409, 'ALREADY_EXISTS', () => (data) => data.createRepository({ name: 'taken' })],
      [
        409,
        'ALREADY_EXISTS',
        () => (data) => data.createBranch({ repository: 'flights', name: 'dev', source: 'main' }),
      ],
      [
        400,
        'PRECONDITION_FAILED',
        () => (data) => data.commit({ repository: 'flights', branch: 'main', message: 'x' }),
      ],
      [412, 'PRECONDITION_FAILED', () => (data) => data.deleteTag({ repository: 'flights', tag: 'v1' })],
      [403, 'FORBIDDEN', () => (data) => data.listRepositories()],
    ];
    for (const [status, code, make] of cases) {
      const { fetch, requests } = recordingFetch([{ status, json: { message: `status ${status}` } }]);
      const error = await make()(client(fetch)).catch((caught: unknown) => caught);
      expect(isLakeloopError(error) ? error.code : error, `status ${status}`).toBe(code);
      expect(requests).toHaveLength(1);
    }
  });

  it('maps a merge conflict to CONFLICT', async () => {
    const { fetch } = mergeAnswering(409, 'conflict found');
    const error = await client(fetch)
      .merge({ repository: 'flights', source: 'dev', destination: 'main' })
      .catch((caught: unknown) => caught);
    expect(isLakeloopError(error, 'CONFLICT')).toBe(true);
  });

  it('maps a merge into a dirty branch (400 "uncommitted changes") to PRECONDITION_FAILED, as embedded', async () => {
    const { fetch, requests } = mergeAnswering(400, 'uncommitted changes (dirty branch)');
    const error = await client(fetch)
      .merge({ repository: 'flights', source: 'dev', destination: 'main' })
      .catch((caught: unknown) => caught);
    expect(isLakeloopError(error, 'PRECONDITION_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/"main" has uncommitted changes; commit or reset them/);
    // a 400 is not retried
    expect(requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('never puts the secret key in errors, details or the inspected client', async () => {
    const { fetch } = recordingFetch([{ status: 401, json: { message: 'error authenticating request' } }]);
    const data = client(fetch);
    const error = await data.listRepositories().catch((caught: unknown) => caught);
    expect(isLakeloopError(error, 'UNAUTHORIZED')).toBe(true);
    const everything = `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 5 })} ${inspect(data, { depth: 5 })} ${JSON.stringify(data)}`;
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(Buffer.from(`AKIAEXAMPLE:${SECRET}`).toString('base64'));
  });

  it('validates names and paths before sending anything', async () => {
    const { fetch, requests } = recordingFetch([]);
    const data = client(fetch);
    await expect(
      data.putObject({ repository: 'flights', branch: 'main', path: '../x', content: 'x' }),
    ).rejects.toThrow(/Invalid object path/);
    await expect(data.getBranch({ repository: 'Bad Repo', branch: 'main' })).rejects.toThrow(
      /Invalid repository name/,
    );
    expect(requests).toHaveLength(0);
  });

  it('refuses non-ASCII object metadata before sending anything (lakeFS would answer 500, retried)', async () => {
    const { fetch, requests } = recordingFetch([]);
    const data = client(fetch);
    const refused: Record<string, string>[] = [{ note: 'héllo' }, { note: '\u{1F600}' }, { clé: 'x' }];
    for (const metadata of refused) {
      await expect(
        data.putObject({ repository: 'flights', branch: 'main', path: 'a.txt', content: 'x', metadata }),
      ).rejects.toThrow(/must be ASCII/);
    }
    expect(requests).toHaveLength(0);
  });
});

describe('LakeFsDataRepository retries never apply a change twice', () => {
  const apiCommit = (id: string, metadata: Record<string, string> = {}) => ({
    id,
    parents: [],
    committer: 'me',
    message: 'm',
    creation_date: 0,
    meta_range_id: '',
    metadata,
  });
  const requestIdOf = (request: Recorded | undefined): string =>
    (JSON.parse(request?.body ?? '{}') as { metadata: Record<string, string> }).metadata[
      'lakeloop.request_id'
    ] ?? '';

  /** A fetch answering from `reply`, where `'drop'` means the server handled it and the response was lost. */
  function faultyFetch(reply: (request: Recorded, requests: Recorded[]) => Reply | 'drop'): {
    fetch: typeof fetch;
    requests: Recorded[];
  } {
    let drop = false;
    const inner = recordingFetch((request) => {
      const answer = reply(request, inner.requests);
      drop = answer === 'drop';
      return answer === 'drop' ? { status: 204 } : answer;
    });
    const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = await inner.fetch(input, init);
      if (drop) throw new TypeError('fetch failed: other side closed (injected)');
      return response;
    };
    return { fetch: wrapped, requests: inner.requests };
  }

  it('does not commit twice when the response is lost: finds the commit by its request id', async () => {
    const { fetch, requests } = faultyFetch((request, all) => {
      if (request.method === 'POST') return 'drop';
      const post = all.find((r) => r.method === 'POST');
      return {
        status: 200,
        json: {
          pagination: pagination(false),
          results: [
            apiCommit('c2', { rows: '5', 'lakeloop.request_id': requestIdOf(post) }),
            apiCommit('c1'),
          ],
        },
      };
    });
    const commit = await client(fetch).commit({
      repository: 'flights',
      branch: 'main',
      message: 'm',
      metadata: { rows: '5' },
    });
    expect(commit).toMatchObject({ id: 'c2', metadata: { rows: '5' } });
    expect(commit.metadata).not.toHaveProperty('lakeloop.request_id');
    expect(requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    // the lookup reads the branch's log (refs/<branch>/commits: lakeFS has no GET branches/<b>/commits)
    expect(requests[1]?.url.pathname).toBe('/api/v1/repositories/flights/refs/main/commits');
  });

  it('sends a commit again, with the same request id, when the failed attempt did not take effect', async () => {
    let posts = 0;
    const { fetch, requests } = faultyFetch((request) => {
      if (request.method === 'POST') {
        posts += 1;
        return posts === 1
          ? { status: 503, json: { message: 'busy' } }
          : { status: 201, json: apiCommit('c2') };
      }
      return { status: 200, json: { pagination: pagination(false), results: [apiCommit('c1')] } };
    });
    const commit = await client(fetch).commit({ repository: 'flights', branch: 'main', message: 'm' });
    expect(commit.id).toBe('c2');
    const sent = requests.filter((r) => r.method === 'POST');
    expect(sent).toHaveLength(2);
    expect(requestIdOf(sent[0])).not.toBe('');
    expect(requestIdOf(sent[1])).toBe(requestIdOf(sent[0]));
  });

  it('does not create a branch twice when the response is lost', async () => {
    const { fetch, requests } = faultyFetch((request) => {
      if (request.method === 'POST') return 'drop';
      if (request.url.pathname.endsWith('/branches/dev'))
        return { status: 200, json: { id: 'dev', commit_id: 'c1' } };
      return { status: 200, json: { pagination: pagination(false), results: [apiCommit('c1')] } };
    });
    const branch = await client(fetch).createBranch({ repository: 'flights', name: 'dev', source: 'main' });
    expect(branch).toEqual({ name: 'dev', commitId: 'c1' });
    expect(requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('does not merge twice when the response is lost: the destination already has the merge commit', async () => {
    let merged = false;
    const { fetch, requests } = faultyFetch((request, all) => {
      if (request.method === 'POST') {
        merged = true;
        return 'drop';
      }
      if (request.url.pathname.endsWith('/branches/main')) {
        return { status: 200, json: { id: 'main', commit_id: merged ? 'm1' : 'd1' } };
      }
      const post = all.find((r) => r.method === 'POST');
      const results = request.url.pathname.includes('/refs/dev/')
        ? [apiCommit('s1')]
        : [apiCommit('m1', { 'lakeloop.request_id': requestIdOf(post) }), apiCommit('d1')];
      return { status: 200, json: { pagination: pagination(false), results } };
    });
    const result = await client(fetch).merge({ repository: 'flights', source: 'dev', destination: 'main' });
    expect(result).toEqual({ reference: 'm1', kind: 'merge' });
    expect(requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});

describe('resolveLakeFsConfig', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the environment first, then ~/.lakectl.yaml, and is undefined when neither configures lakeFS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    dirs.push(dir);
    const file = join(dir, 'lakectl.yaml');
    writeFileSync(
      file,
      'credentials:\n  access_key_id: AKIAFILE\n  secret_access_key: "file-secret"\nserver:\n  endpoint_url: http://127.0.0.1:8000/api/v1\n',
    );
    expect(resolveLakeFsConfig({ env: {}, lakectlConfigPath: file })).toEqual({
      endpoint: 'http://127.0.0.1:8000',
      accessKeyId: 'AKIAFILE',
      secretAccessKey: 'file-secret',
    });
    expect(
      resolveLakeFsConfig({
        env: {
          LAKEFS_ENDPOINT: 'http://lakefs:9000',
          LAKEFS_ACCESS_KEY_ID: 'AKIAENV',
          LAKEFS_SECRET_ACCESS_KEY: 's',
        },
        lakectlConfigPath: file,
      }),
    ).toMatchObject({ endpoint: 'http://lakefs:9000', accessKeyId: 'AKIAENV' });
    expect(resolveLakeFsConfig({ env: {}, lakectlConfigPath: join(dir, 'missing.yaml') })).toBeUndefined();
  });

  it('refuses an endpoint with credentials in it, pointing to the key variables, without echoing them', () => {
    const attempts = [
      () =>
        resolveLakeFsConfig({
          env: { LAKEFS_ENDPOINT: `http://AKIAINURL:${SECRET}@lakefs.test:8000` },
          lakectlConfigPath: '/nonexistent',
        }),
      () =>
        new LakeFsDataRepository({
          endpoint: `http://AKIAINURL:${SECRET}@lakefs.test:8000`,
          accessKeyId: 'AKIAEXAMPLE',
          secretAccessKey: SECRET,
        }),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isLakeloopError(caught, 'INVALID_ARGUMENT')).toBe(true);
      const message = String(caught);
      expect(message).toMatch(/contains credentials/);
      expect(message).toMatch(/LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY/);
      expect(`${message} ${inspect(caught, { depth: 5 })}`).not.toContain(SECRET);
    }
  });

  it('refuses an endpoint without keys, without echoing the secret', () => {
    let message = '';
    try {
      resolveLakeFsConfig({
        env: { LAKEFS_ENDPOINT: 'not a url', LAKEFS_SECRET_ACCESS_KEY: SECRET },
        lakectlConfigPath: '/nonexistent',
      });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/Incomplete lakeFS configuration/);
    expect(message).not.toContain(SECRET);
  });
});

describe('LakeFsDataRepository revert', () => {
  const apiCommit = (id: string, metadata: Record<string, string> = {}) => ({
    id,
    parents: ['h1'],
    committer: 'me',
    message: 'Revert c1',
    creation_date: 0,
    meta_range_id: '',
    metadata,
  });
  const requestIdOf = (request: Recorded | undefined): string =>
    (
      JSON.parse(request?.body ?? '{}') as {
        commit_overrides?: { metadata?: Record<string, string> };
      }
    ).commit_overrides?.metadata?.['lakeloop.request_id'] ?? '';

  /** A server whose revert POST answers `answer`; the branch log holds the revert once it succeeded. */
  function revertAnswering(answer: Reply): ReturnType<typeof recordingFetch> {
    const recorded = recordingFetch((request) => {
      if (request.method === 'POST') return answer;
      const post = recorded.requests.find((r) => r.method === 'POST');
      const results =
        answer.status === 204
          ? [apiCommit('r1', { reason: 'x', 'lakeloop.request_id': requestIdOf(post) }), apiCommit('h1')]
          : [apiCommit('h1')];
      return { status: 200, json: { pagination: pagination(false), results } };
    });
    return recorded;
  }

  it('posts ref, parent_number and commit overrides, and returns the commit it finds by request id', async () => {
    const { fetch, requests } = revertAnswering({ status: 204 });
    const commit = await client(fetch).revert({
      repository: 'flights',
      branch: 'main',
      ref: 'c1',
      parentNumber: 2,
      message: 'undo c1',
      metadata: { reason: 'x' },
    });
    expect(commit).toMatchObject({ id: 'r1', metadata: { reason: 'x' } });
    expect(commit.metadata).not.toHaveProperty('lakeloop.request_id');
    const post = requests.find((r) => r.method === 'POST');
    expect(post?.url.pathname).toBe('/api/v1/repositories/flights/branches/main/revert');
    const body = JSON.parse(post?.body ?? '{}') as Record<string, unknown>;
    expect(body).toEqual({
      ref: 'c1',
      parent_number: 2,
      commit_overrides: {
        message: 'undo c1',
        metadata: { reason: 'x', 'lakeloop.request_id': requestIdOf(post) },
      },
    });
    expect(requestIdOf(post)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends parent_number 0 (lakeFS: "not given") by default and refuses a bad one before sending', async () => {
    const { fetch, requests } = revertAnswering({ status: 204 });
    await client(fetch).revert({ repository: 'flights', branch: 'main', ref: 'c1' });
    const post = requests.find((r) => r.method === 'POST');
    expect((JSON.parse(post?.body ?? '{}') as { parent_number: number }).parent_number).toBe(0);
    const before = requests.length;
    await expect(
      client(fetch).revert({ repository: 'flights', branch: 'main', ref: 'c1', parentNumber: 0 }),
    ).rejects.toThrow(/Invalid parent number/);
    expect(requests).toHaveLength(before);
  });

  it('maps lakeFS revert answers to the embedded backend codes and messages', async () => {
    const cases: [Reply, string, RegExp][] = [
      [
        { status: 400, json: { message: 'update branch: main: uncommitted changes (dirty branch)' } },
        'PRECONDITION_FAILED',
        /"main" has uncommitted changes; commit or reset them before reverting/,
      ],
      [
        { status: 400, json: { message: 'update branch: no changes' } },
        'PRECONDITION_FAILED',
        /changes nothing on branch "main"/,
      ],
      [
        {
          status: 409,
          json: { message: 'must specify 1-based parent number for reverting merge commit' },
        },
        'INVALID_ARGUMENT',
        /is a merge commit.*--parent-number/,
      ],
      [
        { status: 400, json: { message: 'given commit does not have the given parent number: parent 3' } },
        'INVALID_ARGUMENT',
        /parent/,
      ],
      [
        { status: 409, json: { message: 'update branch: conflict found' } },
        'CONFLICT',
        /conflicts: the branch changed the same paths since/,
      ],
      [
        { status: 404, json: { message: 'get commit from ref c1: not found' } },
        'NOT_FOUND',
        /Unknown ref "c1" in lakeFS repository "flights"/,
      ],
      [{ status: 404, json: { message: 'branch not found' } }, 'NOT_FOUND', /Unknown branch "main"/],
    ];
    for (const [answer, code, message] of cases) {
      const { fetch, requests } = revertAnswering(answer);
      const error = await client(fetch)
        .revert({ repository: 'flights', branch: 'main', ref: 'c1' })
        .catch((caught: unknown) => caught);
      expect(isLakeloopError(error) ? error.code : error, JSON.stringify(answer)).toBe(code);
      expect((error as Error).message).toMatch(message);
      // 4xx answers are not retried
      expect(requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    }
  });

  it('does not revert twice when the response is lost: finds the revert commit by its request id', async () => {
    let reverted = false;
    const recorded = recordingFetch((request) => {
      if (request.method === 'POST') {
        reverted = true;
        return { status: 204 };
      }
      const post = recorded.requests.find((r) => r.method === 'POST');
      const results = reverted
        ? [apiCommit('r1', { 'lakeloop.request_id': requestIdOf(post) }), apiCommit('h1')]
        : [apiCommit('h1')];
      return { status: 200, json: { pagination: pagination(false), results } };
    });
    const lossy = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = await recorded.fetch(input, init);
      if (init?.method === 'POST') throw new TypeError('fetch failed: other side closed (injected)');
      return response;
    };
    const commit = await client(lossy).revert({ repository: 'flights', branch: 'main', ref: 'c1' });
    expect(commit.id).toBe('r1');
    expect(recorded.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});

describe('LakeFsDataRepository diff sizes', () => {
  it('leaves the size of a removed entry unknown (lakeFS answers 0: it does not look the old size up)', async () => {
    const { fetch } = recordingFetch([
      {
        status: 200,
        json: {
          pagination: pagination(false),
          results: [
            { type: 'added', path: 'a.csv', path_type: 'object', size_bytes: 5 },
            { type: 'removed', path: 'b.csv', path_type: 'object', size_bytes: 0 },
          ],
        },
      },
    ]);
    const diff = await client(fetch).diff({ repository: 'flights', left: 'main~1', right: 'main' });
    expect(diff.results).toEqual([
      { type: 'added', path: 'a.csv', pathType: 'object', sizeBytes: 5 },
      { type: 'removed', path: 'b.csv', pathType: 'object' },
    ]);
  });
});

describe('LakeFsDataRepository branch protection', () => {
  it('reads the rules with their ETag and writes them with If-Match (lakeFS v1.84 settings API)', async () => {
    const { fetch, requests } = recordingFetch([
      { status: 200, json: [{ pattern: 'stable_*' }, { pattern: 'main' }], headers: { etag: 'abc123' } },
      { status: 204 },
      { status: 204 },
    ]);
    const data = client(fetch);
    expect(await data.getBranchProtection({ repository: 'flights' })).toEqual({
      patterns: ['main', 'stable_*'],
      etag: 'abc123',
    });
    await data.setBranchProtection({
      repository: 'flights',
      patterns: ['main', 'release-*'],
      ifMatch: 'abc123',
    });
    await data.setBranchProtection({ repository: 'flights', patterns: [] });
    expect(requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      'GET /api/v1/repositories/flights/settings/branch_protection',
      'PUT /api/v1/repositories/flights/settings/branch_protection',
      'PUT /api/v1/repositories/flights/settings/branch_protection',
    ]);
    expect(JSON.parse(requests[1]?.body ?? '')).toEqual([{ pattern: 'main' }, { pattern: 'release-*' }]);
    expect(requests[1]?.headers['if-match']).toBe('abc123');
    expect(JSON.parse(requests[2]?.body ?? '')).toEqual([]);
    expect(requests[2]?.headers['if-match']).toBeUndefined();
  });

  it('maps 412 on a conditional update to PRECONDITION_FAILED, and refuses bad patterns before any request', async () => {
    const { fetch, requests } = recordingFetch([
      { status: 412, json: { message: 'precondition failed' } },
      { status: 200, json: [{ pattern: 'main' }], headers: { etag: 'abc123' } },
    ]);
    const data = client(fetch);
    const error = await data
      .setBranchProtection({ repository: 'flights', patterns: ['main'], ifMatch: 'stale' })
      .catch((caught: unknown) => caught);
    expect(isLakeloopError(error, 'PRECONDITION_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/changed since they were read/);
    expect(requests[0]?.headers['if-match']).toBe('stale');
    // "only if there are none" (ifMatch ''): lakeFS refuses an empty If-Match, so the client reads
    // the rules first and sends nothing when there are some.
    const notEmpty = await data
      .setBranchProtection({ repository: 'flights', patterns: ['dev'], ifMatch: '' })
      .catch((caught: unknown) => caught);
    expect(isLakeloopError(notEmpty, 'PRECONDITION_FAILED')).toBe(true);
    expect(requests.map((r) => r.method)).toEqual(['PUT', 'GET']);
    const bad = await data
      .setBranchProtection({ repository: 'flights', patterns: ['a/b'] })
      .catch((e: unknown) => e);
    expect(isLakeloopError(bad, 'INVALID_ARGUMENT')).toBe(true);
    expect(requests).toHaveLength(2);
  });

  it("maps lakeFS's 403 'protected branch' answers to the embedded backend's PRECONDITION_FAILED", async () => {
    const answers: Record<string, string> = {
      objects: 'cannot write to protected branch',
      commits: 'cannot commit to protected branch',
    };
    const { fetch } = recordingFetch((request) => {
      const last = request.url.pathname.split('/').at(-1) ?? '';
      return { status: 403, json: { message: answers[last] ?? 'cannot write to protected branch' } };
    });
    const data = client(fetch);
    const calls: [Promise<unknown>, string][] = [
      [
        data.putObject({ repository: 'flights', branch: 'main', path: 'a.txt', content: 'x' }),
        'staging_write',
      ],
      [data.deleteObject({ repository: 'flights', branch: 'main', path: 'a.txt' }), 'staging_write'],
      [data.commit({ repository: 'flights', branch: 'main', message: 'm' }), 'commit'],
      [data.resetBranch({ repository: 'flights', branch: 'main' }), 'staging_write'],
    ];
    for (const [call, action] of calls) {
      const error = await call.catch((caught: unknown) => caught);
      expect(isLakeloopError(error, 'PRECONDITION_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/Branch "main" of "flights" is protected/);
      expect((error as { details?: unknown }).details).toMatchObject({
        repository: 'flights',
        branch: 'main',
        action,
        reason: 'protected_branch',
      });
    }
    // Any other 403 stays FORBIDDEN (credentials, policies).
    const { fetch: denied } = recordingFetch([
      { status: 403, json: { message: 'insufficient permissions' } },
    ]);
    const other = await client(denied)
      .putObject({ repository: 'flights', branch: 'main', path: 'a.txt', content: 'x' })
      .catch((caught: unknown) => caught);
    expect(isLakeloopError(other, 'FORBIDDEN')).toBe(true);
  });
});

describe('LakeFsDataRepository error messages', () => {
  // lakeFS v1.84's own answers (probed on a quickstart server), and the message a user gets.
  const cases: [string, () => (data: LakeFsDataRepository) => Promise<unknown>, number, string, RegExp][] = [
    [
      'unknown repository',
      () => (d) => d.getRepository('nope'),
      404,
      'repository not found',
      /Unknown lakeFS repository "nope"; create it with `lakeloop data repo create nope`/,
    ],
    [
      'unknown branch',
      () => (d) => d.getBranch({ repository: 'flights', branch: 'dev' }),
      404,
      'branch not found',
      /Unknown branch "dev" in lakeFS repository "flights"; list branches with `lakeloop data branch list flights`/,
    ],
    [
      'unknown tag',
      () => (d) => d.deleteTag({ repository: 'flights', tag: 'v9' }),
      404,
      'tag not found',
      /Unknown tag "v9".*`lakeloop data tag list flights`/,
    ],
    [
      'missing object',
      () => (d) => d.statObject({ repository: 'flights', ref: 'main', path: 'a.csv' }),
      404,
      'not found',
      /No object "a.csv" at ref "main".*`lakeloop data ls lakefs:\/\/flights\/main\/`/,
    ],
    [
      'unknown ref',
      () => (d) => d.getCommit({ repository: 'flights', ref: 'v0' }),
      404,
      'ref: not found',
      /Unknown ref "v0" in lakeFS repository "flights"/,
    ],
    [
      'unknown source ref',
      () => (d) => d.createBranch({ repository: 'flights', name: 'x', source: 'nope' }),
      404,
      "source reference 'nope': not found",
      /Unknown ref "nope"/,
    ],
    [
      'bad credentials',
      () => (d) => d.listRepositories(),
      401,
      'error authenticating request',
      /refused the credentials: check LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY/,
    ],
    [
      'no permission',
      () => (d) => d.deleteRepository('flights'),
      403,
      'insufficient permissions',
      /does not allow this user to DELETE .*ask a lakeFS admin/,
    ],
  ];
  it.each(cases)(
    '%s: says what to do, keeps the code, status and lakeFS’s words',
    async (_name, call, status, said, message) => {
      const { fetch } = recordingFetch(() => ({ status, json: { message: said } }));
      const error = await call()(client(fetch)).catch((caught: unknown) => caught);
      expect(isLakeloopError(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(((error as Error).cause as Error).message).toContain(said);
      expect((error as Error).message).not.toContain(SECRET);
      expect((error as { status?: number }).status).toBe(status);
    },
  );
});
