/**
 * Run config through the REST API: `POST /api/runs` with a `config` body is validated against the
 * assets' schemas at launch (400 naming the field, no run stored) and stored with the run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Hono } from 'hono';
import { defineAsset, defineJob, Definitions, Instance } from '../../src/index.js';
import { createApiApp } from '../../src/server/api-app.js';

const trained = defineAsset({
  key: 'trained',
  config: z.object({ learningRate: z.number().positive().default(0.1) }),
  compute: (ctx) => ctx.config.learningRate,
});
const defs = new Definitions({ assets: [trained], jobs: [defineJob({ name: 'train', select: '*' })] });

describe('run config in the API', () => {
  let instance: Instance;
  let app: Hono;

  beforeEach(async () => {
    instance = await Instance.ephemeral();
    app = createApiApp({ defs, instance }); // no daemon: launched runs stay QUEUED
  });
  afterEach(async () => {
    await instance.close();
  });

  const launch = (body: unknown) =>
    app.request('/api/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('stores a valid config with the run and shows it', async () => {
    const created = await launch({ job: 'train', config: { trained: { learningRate: 0.05 } } });
    expect(created.status).toBe(201);
    const { run } = (await created.json()) as { run: { runId: string; config: unknown } };
    expect(run.config).toEqual({ trained: { learningRate: 0.05 } });
    const shown = (await (await app.request(`/api/runs/${run.runId}`)).json()) as {
      run: { config: unknown };
    };
    expect(shown.run.config).toEqual({ trained: { learningRate: 0.05 } });
  });

  it('refuses an invalid config with 400 naming the field, and stores no run', async () => {
    const refused = await launch({ job: 'train', config: { trained: { learningRate: 'fast' } } });
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('config.trained.learningRate');
    const unknown = await launch({ job: 'train', config: { trainedd: {} } });
    expect(unknown.status).toBe(400);
    expect(await instance.runs.listRuns({})).toHaveLength(0);
  });
});
