/**
 * `lakeloop serve` as a real process on a home whose registry holds a model trained here: it
 * answers like `loadModel(...).predict` (JSON single row, batches, MLflow's dataframe_split, a raw
 * float32 body), refuses bad bodies with a 400 naming the row and the field (413 for size), and
 * keeps `lakeloop dev`'s network rule (no token, no non-loopback bind).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/tracking/index.js';
import { lakeloop } from '../core/cli-test-helpers.js';
import { createServingHome, FEATURES, startServe, TEST_ROWS, testRowObjects } from './serving-fixtures.js';
import type { ServeProcess, ServingHome } from './serving-fixtures.js';

let home: ServingHome;
let server: ServeProcess;
let expected: Float64Array;

beforeAll(async () => {
  home = await createServingHome(1);
  server = await startServe(home.home, [`models:/${home.name}@champion`]);
  await using scorer = await loadModel(`models:/${home.name}/1`, {
    registry: home.registry,
    tracking: home.tracking,
  });
  expected = await scorer.predict(TEST_ROWS.features);
}, 120_000);

afterAll(async () => {
  await server.stop();
  await home.cleanup();
});

async function invoke(
  body: RequestInit['body'],
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Response> {
  return fetch(`${server.url}/invocations`, { method: 'POST', body, headers });
}

async function predictions(response: Response): Promise<number[]> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { predictions: number[] }).predictions;
}

function expectClose(actual: readonly number[], want: ArrayLike<number>): void {
  expect(actual).toHaveLength(want.length);
  for (let i = 0; i < want.length; i++)
    expect(Math.abs((actual[i] ?? Number.NaN) - (want[i] ?? 0))).toBeLessThan(1e-6);
}

async function expectRefused(response: Response, status: number, message: RegExp): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('INVALID_ARGUMENT');
  expect(body.error.message).toMatch(message);
}

describe('lakeloop serve: predictions', () => {
  it('answers a single JSON row like loadModel, naming the version in headers', async () => {
    const rows = testRowObjects();
    const response = await invoke(JSON.stringify({ inputs: rows[3] }));
    expect(response.headers.get('x-model-version')).toBe('1');
    expect(response.headers.get('x-model-name')).toBe(home.name);
    expectClose(await predictions(response), [expected[3] ?? 0]);
  });

  it('answers a batch, dataframe_split and a float32 body like loadModel', async () => {
    const rows = testRowObjects();
    expectClose(await predictions(await invoke(JSON.stringify({ inputs: rows }))), expected);
    const split = {
      columns: [...FEATURES].reverse(),
      data: rows.map((row) => [...FEATURES].reverse().map((f) => row[f] ?? null)),
    };
    expectClose(await predictions(await invoke(JSON.stringify({ dataframe_split: split }))), expected);
    const raw = await invoke(new Uint8Array(TEST_ROWS.features.buffer.slice(0)), {
      'content-type': 'application/octet-stream',
      'x-columns': FEATURES.join(','),
    });
    expectClose(await predictions(raw), expected);
  });

  it('reports health and the model: version, alias, signature, metrics', async () => {
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({
      status: 'ok',
      name: home.name,
      version: '1',
    });
    const model = (await (await fetch(`${server.url}/model`)).json()) as Record<string, unknown>;
    expect(model).toMatchObject({
      name: home.name,
      version: '1',
      alias: 'champion',
      aliasVersion: '1',
      rolledBack: false,
      lastSwapError: null,
      metrics: { auc: 0.71 },
    });
    expect((model.signature as { inputs: { name: string }[] }).inputs.map((i) => i.name)).toEqual([
      ...FEATURES,
    ]);
  });
});

describe('lakeloop serve: bad bodies', () => {
  it('names the unknown, missing or non-numeric field and its row', async () => {
    const [row] = testRowObjects();
    await expectRefused(
      await invoke(JSON.stringify({ inputs: { ...row, hourr: 1 } })),
      400,
      /Row 0: unknown field "hourr"/,
    );
    const { skew: _skew, ...withoutSkew } = row ?? {};
    await expectRefused(
      await invoke(JSON.stringify({ inputs: [row, withoutSkew] })),
      400,
      /Row 1: missing field "skew"/,
    );
    await expectRefused(
      await invoke(JSON.stringify({ inputs: [row, row, { ...row, hour: '7' }] })),
      400,
      /Row 2, field "hour": expected a number/,
    );
    await expectRefused(await invoke(JSON.stringify({ rows: [row] })), 400, /Unknown field "rows"/);
    await expectRefused(await invoke('{"inputs": '), 400, /not JSON/);
  });

  it('refuses too many rows (400) and a body over 2 MiB (413)', async () => {
    const [row] = testRowObjects();
    await expectRefused(
      await invoke(JSON.stringify({ inputs: Array.from({ length: 10_001 }, () => row) })),
      400,
      /10001 rows.*at most 10000/,
    );
    await expectRefused(
      await invoke(new Uint8Array(3 * 1024 * 1024), { 'content-type': 'application/octet-stream' }),
      413,
      /larger than/,
    );
  });

  it('refuses float32 bodies that are not whole rows or name other columns', async () => {
    await expectRefused(
      await invoke(new Uint8Array(4 * 7), { 'content-type': 'application/octet-stream' }),
      400,
      /not whole rows of 5/,
    );
    await expectRefused(
      await invoke(new Uint8Array(4 * 5), {
        'content-type': 'application/octet-stream',
        'x-columns': 'skew,hour,log_distance,day,route_rate',
      }),
      400,
      /x-columns: column 0 is "skew", the model expects "hour"/,
    );
  });
});

describe('lakeloop serve: network rules', () => {
  it('refuses a non-loopback address without a token, in one line', async () => {
    const result = await lakeloop(
      ['serve', `models:/${home.name}@champion`, '--host', '0.0.0.0', '--port', '0'],
      {
        LAKELOOP_HOME: home.home,
        LAKELOOP_TOKEN: '',
      },
    );
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/Binding 0\.0\.0\.0 exposes the model server to the network/);
  });

  it('asks for the token when one is given, except on /health', async () => {
    const token = 'serve-token-1234567890';
    const guarded = await startServe(home.home, [`models:/${home.name}/1`], { LAKELOOP_TOKEN: token });
    try {
      expect((await fetch(`${guarded.url}/health`)).status).toBe(200);
      const body = JSON.stringify({ inputs: testRowObjects()[0] });
      expect((await fetch(`${guarded.url}/invocations`, { method: 'POST', body })).status).toBe(401);
      const ok = await fetch(`${guarded.url}/invocations`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(ok.status).toBe(200);
    } finally {
      await guarded.stop();
    }
  });
});
