/**
 * The asset detail routes through `app.request` on a real instance: one asset's definition and
 * status, its materializations and check evaluations newest first with paging, its partitions with
 * their status and paging, and the `select=` filter of `GET /api/assets`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defineAsset,
  defineCheck,
  Definitions,
  Instance,
  materialize,
  output,
  staticPartitions,
} from '../../src/index.js';
import { createApiApp } from '../../src/server/api-app.js';

const raw = defineAsset({ key: 'raw', group: 'ingest', compute: () => [1, 2, 3] });
let rows = 0;
const counted = defineAsset({
  key: 'counted',
  group: 'ingest',
  deps: [raw],
  compute: () => {
    rows += 10;
    return output(rows, { metadata: { rows } });
  },
});
const positive = defineCheck({
  name: 'positive',
  asset: counted,
  fn: (_ctx, value) => ({ passed: value > 15 }),
});
const regions = defineAsset({
  key: 'regions',
  group: 'geo',
  partitions: staticPartitions(Array.from({ length: 120 }, (_, i) => `r${String(i).padStart(3, '0')}`)),
  compute: (ctx) => ctx.partition,
});

describe('REST API: asset detail', () => {
  const defs = new Definitions({ assets: [raw, counted, regions], checks: [positive] });
  let instance: Instance;
  let app: ReturnType<typeof createApiApp>;
  const runIds: string[] = [];

  beforeAll(async () => {
    instance = await Instance.ephemeral();
    for (let i = 0; i < 3; i++) runIds.push((await materialize(defs, { instance, select: 'raw+' })).runId);
    await materialize(defs, { instance, select: 'regions', partition: 'r001' });
    app = createApiApp({ defs, instance });
  });

  afterAll(async () => {
    await instance.close();
  });

  const get = async (path: string) => {
    const response = await app.request(path);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('gives one asset with its up- and downstream, checks and status', async () => {
    const { status, body } = await get('/api/assets/counted');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      asset: { key: 'counted', group: 'ingest', deps: ['raw'], dependents: [], partitioned: false },
      status: { status: 'FRESH', lastMaterialization: { runId: runIds[2] } },
    });
    expect((body['asset'] as { checks: unknown }).checks).toEqual([{ name: 'positive', blocking: false }]);
    expect((await get('/api/assets/nope')).status).toBe(404);
  });

  it('pages materializations newest first, with their metadata and runs', async () => {
    const first = await get('/api/assets/counted/materializations?limit=2');
    const results = first.body['results'] as { runId: string; metadata: { rows: number } }[];
    expect(results.map((m) => m.runId)).toEqual([runIds[2], runIds[1]]);
    expect(results.map((m) => m.metadata.rows)).toEqual([30, 20]);
    expect(first.body['hasMore']).toBe(true);
    const second = await get(
      `/api/assets/counted/materializations?limit=2&after=${String(first.body['nextOffset'])}`,
    );
    expect((second.body['results'] as { runId: string }[]).map((m) => m.runId)).toEqual([runIds[0]]);
    expect(second.body['hasMore']).toBe(false);
    expect((await get('/api/assets/counted/materializations?after=x')).status).toBe(400);
  });

  it('lists check evaluations newest first', async () => {
    const { body } = await get('/api/assets/counted/checks');
    const results = body['results'] as { checkName: string; passed: boolean; runId: string }[];
    expect(results.map((e) => [e.checkName, e.passed, e.runId])).toEqual([
      ['positive', true, runIds[2]],
      ['positive', true, runIds[1]],
      ['positive', false, runIds[0]],
    ]);
  });

  it('pages partitions in key order with their status', async () => {
    const first = await get('/api/assets/regions/partitions?limit=50');
    const page = first.body['results'] as { partition: string; status: string }[];
    expect(page).toHaveLength(50);
    expect(page.slice(0, 3)).toMatchObject([
      { partition: 'r000', status: 'MISSING' },
      { partition: 'r001', status: 'FRESH' },
      { partition: 'r002', status: 'MISSING' },
    ]);
    const keys: string[] = page.map((p) => p.partition);
    let next = first.body['hasMore'] === true ? String(first.body['nextOffset']) : undefined;
    while (next !== undefined) {
      const more = await get(`/api/assets/regions/partitions?limit=50&after=${next}`);
      keys.push(...(more.body['results'] as { partition: string }[]).map((p) => p.partition));
      next = more.body['hasMore'] === true ? String(more.body['nextOffset']) : undefined;
    }
    expect(keys).toEqual(Array.from({ length: 120 }, (_, i) => `r${String(i).padStart(3, '0')}`));
    expect((await get('/api/assets/counted/partitions')).status).toBe(412);
  });

  it('keeps a selection on GET /api/assets and refuses an unknown one', async () => {
    const { body } = await get('/api/assets?select=raw%2B');
    expect((body['assets'] as { key: string }[]).map((a) => a.key)).toEqual(['raw', 'counted']);
    expect((await get('/api/assets?select=nothing_here')).status).toBe(400);
  });
});
