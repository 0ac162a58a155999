/**
 * The model-registry routes through `app.request` against a real loop on the embedded stores
 * (data commit → sensor tick → run → training run → version → checks → champion): models and
 * versions with their metrics, cursor pages, alias history, promote and rollback with who and why,
 * "why" a version was promoted or refused, scopes, validation and 503 without a registry.
 */
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiAppOptions } from '../../src/server/api-app.js';
import { ApiTokenFile } from '../../src/server/api-tokens.js';
import { LocalTrackingStore } from '../../src/tracking/index.js';
import { MODEL, openModelLoop, REPOSITORY, TOLERANCE } from './fixtures/model-loop.js';
import type { ModelLoop } from './fixtures/model-loop.js';

type Json = Record<string, unknown>;

describe('REST API: model registry', () => {
  let loop: ModelLoop;
  let app: Hono;
  const commits: string[] = [];
  const runs: string[] = [];

  beforeAll(async () => {
    loop = await openModelLoop();
    // v1: the first champion; v2: better, promoted; v3: much worse and new code, refused.
    const first = await loop.commit({
      files: { 'flights/01.csv': 'a,b\n1,2\n' },
      auc: 0.8,
      learningRate: 0.1,
    });
    const second = await loop.commit({
      files: { 'flights/02.csv': 'a,b\n3,4\n5,6\n' },
      auc: 0.83,
      learningRate: 0.05,
    });
    const third = await loop.commit({
      files: { 'flights/03.csv': 'a,b\n7,8\n', 'docs/notes.md': 'hi' },
      auc: 0.7,
      learningRate: 0.2,
      trainCode: 'train-v2',
    });
    expect([first.run.status, second.run.status, third.run.status]).toEqual([
      'SUCCESS',
      'SUCCESS',
      'FAILURE',
    ]);
    commits.push(first.commitId, second.commitId, third.commitId);
    runs.push(first.run.runId, second.run.runId, third.run.runId);
    await loop.registry.createRegisteredModel({ name: 'alpha' });
    await loop.registry.createRegisteredModel({ name: 'beta' });
  }, 60_000);

  afterAll(async () => {
    await loop.close();
  });

  const appWith = (options: Partial<ApiAppOptions> = {}) => loop.app(options);
  const request = async (path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
    const response = await app.request(path, {
      method: init.method ?? 'GET',
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      headers: {
        'content-type': 'application/json',
        ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      },
    });
    return { status: response.status, body: (await response.json()) as Json };
  };

  it('lists registered models by name with a cursor, filtered by nameContains', async () => {
    app = appWith();
    const one = await request('/api/models?limit=2');
    expect(one.body).toMatchObject({ hasMore: true, nextOffset: 'beta' });
    expect((one.body['results'] as { name: string }[]).map((m) => m.name)).toEqual(['alpha', 'beta']);
    const two = await request('/api/models?limit=2&after=beta');
    expect(two.body).toMatchObject({
      results: [{ name: MODEL, aliases: { champion: '2' } }],
      hasMore: false,
      nextOffset: '',
    });
    const filtered = await request('/api/models?nameContains=lph');
    expect((filtered.body['results'] as { name: string }[]).map((m) => m.name)).toEqual(['alpha']);
    const model = await request(`/api/models/${MODEL}`);
    expect(model.body).toMatchObject({
      model: { name: MODEL, aliases: { champion: '2' }, latestVersion: '3' },
    });
  });

  it("pages versions newest first, each with its training run's metrics; tolerates a missing run", async () => {
    app = appWith();
    const first = await request(`/api/models/${MODEL}/versions?limit=2`);
    const results = first.body['results'] as { version: string; metrics: Json; params: Json }[];
    expect(results.map((v) => [v.version, v.metrics['auc']])).toEqual([
      ['3', 0.7],
      ['2', 0.83],
    ]);
    expect(results[1]?.params).toMatchObject({ learning_rate: '0.05' });
    expect(first.body).toMatchObject({ hasMore: true, nextOffset: '2' });
    const next = await request(`/api/models/${MODEL}/versions?limit=2&after=2`);
    expect(next.body).toMatchObject({ results: [{ version: '1', metrics: { auc: 0.8 } }], hasMore: false });
    const detail = await request(`/api/models/${MODEL}/versions/2`);
    expect(detail.body).toMatchObject({
      version: { version: '2', aliases: ['champion'], metrics: { auc: 0.83 } },
    });

    // A tracking store that does not have the versions' training runs, and a server without tracking.
    const elsewhere = new LocalTrackingStore({ root: join(loop.dir, 'other-tracking') });
    try {
      app = appWith({ tracking: elsewhere });
      const orphan = await request(`/api/models/${MODEL}/versions/2`);
      expect(orphan).toMatchObject({
        status: 200,
        body: { version: { version: '2', metrics: null, trainingRun: null } },
      });
    } finally {
      await elsewhere.close();
    }
    app = appWith({ tracking: undefined });
    expect((await request(`/api/models/${MODEL}/versions/2`)).body).toMatchObject({
      version: { metrics: null },
    });
  });

  it('gives the alias history (from, to, when, by, reason) of the model and of one alias', async () => {
    app = appWith();
    const history = await request(`/api/models/${MODEL}/aliases/champion/history`);
    const moves = history.body['moves'] as Json[];
    expect(moves.map((m) => [m['from'], m['to']])).toEqual([
      ['1', '2'],
      [null, '1'],
    ]);
    expect(moves[0]).toMatchObject({
      alias: 'champion',
      when: new Date(moves[0]?.['timestamp'] as number).toISOString(),
      reason: 'AUC 0.83 passed the floor and the champion gate.',
    });
    expect(moves[0]?.['by']).toMatch(/^lakeloop run \S+ \(promote\)$/);
    expect((await request(`/api/models/${MODEL}/history?limit=1`)).body['moves']).toHaveLength(1);
    expect((await request('/api/models/nope/history')).status).toBe(404);
  });

  it('promotes with a required reason, recorded as by api:<caller>, and rolls back to the previous version', async () => {
    app = appWith();
    const missingReason = await request(`/api/models/${MODEL}/aliases/staging`, {
      method: 'POST',
      body: { version: '1' },
    });
    expect(missingReason.status).toBe(400);
    expect(JSON.stringify(missingReason.body)).toMatch(/reason/);
    const blank = await request(`/api/models/${MODEL}/aliases/staging`, {
      method: 'POST',
      body: { version: '1', reason: '   ' },
    });
    expect(blank.status).toBe(400);
    const unknown = await request(`/api/models/${MODEL}/aliases/staging`, {
      method: 'POST',
      body: { version: '9', reason: 'x' },
    });
    expect(unknown.status).toBe(404);

    const promoted = await request(`/api/models/${MODEL}/aliases/staging`, {
      method: 'POST',
      body: { version: '1', reason: 'smoke test' },
    });
    expect(promoted).toMatchObject({
      status: 200,
      body: {
        from: null,
        to: '1',
        moved: true,
        move: { from: null, to: '1', by: 'api:local', reason: 'smoke test' },
      },
    });
    // Only move of staging created it: nothing to roll back to.
    const nothing = await request(`/api/models/${MODEL}/aliases/staging/rollback`, {
      method: 'POST',
      body: {},
    });
    expect(nothing).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect(JSON.stringify(nothing.body)).toContain('pointed at no version before its last move');
    const never = await request(`/api/models/${MODEL}/aliases/prod/rollback`, { method: 'POST', body: {} });
    expect(never.status).toBe(409);
    expect(JSON.stringify(never.body)).toContain('has no recorded move');

    await request(`/api/models/${MODEL}/aliases/staging`, {
      method: 'POST',
      body: { version: '3', reason: 'try v3' },
    });
    const rolled = await request(`/api/models/${MODEL}/aliases/staging/rollback`, {
      method: 'POST',
      body: { reason: 'v3 is worse' },
    });
    expect(rolled).toMatchObject({
      status: 200,
      body: { from: '3', to: '1', by: 'api:local', reason: 'v3 is worse', undid: { from: '1', to: '3' } },
    });
    expect((await request(`/api/models/${MODEL}`)).body).toMatchObject({
      model: { aliases: { staging: '1' } },
    });
    const notFormer = await request(`/api/models/${MODEL}/aliases/staging/rollback`, {
      method: 'POST',
      body: { toVersion: '2' },
    });
    expect(notFormer.status).toBe(409);
    expect(JSON.stringify(notFormer.body)).toContain('never pointed at v2');
    const toFormer = await request(`/api/models/${MODEL}/aliases/staging/rollback`, {
      method: 'POST',
      body: { toVersion: '3' },
    });
    expect(toFormer.body).toMatchObject({ from: '1', to: '3' });
    expect(toFormer.body['reason']).toMatch(/^Rollback to v3, undoing the move v3 -> v1 of /);
  });

  it('needs the promote scope to move aliases, and records the token name', async () => {
    const tokens = new ApiTokenFile(join(loop.dir, 'api-tokens.json'));
    const reader = (await tokens.create('viewer', ['read'])).token;
    const releaser = (await tokens.create('release-bot', ['read', 'promote'])).token;
    app = appWith({ tokens });
    expect((await request(`/api/models/${MODEL}/versions`)).status).toBe(401);
    expect((await request(`/api/models/${MODEL}/versions`, { token: reader })).status).toBe(200);
    const refused = await request(`/api/models/${MODEL}/aliases/canary`, {
      method: 'POST',
      body: { version: '2', reason: 'ship' },
      token: reader,
    });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect((refused.body['error'] as { message: string }).message).toContain('"promote" scope');
    const rollbackRefused = await request(`/api/models/${MODEL}/aliases/canary/rollback`, {
      method: 'POST',
      body: {},
      token: reader,
    });
    expect(rollbackRefused.status).toBe(403);
    const shipped = await request(`/api/models/${MODEL}/aliases/canary`, {
      method: 'POST',
      body: { version: '2', reason: 'ship' },
      token: releaser,
    });
    expect(shipped.body).toMatchObject({ move: { by: 'api:release-bot', reason: 'ship' } });
  });

  it('explains a promotion: the champion it replaced, the move, data, params and metric deltas', async () => {
    app = appWith();
    const why = (await request(`/api/models/${MODEL}/versions/2/why`)).body;
    expect(why).toMatchObject({
      outcome: 'promoted',
      champion: { version: '1', source: 'replaced_by_promotion', dataCommit: { commitId: commits[0] } },
      challenger: { version: '2', dataCommit: { repository: REPOSITORY, commitId: commits[1] } },
      decision: { move: { fromVersion: '1', toVersion: '2', by: `lakeloop run ${runs[1]} (promote)` } },
      data: { available: true, from: commits[0], to: commits[1] },
    });
    expect(why['summary']).toMatch(
      /^demo v2 became champion, replacing v1, on .* by lakeloop run .*: AUC 0\.83/,
    );
    const rows = (why['data'] as { summary: { rows: { prefix: string; added: { count: number } }[] } })
      .summary.rows;
    expect(rows).toEqual([expect.objectContaining({ prefix: 'flights/', added: { count: 1, bytes: 12 } })]);
    expect(why['params']).toEqual([{ key: 'learning_rate', champion: '0.1', challenger: '0.05' }]);
    const auc = (why['metrics'] as { key: string; delta: number }[]).find((m) => m.key === 'auc');
    expect(auc?.delta).toBeCloseTo(0.03, 10);
    expect(why['code']).toEqual(
      expect.arrayContaining([
        { key: 'asset:train', champion: 'train-v1', challenger: 'train-v1', changed: false },
      ]),
    );
  });

  it('explains a refusal: the blocking check that decided with its rule and tolerance, and the code change', async () => {
    app = appWith();
    const why = (await request(`/api/models/${MODEL}/versions/3/why`)).body;
    expect(why).toMatchObject({
      outcome: 'refused',
      champion: { version: '2', source: 'alias_at_registration' },
      decision: {
        move: null,
        decidedBy: [
          {
            checkName: 'not_worse',
            passed: false,
            blocking: true,
            rule: 'Not worse than the champion by more than the tolerance.',
            description: `AUC 0.7 < champion v2 0.83 - ${TOLERANCE}.`,
            metadata: { tolerance: TOLERANCE, champion_version: '2' },
          },
        ],
      },
    });
    expect((why['decision'] as { checks: { checkName: string; passed: boolean }[] }).checks).toEqual([
      expect.objectContaining({ checkName: 'auc_floor', passed: true }),
      expect.objectContaining({ checkName: 'not_worse', passed: false }),
    ]);
    expect(why['summary']).toBe(
      `demo v3 was not promoted: not_worse failed (AUC 0.7 < champion v2 0.83 - ${TOLERANCE}). champion stayed v2.`,
    );
    const code = why['code'] as Json[];
    expect(code).toContainEqual({
      key: 'asset:evaluate',
      champion: 'evaluate-v1',
      challenger: null,
      changed: null,
    });
    expect(code[0]).toEqual({
      key: 'asset:train',
      champion: 'train-v1',
      challenger: 'train-v2',
      changed: true,
    });
    const prefixes = (why['data'] as { summary: { rows: { prefix: string }[] } }).summary.rows.map(
      (r) => r.prefix,
    );
    expect(prefixes).toEqual(['docs/', 'flights/']);

    // Without the data repository the diff is not available, and says so with both commits.
    app = appWith({ data: undefined });
    const blind = (await request(`/api/models/${MODEL}/versions/3/why`)).body;
    expect(blind['data']).toMatchObject({ available: false });
    expect((blind['data'] as { reason: string }).reason).toContain(
      `no data repository; the commits are ${commits[1]} (champion) and ${commits[2]} (challenger)`,
    );
    // The first version had no champion to compare with.
    const firstWhy = (await request(`/api/models/${MODEL}/versions/1/why`)).body;
    expect(firstWhy).toMatchObject({ outcome: 'promoted', champion: null, params: [] });
    expect(firstWhy['summary']).toMatch(/became champion \(the first one\)/);
  });

  it('explains an old promotion however many moves of the alias came after it', async () => {
    app = appWith();
    const { runId } = await loop.registry.getModelVersion(MODEL, '1');
    await loop.registry.createRegisteredModel({ name: 'gamma' });
    for (let v = 0; v < 4; v++) await loop.registry.createModelVersion({ name: 'gamma', runId: runId ?? '' });
    await loop.registry.setAlias({ name: 'gamma', alias: 'champion', version: '1', reason: 'first' });
    loop.clock.advance(1_000);
    await loop.registry.setAlias({ name: 'gamma', alias: 'champion', version: '2', reason: 'better' });
    // Then 1,100 moves between v3 and v4: v2's promotion is far behind the newest 1,000.
    for (let i = 0; i < 1_100; i++) {
      loop.clock.advance(1_000);
      await loop.registry.setAlias({ name: 'gamma', alias: 'champion', version: i % 2 === 0 ? '3' : '4' });
    }
    const why = (await request('/api/models/gamma/versions/2/why')).body;
    expect(why).toMatchObject({
      outcome: 'promoted',
      champion: { version: '1', source: 'replaced_by_promotion' },
      decision: { move: { fromVersion: '1', toVersion: '2', reason: 'better' } },
    });
    const first = (await request('/api/models/gamma/versions/1/why')).body;
    expect(first).toMatchObject({
      outcome: 'promoted',
      champion: null,
      decision: { move: { reason: 'first' } },
    });
  });

  it('validates paths and queries, and answers 503 without a registry', async () => {
    app = appWith();
    expect((await request('/api/models?limit=0')).status).toBe(400);
    expect((await request(`/api/models/${MODEL}/versions?after=two`)).status).toBe(400);
    expect((await request('/api/models?page=2')).status).toBe(400);
    expect((await request(`/api/models/${MODEL}/versions/9`)).status).toBe(404);
    expect((await request('/api/models/nope/versions')).status).toBe(404);
    expect(
      (
        await request(`/api/models/${MODEL}/aliases/x`, {
          method: 'POST',
          body: { version: '1', reason: 'r', by: 'me' },
        })
      ).status,
    ).toBe(400); // `by` is the caller, never the body
    app = appWith({ registry: undefined });
    const none = await request('/api/models');
    expect(none).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE' } } });
    expect(JSON.stringify(none.body)).toMatch(/no model registry/);
  });
});
