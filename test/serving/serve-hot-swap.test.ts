/**
 * Hot swap of `lakeloop serve models:/NAME@champion`: the alias moves (from another process, several
 * times) while concurrent clients keep sending requests — none fails, each answer is exactly one
 * version's prediction, the switch shows in `x-model-version`, and the versions each client sees
 * never go back. A version whose ONNX file is corrupt is not swapped in (and is reported); rollback
 * serves the previous version until the alias moves again; an in-process registry pushes the move;
 * `--workers 2` follows the alias in every worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/tracking/index.js';
import { startModelServer } from '../../src/serving/model-server.js';
import { createServingHome, startServe, testRowObjects, waitFor } from './serving-fixtures.js';
import type { ServeProcess, ServingHome } from './serving-fixtures.js';

const ROWS = testRowObjects().slice(0, 4);
const BODY = JSON.stringify({ inputs: ROWS });

let home: ServingHome;
/** Predictions of ROWS by version (loadModel, the reference). */
const expected = new Map<string, number[]>();

beforeAll(async () => {
  home = await createServingHome(4);
  for (const version of ['1', '2', '3', '4']) {
    await using scorer = await loadModel(`models:/${home.name}/${version}`, {
      registry: home.registry,
      tracking: home.tracking,
    });
    expected.set(version, Array.from(await scorer.predict(ROWS)));
  }
}, 120_000);

afterAll(async () => {
  await home.cleanup();
});

interface Answer {
  status: number;
  version: string;
  predictions: number[];
}

async function ask(url: string): Promise<Answer> {
  const response = await fetch(`${url}/invocations`, {
    method: 'POST',
    body: BODY,
    headers: { 'content-type': 'application/json' },
  });
  const body = (await response.json()) as { predictions: number[] };
  return {
    status: response.status,
    version: response.headers.get('x-model-version') ?? '',
    predictions: body.predictions,
  };
}

async function modelState(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/model`)).json()) as Record<string, unknown>;
}

function expectAnsweredBy(answer: Answer): void {
  expect(answer.status).toBe(200);
  const want = expected.get(answer.version);
  expect(want, `unexpected version ${answer.version}`).toBeDefined();
  answer.predictions.forEach((p, i) => {
    expect(Math.abs(p - (want?.[i] ?? Number.NaN))).toBeLessThan(1e-6);
  });
}

describe('lakeloop serve: hot swap', () => {
  let server: ServeProcess;

  beforeAll(async () => {
    await home.setAlias('1');
    server = await startServe(home.home, [`models:/${home.name}@champion`, '--poll-interval-ms', '50']);
  }, 60_000);

  afterAll(async () => {
    await server.stop();
  });

  it('follows the alias through three moves under concurrent load: no request fails, versions only go forward', async () => {
    const clients = 6;
    const seen: string[][] = Array.from({ length: clients }, () => []);
    let running = true;
    const failures: unknown[] = [];
    const loops = seen.map(async (versions) => {
      while (running) {
        try {
          const answer = await ask(server.url);
          expectAnsweredBy(answer);
          versions.push(answer.version);
        } catch (error) {
          failures.push(error);
          return;
        }
      }
    });
    const seenBy = (version: string): boolean => seen.every((versions) => versions.at(-1) === version);
    await waitFor(() => seenBy('1'));
    for (const version of ['2', '3', '4']) {
      await home.setAlias(version);
      await waitFor(() => seenBy(version) || failures.length > 0);
    }
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    for (const versions of seen) {
      const numbers = versions.map(Number);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b)); // never back to an older version
      expect(new Set(versions).has('4')).toBe(true);
    }
    expect(new Set(seen.flat())).toEqual(new Set(['1', '2', '3', '4']));
    expect(server.stderr()).toMatch(/now serving v4 \(was v3\)/);
  }, 60_000);

  it('does not swap in a version whose ONNX file is corrupt, and reports it', async () => {
    const broken = await home.addVersion(9, { corruptOnnx: true });
    const before = (await ask(server.url)).version;
    await home.setAlias(broken);
    await waitFor(async () => (await modelState(server.url)).lastSwapError !== null);
    const state = await modelState(server.url);
    expect(state).toMatchObject({ version: before, aliasVersion: broken, rolledBack: false });
    expect((state.lastSwapError as { version: string; message: string }).version).toBe(broken);
    expect((state.lastSwapError as { message: string }).message).toMatch(/cannot load its ONNX file/);
    const answer = await ask(server.url);
    expectAnsweredBy(answer);
    expect(answer.version).toBe(before);
    expect(server.stderr()).toMatch(new RegExp(`moved to v${broken}, which is NOT served`));
    // The alias moves on to a good version: swapped in, the error cleared.
    await home.setAlias('2');
    await waitFor(async () => (await ask(server.url)).version === '2');
    expect((await modelState(server.url)).lastSwapError).toBeNull();
  }, 30_000);

  it('rolls back to the previous version until the alias moves again', async () => {
    await home.setAlias('3');
    await waitFor(async () => (await ask(server.url)).version === '3');
    const rollback = await fetch(`${server.url}/rollback`, { method: 'POST' });
    expect(await rollback.json()).toMatchObject({ version: '2', from: '3' });
    expect((await ask(server.url)).version).toBe('2');
    expect(await modelState(server.url)).toMatchObject({
      version: '2',
      aliasVersion: '3',
      rolledBack: true,
      previousVersion: '3',
    });
    await home.setAlias('4');
    await waitFor(async () => (await ask(server.url)).version === '4');
    expect(await modelState(server.url)).toMatchObject({
      version: '4',
      rolledBack: false,
      previousVersion: '2',
    });
    // The alias moves back to the version kept for rollback: served again without a reload.
    await home.setAlias('2');
    await waitFor(async () => (await ask(server.url)).version === '2');
    expect(await modelState(server.url)).toMatchObject({
      version: '2',
      rolledBack: false,
      previousVersion: '4',
    });
    expect(server.stderr()).toMatch(/now serving v2 again \(kept loaded\)/);
  }, 30_000);
});

describe('lakeloop serve: fixed version, in-process push, workers', () => {
  it('serves a fixed version and refuses a rollback with nothing before it', async () => {
    const server = await startServe(home.home, [`models:/${home.name}/2`]);
    try {
      expect((await ask(server.url)).version).toBe('2');
      const refused = await fetch(`${server.url}/rollback`, { method: 'POST' });
      expect(refused.status).toBe(412);
      expect(await modelState(server.url)).toMatchObject({ alias: null, rolledBack: false });
    } finally {
      await server.stop();
    }
  }, 30_000);

  it('swaps at once when the alias moves through the registry of its own process', async () => {
    await home.setAlias('1');
    // A poll an hour apart: only the registry's push can make the swap.
    await using server = await startModelServer({
      ref: `models:/${home.name}@champion`,
      registry: home.registry,
      tracking: home.tracking,
      port: 0,
      pollIntervalMs: 3_600_000,
    });
    expect((await ask(server.url)).version).toBe('1');
    await home.setAlias('3');
    await waitFor(async () => (await ask(server.url)).version === '3', 10_000);
  }, 30_000);

  it('--workers 2: every worker follows the alias and a rollback reaches both', async () => {
    await home.setAlias('1');
    const server = await startServe(home.home, [
      `models:/${home.name}@champion`,
      '--workers',
      '2',
      '--poll-interval-ms',
      '50',
    ]);
    try {
      await home.setAlias('2');
      // Several new connections (spread over the workers) must all answer v2.
      const fresh = async (): Promise<string> => {
        const response = await fetch(`${server.url}/invocations`, {
          method: 'POST',
          body: BODY,
          headers: { 'content-type': 'application/json', connection: 'close' },
        });
        await response.arrayBuffer();
        return response.headers.get('x-model-version') ?? '';
      };
      await waitFor(async () =>
        (await Promise.all(Array.from({ length: 8 }, fresh))).every((v) => v === '2'),
      );
      expect(
        (await fetch(`${server.url}/rollback`, { method: 'POST', headers: { connection: 'close' } })).status,
      ).toBe(200);
      await waitFor(async () =>
        (await Promise.all(Array.from({ length: 8 }, fresh))).every((v) => v === '1'),
      );
    } finally {
      await server.stop();
    }
  }, 60_000);
});
