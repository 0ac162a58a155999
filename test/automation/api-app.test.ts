/**
 * The REST API through `app.request` (hono, no socket): runs, events, assets, sensors, schedules,
 * lakeFS webhooks, validation, JSON errors with mapped statuses, and bearer tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { manualClock } from '../../src/clock.js';
import type { ManualClock } from '../../src/clock.js';
import { defineSchedule } from '../../src/core/definitions/schedule-definition.js';
import { dataCommitSensor } from '../../src/versioning/data-commit-sensor.js';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { Instance } from '../../src/core/instance/instance.js';
import { createApiApp } from '../../src/server/api-app.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { automationDefs } from './fixtures/automation-defs.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const TOKEN = 'test-token-0123456789abcdef';

interface ErrorBody {
  error: { code: string; message: string };
}

describe('REST API', () => {
  let dir: string;
  let clock: ManualClock;
  let instance: Instance;
  let data: EmbeddedDataRepository;
  let daemon: Daemon;
  let app: Hono;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    clock = manualClock(T0);
    instance = await Instance.ephemeral({ clock, storage: 'sqlite' });
    data = new EmbeddedDataRepository({ home: dir });
    await data.createRepository({ name: 'flights' });
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'flights',
      branch: 'main',
      job: 'process',
      minimumIntervalSeconds: 3600,
      dataRepository: data,
    });
    const schedule = defineSchedule({ name: 'nightly', cron: '0 2 * * *', job: 'process' });
    const { defs } = automationDefs({ sensors: [sensor], schedules: [schedule] });
    daemon = new Daemon({ defs, instance, daemonId: 'api-test' });
    app = createApiApp({ defs, instance, daemon });
  });

  afterEach(async () => {
    await daemon.stop();
    await data.close();
    await instance.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  it('launches a job, lists it, shows it with its steps and events', async () => {
    const created = await post('/api/runs', { job: 'process', tags: { who: 'me' }, priority: 3 });
    expect(created.status).toBe(201);
    const { run } = (await created.json()) as {
      run: { runId: string; status: string; tags: Record<string, string> };
    };
    expect(run.status).toBe('QUEUED');
    expect(run.tags).toMatchObject({ who: 'me', 'lakeloop/priority': '3' });
    await daemon.queue.idle();

    const list = (await (await app.request('/api/runs?status=SUCCESS&tag=who=me')).json()) as {
      runs: { runId: string }[];
    };
    expect(list.runs.map((r) => r.runId)).toEqual([run.runId]);
    const none = (await (await app.request('/api/runs?status=FAILURE')).json()) as { runs: unknown[] };
    expect(none.runs).toEqual([]);

    const detail = (await (await app.request(`/api/runs/${run.runId}`)).json()) as {
      run: { status: string };
      steps: { stepKey: string; status: string }[];
    };
    expect(detail.run.status).toBe('SUCCESS');
    expect(detail.steps).toEqual([expect.objectContaining({ stepKey: 'processed', status: 'SUCCESS' })]);

    const events = (await (
      await app.request(`/api/runs/${run.runId}/events?type=STEP_SUCCESS,RUN_SUCCESS`)
    ).json()) as {
      events: { type: string }[];
    };
    expect(events.events.map((e) => e.type).sort()).toEqual(['RUN_SUCCESS', 'STEP_SUCCESS']);
  });

  it('pages runs and a run’s events with hasMore and nextOffset', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await post('/api/runs', { job: 'process' });
      ids.push(((await created.json()) as { run: { runId: string } }).run.runId);
    }
    type RunsPage = { runs: { runId: string }[]; hasMore: boolean; nextOffset: string };
    const seen: string[] = [];
    let page: RunsPage = { runs: [], hasMore: true, nextOffset: '' };
    while (page.hasMore) {
      const after = page.nextOffset === '' ? '' : `&after=${page.nextOffset}`;
      page = (await (await app.request(`/api/runs?limit=2${after}`)).json()) as RunsPage;
      seen.push(...page.runs.map((r) => r.runId));
    }
    expect(seen.sort()).toEqual([...ids].sort());
    expect(page.nextOffset).toBe('');

    await daemon.queue.idle();
    type EventsPage = { events: { id: number }[]; hasMore: boolean; nextOffset: string };
    const all = (await (await app.request(`/api/runs/${ids[0]}/events`)).json()) as EventsPage;
    expect(all.hasMore).toBe(false);
    const first = (await (await app.request(`/api/runs/${ids[0]}/events?limit=2`)).json()) as EventsPage;
    expect(first).toMatchObject({ hasMore: true, nextOffset: String(all.events[1]?.id) });
    const rest = (await (
      await app.request(`/api/runs/${ids[0]}/events?after=${first.nextOffset}&limit=1000`)
    ).json()) as EventsPage;
    expect([...first.events, ...rest.events]).toEqual(all.events);
  });

  it('launches an asset selection', async () => {
    const created = await post('/api/runs', { select: 'processed' });
    expect(created.status).toBe(201);
    const { run } = (await created.json()) as { run: { jobName: string; assetKeys: string[] } };
    expect(run.jobName).toBe('__asset_selection__');
    expect(run.assetKeys).toEqual(['processed']);
  });

  it('answers bad requests with JSON errors and the mapped status', async () => {
    const both = await post('/api/runs', { job: 'process', select: '*' });
    expect(both.status).toBe(400);
    const body = (await both.json()) as ErrorBody;
    expect(body.error.code).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toMatch(/exactly one of "job"/);

    const typo = await post('/api/runs', { job: 'process', tgas: {} });
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as ErrorBody).error.message).toMatch(/tgas/);

    const notJson = await post('/api/runs', '{nope');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as ErrorBody).error.message).toMatch(/not JSON/);

    const unknownJob = await post('/api/runs', { job: 'nope' });
    expect(unknownJob.status).toBe(404);
    expect(((await unknownJob.json()) as ErrorBody).error).toEqual({
      code: 'NOT_FOUND',
      message: 'Unknown job "nope"; jobs: process.',
      details: { job: 'nope' },
    });

    const missingRun = await app.request('/api/runs/does-not-exist');
    expect(missingRun.status).toBe(404);
    const badStatus = await app.request('/api/runs?status=DONE');
    expect(badStatus.status).toBe(400);
    const noRoute = await app.request('/api/nothing');
    expect(noRoute.status).toBe(404);
    expect(((await noRoute.json()) as ErrorBody).error.code).toBe('NOT_FOUND');
  });

  it('refuses reserved lakeloop/* tags from clients, naming the key, and creates no run', async () => {
    for (const key of ['lakeloop/defs', 'lakeloop/data_commit', 'lakeloop/priority', 'Lakeloop/Defs']) {
      const response = await post('/api/runs', {
        job: 'process',
        tags: { ok: 'yes', [key]: '/tmp/evil.mjs' },
      });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as ErrorBody;
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(`tag key "${key}" is reserved`);
    }
    expect(await instance.runs.listRuns()).toEqual([]);
  });

  it('limits tag count and size before any work (MLflow-like: 50 tags, 250-char keys, 5000-char values)', async () => {
    const many = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`t${i}`, 'v']));
    const flood = await post('/api/runs', { job: 'process', tags: many });
    expect(flood.status).toBe(400);
    expect(((await flood.json()) as ErrorBody).error.message).toBe(
      'Invalid run launch request: tags: 60000 tags given; at most 50 are accepted.',
    );
    const fiftyOne = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v']));
    expect((await post('/api/runs', { job: 'process', tags: fiftyOne })).status).toBe(400);
    const longKey = await post('/api/runs', { job: 'process', tags: { ['k'.repeat(251)]: 'v' } });
    expect(((await longKey.json()) as ErrorBody).error.message).toMatch(/longer than 250 characters/);
    const longValue = await post('/api/runs', { job: 'process', tags: { big: 'v'.repeat(5001) } });
    expect(((await longValue.json()) as ErrorBody).error.message).toMatch(
      /tags\.big: the value of tag "big" is longer than 5000 characters/,
    );
    const notString = await post('/api/runs', { job: 'process', tags: { n: 1 } });
    expect(((await notString.json()) as ErrorBody).error.message).toMatch(/tag "n" must be a string/);
    const badKey = await post('/api/runs', { job: 'process', tags: { 'a\nb': 'v' } });
    expect(badKey.status).toBe(400);
    const notObject = await post('/api/runs', { job: 'process', tags: ['a'] });
    expect(((await notObject.json()) as ErrorBody).error.message).toMatch(/JSON object of strings/);
    const hugePriority = await post('/api/runs', { job: 'process', priority: 1e12 });
    expect(hugePriority.status).toBe(400);
    expect(await instance.runs.listRuns()).toEqual([]);

    const atLimit = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`${i}`.padStart(250, 'k'), 'v'.repeat(5000)]),
    );
    const accepted = await post('/api/runs', { job: 'process', tags: atLimit });
    expect(accepted.status).toBe(201);
    await daemon.queue.idle();
  });

  it('validates every query parameter: known names, once, bounded numbers, known types, run-id cursors', async () => {
    const created = await post('/api/runs', { job: 'process' });
    const { run } = (await created.json()) as { run: { runId: string } };
    await daemon.queue.idle();
    const cases: [string, RegExp][] = [
      [
        `/api/runs/${run.runId}/events?type=STEP_SUCCESS,NOPE`,
        /type: unknown event type "NOPE"; use RUN_ENQUEUED/,
      ],
      [`/api/runs/${run.runId}/events?type=`, /type: give at least one event type/],
      [`/api/runs/${run.runId}/events?after=-1`, /after: must be a whole number from 0/],
      [`/api/runs/${run.runId}/events?after=1e3`, /after: must be a whole number/],
      [`/api/runs/${run.runId}/events?limit=0`, /limit: must be a whole number from 1 to 1000/],
      [`/api/runs/${run.runId}/events?limit=1001`, /limit: must be a whole number from 1 to 1000/],
      [`/api/runs/${run.runId}/events?limit=0x10`, /limit: must be a whole number/],
      [`/api/runs/${run.runId}/events?limit=`, /limit: must be a whole number/],
      [`/api/runs/${run.runId}/events?limit=5&limit=2000`, /give each parameter once \(repeated: "limit"\)/],
      ['/api/runs?limit=abc', /limit: must be a whole number from 1 to 1000/],
      ['/api/runs?stauts=SUCCESS', /unknown query parameter "stauts"; this route takes status, job, tag/],
      ['/api/runs?status=SUCCESS,DONE', /status: unknown status "DONE"/],
      [`/api/runs?before=${encodeURIComponent("x' OR 1=1 --")}`, /before: must be a run id/],
      [`/api/runs?tag=${'k'.repeat(251)}=v`, /tag: key at most 250 characters/],
      ['/api/runs?tag=novalue', /tag: use key=value/],
      [`/api/runs/${encodeURIComponent('a b')}`, /Invalid run id: must be a run id/],
      ['/api/assets?verbose=1', /unknown query parameter "verbose"; this route takes select/],
      ['/api/sensors/new_data/ticks?limit=-5', /limit: must be a whole number from 1 to 1000/],
      ['/api/health?x=1', /unknown query parameter "x"/],
    ];
    for (const [path, message] of cases) {
      const response = await app.request(path);
      const { error } = (await response.json()) as ErrorBody;
      expect([path, response.status, error.code]).toEqual([path, 400, 'INVALID_ARGUMENT']);
      expect(error.message).toMatch(message);
    }
    const posted = await post(`/api/runs/${run.runId}/cancel?force=1`);
    expect(posted.status).toBe(400);

    const fine = await app.request(`/api/runs/${run.runId}/events?type=RUN_SUCCESS&after=0&limit=10`);
    expect(((await fine.json()) as { events: { type: string }[] }).events.map((e) => e.type)).toEqual([
      'RUN_SUCCESS',
    ]);
    const page = await app.request(`/api/runs?status=SUCCESS&limit=1&before=${run.runId}`);
    expect(((await page.json()) as { runs: unknown[] }).runs).toEqual([]);
  });

  it('bounds the request body, with or without a content-length', async () => {
    const { defs } = automationDefs();
    const small = createApiApp({ defs, instance, maxBodyBytes: 1000 });
    const body = JSON.stringify({ job: 'process', tags: { note: 'x'.repeat(2000) } });
    const declared = await small.request('/api/runs', { method: 'POST', body });
    expect(declared.status).toBe(400);
    expect(((await declared.json()) as ErrorBody).error.message).toBe(
      'The request body is larger than 1000 bytes; send a smaller one (a run takes at most 50 tags).',
    );
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(200)));
        controller.close();
      },
    });
    const chunked = await small.request('/api/runs', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    });
    expect(chunked.status).toBe(400);
    expect(((await chunked.json()) as ErrorBody).error.message).toMatch(/larger than 1000 bytes/);
    expect(await instance.runs.listRuns()).toEqual([]);
  });

  it('cancels a queued run, and refuses to cancel a finished one', async () => {
    const { defs } = automationDefs();
    const noDaemon = createApiApp({ defs, instance }); // runs stay QUEUED
    const launched = await noDaemon.request('/api/runs', {
      method: 'POST',
      body: JSON.stringify({ job: 'process' }),
    });
    const { run } = (await launched.json()) as { run: { runId: string } };
    const canceled = await noDaemon.request(`/api/runs/${run.runId}/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    expect(((await canceled.json()) as { run: { status: string } }).run.status).toBe('CANCELED');
    const again = await noDaemon.request(`/api/runs/${run.runId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorBody).error.code).toBe('CONFLICT');
  });

  it('lists assets with their status', async () => {
    await post('/api/runs', { job: 'process' });
    await daemon.queue.idle();
    const { assets } = (await (await app.request('/api/assets')).json()) as {
      assets: { key: string; statuses: { status: string }[] }[];
    };
    expect(assets.map((a) => a.key)).toEqual(['processed']);
    expect(assets[0]?.statuses[0]?.status).toBe('FRESH');
  });

  it('lists, stops, starts, ticks and resets sensors; lists schedules', async () => {
    const { sensors } = (await (await app.request('/api/sensors')).json()) as {
      sensors: { name: string; status: string }[];
    };
    expect(sensors.map((s) => [s.name, s.status])).toEqual([['new_data', 'RUNNING']]);
    const stopped = await post('/api/sensors/new_data/stop');
    expect(((await stopped.json()) as { sensor: { status: string } }).sensor.status).toBe('STOPPED');
    const started = await post('/api/sensors/new_data/start');
    expect(((await started.json()) as { sensor: { status: string } }).sensor.status).toBe('RUNNING');

    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.csv', content: 'a' });
    const { id } = await data.commit({ repository: 'flights', branch: 'main', message: 'a' });
    await daemon.sensors.idle(); // no subscription (daemon not started): nothing yet
    const ticked = (await (await post('/api/sensors/new_data/tick')).json()) as {
      tick: { status: string; runKeys: string[] };
    };
    expect(ticked.tick).toMatchObject({ status: 'SUCCESS', runKeys: [id] });
    const { ticks } = (await (await app.request('/api/sensors/new_data/ticks?limit=5')).json()) as {
      ticks: unknown[];
    };
    expect(ticks).toHaveLength(1);
    const reset = (await (await post('/api/sensors/new_data/reset-cursor')).json()) as {
      sensor: { cursor?: string };
    };
    expect(reset.sensor.cursor).toBeUndefined();

    const { schedules } = (await (await app.request('/api/schedules')).json()) as {
      schedules: { name: string; cron: string }[];
    };
    expect(schedules).toEqual([expect.objectContaining({ name: 'nightly', cron: '0 2 * * *' })]);
    const schedule = (await (await app.request('/api/schedules/nightly')).json()) as {
      schedule: { name: string; status: string };
    };
    expect(schedule.schedule).toMatchObject({ name: 'nightly', status: 'RUNNING' });
    const scheduleStopped = (await (await post('/api/schedules/nightly/stop')).json()) as {
      schedule: { status: string };
    };
    expect(scheduleStopped.schedule.status).toBe('STOPPED');
    expect(
      ((await (await post('/api/schedules/nightly/start')).json()) as { schedule: { status: string } })
        .schedule.status,
    ).toBe('RUNNING');
    expect(
      ((await (await app.request('/api/schedules/nightly/ticks')).json()) as { ticks: unknown[] }).ticks,
    ).toEqual([]);
    expect((await app.request('/api/schedules/new_data')).status).toBe(404);
    expect((await app.request('/api/sensors/nightly/ticks')).status).toBe(404);
    expect((await post('/api/sensors/unknown/start')).status).toBe(404);
    await daemon.queue.idle();
  });

  it('accepts lakeFS post-commit webhooks and evaluates the matching sensors at once', async () => {
    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.csv', content: 'a' });
    const { id } = await data.commit({ repository: 'flights', branch: 'main', message: 'a' });
    const hook = {
      event_type: 'post-commit',
      event_time: '2026-03-01T00:00:00Z',
      action_name: 'notify lakeloop',
      hook_id: 'lakeloop',
      repository_id: 'flights',
      branch_id: 'main',
      source_ref: 'main',
      commit_message: 'a',
      committer: 'me',
      commit_metadata: { month: '2001-01' },
      commit_id: id,
    };
    const response = await post('/api/hooks/lakefs', hook);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: true, sensors: ['new_data'] });
    await daemon.sensors.idle();
    await daemon.queue.idle();
    const runs = await instance.runs.listRuns();
    expect(runs.map((r) => [r.tags['lakeloop/data_commit'], r.status])).toEqual([[id, 'SUCCESS']]);

    const otherBranch = await post('/api/hooks/lakefs', { ...hook, branch_id: 'dev' });
    expect(await otherBranch.json()).toEqual({ accepted: true, sensors: [] });
    const tagEvent = await post('/api/hooks/lakefs', {
      event_type: 'post-create-tag',
      repository_id: 'flights',
      tag_id: 'v1',
    });
    expect(tagEvent.status).toBe(200);
    expect(((await tagEvent.json()) as { accepted: boolean }).accepted).toBe(false);
    const invalid = await post('/api/hooks/lakefs', { event_type: 'post-commit' });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as ErrorBody).error.message).toMatch(/repository_id/);
    const noBranch = await post('/api/hooks/lakefs', { event_type: 'post-merge', repository_id: 'flights' });
    expect(noBranch.status).toBe(400);
  });

  it('requires the bearer token on every route but the health check', async () => {
    const { defs } = automationDefs();
    const secured = createApiApp({ defs, instance, token: TOKEN });
    expect((await secured.request('/api/health')).status).toBe(200);
    const anonymous = await secured.request('/api/runs');
    expect(anonymous.status).toBe(401);
    const text = await anonymous.text();
    expect(text).toMatch(/UNAUTHORIZED/);
    expect(text).not.toContain(TOKEN);
    const wrong = await secured.request('/api/runs', { headers: { authorization: 'Bearer wrong-token' } });
    expect(wrong.status).toBe(401);
    const hook = await secured.request('/api/hooks/lakefs', { method: 'POST', body: '{}' });
    expect(hook.status).toBe(401);
    const ok = await secured.request('/api/runs', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
  });

  it('says an empty bearer token is probably an unset LAKEFSACTION_ variable of a lakeFS action', async () => {
    const { defs } = automationDefs();
    const secured = createApiApp({ defs, instance, token: TOKEN });
    // what lakeFS sends for "Bearer {{ ENV.LAKEFSACTIONS_LAKELOOP_TOKEN }}" (unknown variable -> '')
    for (const authorization of ['Bearer ', 'Bearer', 'bearer   ']) {
      const hook = await secured.request('/api/hooks/lakefs', {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ event_type: 'post-commit', repository_id: 'flights', branch_id: 'main' }),
      });
      expect(hook.status).toBe(401);
      const body = (await hook.json()) as ErrorBody;
      expect(body.error.code).toBe('UNAUTHORIZED');
      expect(body.error.message).toMatch(/^Empty bearer token/);
      expect(body.error.message).toContain('LAKEFSACTION_');
    }
    // a wrong or missing token keeps the generic message
    const wrong = await secured.request('/api/runs', { headers: { authorization: 'Bearer wrong-token' } });
    expect(((await wrong.json()) as ErrorBody).error.message).toMatch(/^Missing or wrong API token/);
    const missing = await secured.request('/api/runs');
    expect(((await missing.json()) as ErrorBody).error.message).toMatch(/^Missing or wrong API token/);
  });
});
