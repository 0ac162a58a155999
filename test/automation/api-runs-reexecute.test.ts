/**
 * `POST /api/runs/:id/reexecute` (the run page's buttons) through `app.request`: from failure it
 * queues only the steps that did not succeed, and executing it does not run the passed steps again;
 * without `fromFailure` it queues every step; it refuses runs that cannot be re-executed. Also the
 * event log's `step=` filter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createRun, defineAsset, defineJob, Definitions, executeRun, Instance } from '../../src/index.js';
import type { RunRecord, StoredEvent } from '../../src/index.js';
import { createApiApp } from '../../src/server/api-app.js';

let failLast = true;
let computed: string[] = [];
const first = defineAsset({
  key: 'first',
  compute: () => {
    computed.push('first');
    return 1;
  },
});
const second = defineAsset({
  key: 'second',
  deps: ['first'],
  compute: (ctx) => {
    computed.push('second');
    ctx.log.info('second logs once');
    return 2;
  },
});
const last = defineAsset({
  key: 'last',
  deps: ['second'],
  compute: () => {
    computed.push('last');
    if (failLast) throw new Error('the flag is not there yet');
    return 3;
  },
});
const defs = new Definitions({
  assets: [first, second, last],
  jobs: [defineJob({ name: 'chain', select: '*' })],
});

/** Creates and executes a run of the job. */
async function runChain(instance: Instance): Promise<RunRecord> {
  const run = await createRun(defs, { instance, jobName: 'chain' });
  return executeRun({ defs, runId: run.runId, instance });
}

describe('POST /api/runs/:id/reexecute', () => {
  let instance: Instance;
  let app: Hono;
  let failed: RunRecord;

  beforeEach(async () => {
    failLast = true;
    computed = [];
    instance = await Instance.ephemeral();
    app = createApiApp({ defs, instance }); // no daemon: re-executions stay QUEUED until executed here
    failed = await runChain(instance);
  });
  afterEach(async () => {
    await instance.close();
  });

  const reexecute = (runId: string, body: unknown) =>
    app.request(`/api/runs/${runId}/reexecute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('from failure queues the failed step only, and its execution reuses the passed steps', async () => {
    expect(failed.status).toBe('FAILURE');
    const answer = await reexecute(failed.runId, { fromFailure: true });
    expect(answer.status).toBe(201);
    const { run } = (await answer.json()) as { run: RunRecord };
    expect(run).toMatchObject({ status: 'QUEUED', parentRunId: failed.runId, assetKeys: ['last'] });
    expect(run.tags['lakeloop/parent_run_id']).toBe(failed.runId);
    failLast = false;
    computed = [];
    const done = await executeRun({ defs, runId: run.runId, instance });
    expect(done.status).toBe('SUCCESS');
    expect(computed).toEqual(['last']);
  });

  it('without fromFailure queues every step of the same job', async () => {
    const answer = await reexecute(failed.runId, { fromFailure: false });
    expect(answer.status).toBe(201);
    const { run } = (await answer.json()) as { run: RunRecord };
    expect(run).toMatchObject({
      status: 'QUEUED',
      jobName: 'chain',
      parentRunId: failed.runId,
      assetKeys: ['first', 'second', 'last'],
    });
    expect(run.tags['lakeloop/retry_number']).toBe('1');
  });

  it('refuses a successful run from failure, a run in progress, an unknown run and a bad body', async () => {
    failLast = false;
    const passed = await runChain(instance);
    expect((await reexecute(passed.runId, { fromFailure: true })).status).toBe(412);
    expect((await reexecute(passed.runId, { fromFailure: false })).status).toBe(201);
    const queued = (await (
      await app.request('/api/runs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ job: 'chain' }),
      })
    ).json()) as { run: RunRecord };
    expect((await reexecute(queued.run.runId, { fromFailure: false })).status).toBe(412);
    expect((await reexecute('no-such-run', { fromFailure: true })).status).toBe(404);
    const bad = await reexecute(failed.runId, { fromFailure: 'yes' });
    expect(bad.status).toBe(400);
    expect((await reexecute(failed.runId, { all: true })).status).toBe(400);
  });

  it("the event log's step= keeps one step's events", async () => {
    const answer = await app.request(`/api/runs/${failed.runId}/events?step=second&limit=1000`);
    expect(answer.status).toBe(200);
    const { events } = (await answer.json()) as { events: StoredEvent[] };
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.stepKey === 'second' || e.materialization?.assetKey === 'second')).toBe(
      true,
    );
    expect(events.some((e) => e.type === 'LOG' && e.message === 'second logs once')).toBe(true);
  });
});

describe('GET /api/runs?commit=', () => {
  it('keeps the runs of one data commit, with a tag filter too', async () => {
    const instance = await Instance.ephemeral();
    const app = createApiApp({ defs, instance });
    const tagged = async (tags: Record<string, string>) =>
      (await createRun(defs, { instance, jobName: 'chain', tags })).runId;
    const ofCommit = await tagged({ 'lakeloop/data_commit': 'c0ffee', team: 'ml' });
    await tagged({ 'lakeloop/data_commit': 'beef', team: 'ml' });
    await tagged({ 'lakeloop/data_commit': 'c0ffee', team: 'ops' });
    const ids = async (query: string) =>
      ((await (await app.request(`/api/runs?${query}`)).json()) as { runs: RunRecord[] }).runs.map(
        (r) => r.runId,
      );
    expect(await ids('commit=c0ffee')).toHaveLength(2);
    expect(await ids('commit=c0ffee&tag=team=ml')).toEqual([ofCommit]);
    await instance.close();
  });
});
