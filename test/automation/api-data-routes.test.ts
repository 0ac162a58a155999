/**
 * The data routes and the route index of the REST API through `app.request` (no socket), against
 * the real embedded data repository and a real SQLite instance: repositories, branches, tags, the
 * commit log with the runs each commit triggered, diff with its per-prefix summary, uncommitted
 * changes, object listings, validation, 503 without a repository, and the token guard; branch
 * creation and merge (who merged in the commit metadata, the repository's refusals as they come).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { manualClock } from '../../src/clock.js';
import { SensorLoop } from '../../src/core/daemon/sensor-loop.js';
import { Instance } from '../../src/core/instance/instance.js';
import { createApiApp } from '../../src/server/api-app.js';
import { dataCommitSensor } from '../../src/versioning/data-commit-sensor.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { ApiTokenFile } from '../../src/server/api-tokens.js';
import { automationDefs } from './fixtures/automation-defs.js';

const TOKEN = 'test-token-0123456789abcdef';

describe('REST API: data routes and index', () => {
  let dir: string;
  let instance: Instance;
  let data: EmbeddedDataRepository;
  let app: Hono;
  let defs: ReturnType<typeof automationDefs>['defs'];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    instance = await Instance.ephemeral({
      clock: manualClock(Date.parse('2026-03-01T00:00:00Z')),
      storage: 'sqlite',
    });
    data = new EmbeddedDataRepository({ home: dir });
    await data.createRepository({ name: 'flights' });
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'flights',
      branch: 'main',
      job: 'process',
      dataRepository: data,
    });
    defs = automationDefs({ sensors: [sensor] }).defs;
    app = createApiApp({ defs, instance, data });
  });

  afterEach(async () => {
    await data.close();
    await instance.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await app.request(path, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('lists repositories, branches and tags, and shows a repository with its backend capabilities', async () => {
    await data.createBranch({ repository: 'flights', name: 'exp', source: 'main' });
    await data.createTag({ repository: 'flights', name: 'v1', ref: 'main' });
    expect((await get('/api/data/repositories')).body).toMatchObject({
      results: [expect.objectContaining({ name: 'flights' })],
      hasMore: false,
    });
    const repo = await get('/api/data/repositories/flights');
    expect(repo.body).toMatchObject({
      name: 'flights',
      defaultBranch: 'main',
      backend: 'embedded',
      capabilities: { removedEntrySize: true },
    });
    const branches = await get('/api/data/repositories/flights/branches?limit=1');
    expect(branches.body).toMatchObject({ results: [{ name: 'exp' }], hasMore: true, nextOffset: 'exp' });
    const next = await get(`/api/data/repositories/flights/branches?limit=1&after=exp`);
    expect(next.body).toMatchObject({ results: [{ name: 'main' }], hasMore: false });
    expect((await get('/api/data/repositories/flights/tags')).body).toMatchObject({
      results: [{ name: 'v1' }],
    });
  });

  it('gives the commit log with the runs each commit triggered, first-parent on request', async () => {
    await data.putObject({
      repository: 'flights',
      branch: 'main',
      path: 'flights/2001-01.csv',
      content: 'a,b\n1,2\n',
    });
    const jan = await data.commit({ repository: 'flights', branch: 'main', message: 'January' });
    const [tick] = await new SensorLoop({ defs, instance }).tick(Date.parse('2026-03-01T00:00:01Z'));
    expect(tick?.runKeys).toEqual([jan.id]);
    const log = await get('/api/data/repositories/flights/commits?ref=main&firstParent=true');
    expect(log.status).toBe(200);
    const [newest] = log.body['results'] as {
      id: string;
      message: string;
      runs: { status: string; jobName: string }[];
    }[];
    expect(newest).toMatchObject({ id: jan.id, message: 'January', runs: [{ jobName: 'process' }] });
  });

  it('diffs two refs with the per-prefix summary, shows uncommitted changes and lists objects', async () => {
    await data.putObject({ repository: 'flights', branch: 'main', path: 'flights/a.csv', content: 'aaaa' });
    await data.putObject({ repository: 'flights', branch: 'main', path: 'docs/readme.md', content: 'hi' });
    const first = await data.commit({ repository: 'flights', branch: 'main', message: 'first' });
    await data.putObject({ repository: 'flights', branch: 'main', path: 'flights/b.csv', content: 'bbbbbb' });
    const second = await data.commit({ repository: 'flights', branch: 'main', message: 'second' });
    const diff = await get(`/api/data/repositories/flights/diff?left=${first.id}&right=${second.id}`);
    expect(diff.body['results']).toEqual([
      { type: 'added', path: 'flights/b.csv', pathType: 'object', sizeBytes: 6 },
    ]);
    expect(JSON.stringify(diff.body['summary'])).toContain('flights/');
    await data.deleteObject({ repository: 'flights', branch: 'main', path: 'docs/readme.md' });
    const changes = await get('/api/data/repositories/flights/branches/main/changes');
    expect(changes.body['results']).toEqual([
      expect.objectContaining({ type: 'removed', path: 'docs/readme.md' }),
    ]);
    const objects = await get('/api/data/repositories/flights/objects?ref=main&delimiter=/');
    expect((objects.body['results'] as { path: string }[]).map((entry) => entry.path)).toEqual(['flights/']);
  });

  it('refuses bad queries, answers NOT_FOUND as JSON, and 503 without a data repository', async () => {
    const bad = await get('/api/data/repositories/flights/commits?ref=main&firstParent=yes');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(JSON.stringify(bad.body)).toMatch(/firstParent/);
    expect((await get('/api/data/repositories/flights/commits')).status).toBe(400); // ref is required
    expect((await get('/api/data/repositories/flights/branches?nope=1')).status).toBe(400);
    const missing = await get('/api/data/repositories/nope');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    app = createApiApp({ defs, instance });
    const none = await get('/api/data/repositories');
    expect(none).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE' } } });
    expect(JSON.stringify(none.body)).toMatch(/no data repository/);
  });

  it('indexes every route at /api (from the registered routes) and points there from /', async () => {
    const index = await get('/api');
    const routes = index.body['routes'] as { method: string; path: string }[];
    expect(routes).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/api/runs', scope: 'read' }),
    );
    expect(routes).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/api/data/repositories/:repo/commits' }),
    );
    expect(routes).toContainEqual(expect.objectContaining({ method: 'POST', path: '/api/hooks/lakefs' }));
    expect(new Set(routes.map((r) => `${r.method} ${r.path}`)).size).toBe(routes.length);
    // Without a built UI (`npm run build` makes one, which `/` then serves), `/` points to the API.
    app = createApiApp({ defs, instance, data, uiDir: join(dir, 'no-ui') });
    expect((await get('/')).body).toMatchObject({ api: '/api' });
  });

  it('keeps the data routes and the index behind the token', async () => {
    app = createApiApp({ defs, instance, data, token: TOKEN });
    expect((await get('/api/data/repositories')).status).toBe(401);
    expect((await get('/api')).status).toBe(401);
    expect((await get('/api/data/repositories', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('creates a branch from a ref, and refuses an existing name, an unknown source and unknown fields', async () => {
    const created = await post('/api/data/repositories/flights/branches', {
      name: 'feature-jan',
      source: 'main',
    });
    expect(created.status).toBe(201);
    const main = await data.getBranch({ repository: 'flights', branch: 'main' });
    expect(created.body).toEqual({ name: 'feature-jan', commitId: main.commitId });
    expect((await data.listBranches({ repository: 'flights' })).results.map((branch) => branch.name)).toEqual(
      ['feature-jan', 'main'],
    );
    const again = await post('/api/data/repositories/flights/branches', {
      name: 'feature-jan',
      source: 'main',
    });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'ALREADY_EXISTS' } } });
    const unknown = await post('/api/data/repositories/flights/branches', { name: 'x', source: 'nope' });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    const extra = await post('/api/data/repositories/flights/branches', {
      name: 'y',
      source: 'main',
      from: 1,
    });
    expect(extra.status).toBe(400);
    expect((await post('/api/data/repositories/flights/branches', { source: 'main' })).status).toBe(400);
  });

  it('merges a branch into main through the lakeFS path, recording who merged in the commit metadata', async () => {
    const tokens = new ApiTokenFile(join(dir, 'api-tokens.json'));
    const { token } = await tokens.create('ci-bot', ['trigger', 'read']);
    const reader = await tokens.create('viewer', ['read']);
    app = createApiApp({ defs, instance, data, tokens });
    await data.createBranch({ repository: 'flights', name: 'feature-jan', source: 'main' });
    await data.putObject({
      repository: 'flights',
      branch: 'feature-jan',
      path: 'flights/2001-01.csv',
      content: 'a\n1\n',
    });
    await data.commit({ repository: 'flights', branch: 'feature-jan', message: 'January' });
    const path = '/api/data/repositories/flights/refs/feature-jan/merge/main';
    const body = { message: 'Merge January', metadata: { ticket: 'OPS-1' } };
    const forbidden = await post(path, body, { authorization: `Bearer ${reader.token}` });
    expect(forbidden).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    const merged = await post(path, body, { authorization: `Bearer ${token}` });
    expect(merged.status).toBe(200);
    const head = await data.getCommit({ repository: 'flights', ref: 'main' });
    expect(merged.body).toEqual({ kind: 'merge', reference: head.id });
    expect(head.message).toBe('Merge January');
    expect(head.parents).toHaveLength(2);
    expect(head.metadata).toEqual({ ticket: 'OPS-1', 'lakeloop.merged_by': 'ci-bot' });
    // Nothing left to merge: the repository says so, no new commit.
    const none = await post(path, {}, { authorization: `Bearer ${token}` });
    expect(none.body).toEqual({ kind: 'none', reference: head.id });
  });

  it('refuses forged merged_by metadata, and passes the repository refusals through with their codes', async () => {
    await data.createBranch({ repository: 'flights', name: 'exp', source: 'main' });
    await data.putObject({ repository: 'flights', branch: 'exp', path: 'a.csv', content: 'exp' });
    await data.commit({ repository: 'flights', branch: 'exp', message: 'exp' });
    const forged = await post('/api/data/repositories/flights/refs/exp/merge/main', {
      metadata: { 'lakeloop.merged_by': 'someone-else' },
    });
    expect(forged).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } });
    expect(JSON.stringify(forged.body)).toMatch(/written by lakeloop itself/);
    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.csv', content: 'main' });
    const uncommitted = await post('/api/data/repositories/flights/refs/exp/merge/main', {});
    expect(uncommitted).toMatchObject({ status: 412, body: { error: { code: 'PRECONDITION_FAILED' } } });
    await data.commit({ repository: 'flights', branch: 'main', message: 'main' });
    const conflict = await post('/api/data/repositories/flights/refs/exp/merge/main', {});
    expect(conflict).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect(JSON.stringify(conflict.body)).toContain('a.csv');
    const resolved = await post('/api/data/repositories/flights/refs/exp/merge/main', {
      strategy: 'source-wins',
    });
    expect(resolved.body).toMatchObject({ kind: 'merge' });
    const head = await data.getCommit({ repository: 'flights', ref: 'main' });
    // Without tokens the caller is the loopback user `local`.
    expect(head.metadata).toEqual({ 'lakeloop.merged_by': 'local' });
    expect(
      (await post('/api/data/repositories/flights/refs/exp/merge/main', { strategy: 'ours' })).status,
    ).toBe(400);
  });
});
