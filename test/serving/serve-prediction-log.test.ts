/**
 * `lakeloop serve --log-predictions`: what the server answered is committed as Parquet to the
 * embedded data repository (inputs, prediction, version), readable with `readTable`, and
 * `lakeloop models show` measures the drift of the served inputs against the training profile.
 * Crash: a server SIGKILLed while it logs leaves only whole files in the committed tree, and the
 * next server's commits take along what the killed one had staged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { readTable } from '../../src/versioning/data-readers.js';
import type { DataRepository } from '../../src/versioning/data-repository.js';
import { lakeloop } from '../core/cli-test-helpers.js';
import { createServingHome, FEATURES, startServe, testRowObjects, waitFor } from './serving-fixtures.js';
import type { ServeProcess, ServingHome } from './serving-fixtures.js';

let home: ServingHome;
let data: DataRepository;

beforeAll(async () => {
  home = await createServingHome(1);
  data = new EmbeddedDataRepository({ home: home.home });
  await data.createRepository({ name: 'preds' });
}, 120_000);

afterAll(async () => {
  await data.close();
  await home.cleanup();
});

async function post(server: ServeProcess, inputs: unknown): Promise<number[]> {
  const response = await fetch(`${server.url}/invocations`, {
    method: 'POST',
    body: JSON.stringify({ inputs }),
    headers: { 'content-type': 'application/json' },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { predictions: number[] }).predictions;
}

async function logStats(
  server: ServeProcess,
): Promise<{ committedRows: number; commits: number; droppedRows: number }> {
  const model = (await (await fetch(`${server.url}/model`)).json()) as {
    predictionLog: { committedRows: number; commits: number; droppedRows: number };
  };
  return model.predictionLog;
}

/** Every committed Parquet file under `prefix` at the head of main, with its row count. */
async function committedFiles(prefix: string): Promise<{ path: string; rows: number; declared: number }[]> {
  const files: { path: string; rows: number; declared: number }[] = [];
  let after = '';
  for (;;) {
    const page = await data.listObjects({
      repository: 'preds',
      ref: (await data.getBranch({ repository: 'preds', branch: 'main' })).commitId,
      prefix,
      after,
    });
    for (const entry of page.results) {
      if (entry.pathType !== 'object') continue;
      const table = await readTable(data, `lakefs://preds/main/${entry.path}`);
      files.push({
        path: entry.path,
        rows: table.rowCount,
        declared: Number(entry.metadata['lakeloop-rows']),
      });
    }
    if (!page.hasMore) break;
    after = page.nextOffset;
  }
  return files;
}

describe('lakeloop serve --log-predictions', () => {
  it('commits requests and predictions as Parquet, readable, and models show reports the drift', async () => {
    const server = await startServe(home.home, [
      `models:/${home.name}@champion`,
      '--log-predictions',
      'lakefs://preds/main/served/',
      '--log-every-rows',
      '50',
      '--log-every-seconds',
      '1',
    ]);
    const rows = testRowObjects();
    const answered: { row: Record<string, number | null>; p: number }[] = [];
    try {
      for (const row of rows.slice(0, 20))
        answered.push({ row, p: (await post(server, row))[0] ?? Number.NaN });
      const batch = rows.slice(20, 64);
      (await post(server, batch)).forEach((p, i) => answered.push({ row: batch[i] ?? {}, p }));
      await waitFor(async () => (await logStats(server)).committedRows === 64);
      expect((await logStats(server)).droppedRows).toBe(0);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const table = await readTable(data, 'lakefs://preds/main/served/');
    expect(table.rowCount).toBe(64);
    expect(table.columnNames).toEqual([
      'served_at',
      'model_name',
      'model_version',
      ...FEATURES,
      'prediction',
    ]);
    const logged = table.toRows();
    for (const { row, p } of answered) {
      const match = logged.find(
        (r) =>
          Math.abs(Number(r.prediction) - p) < 1e-12 &&
          FEATURES.every((f) =>
            row[f] === null ? r[f] === null : Math.abs(Number(r[f]) - (row[f] ?? 0)) < 1e-5,
          ),
      );
      expect(match, `row ${JSON.stringify(row)} not logged`).toBeDefined();
      expect(match?.model_version).toBe('1');
    }
    const head = await data.getCommit({ repository: 'preds', ref: 'main' });
    expect(head.metadata['lakeloop.model']).toBe(home.name);

    const shown = await lakeloop(['models', 'show', home.name], {
      LAKELOOP_HOME: home.home,
      MLFLOW_TRACKING_URI: '',
    });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/served inputs vs training data \(PSI/);
    expect(shown.stdout).toMatch(/v1: 64 row\(s\)/);
    for (const feature of FEATURES)
      expect(shown.stdout).toMatch(
        new RegExp(`^${feature}\\s+\\d+\\.\\d{3}\\s+(stable|moderate|shifted)`, 'm'),
      );
    const json = await lakeloop(['models', 'show', home.name, '--json'], {
      LAKELOOP_HOME: home.home,
      MLFLOW_TRACKING_URI: '',
    });
    const report = (
      JSON.parse(json.stdout) as {
        servedInputDrift: { version: string; rows: number; features: { feature: string; psi: number }[] }[];
      }
    ).servedInputDrift;
    expect(report[0]).toMatchObject({ version: '1', rows: 64 });
    expect(report[0]?.features.map((f) => f.feature)).toEqual([...FEATURES]);
  }, 120_000);

  it('a SIGKILL while logging leaves only whole committed files; the next server commits what was staged', async () => {
    const prefix = 'crash/';
    const args = [
      `models:/${home.name}@champion`,
      '--log-predictions',
      `lakefs://preds/main/${prefix}`,
      '--log-every-rows',
      '7',
      '--log-every-seconds',
      '1',
    ];
    const server = await startServe(home.home, args);
    const rows = testRowObjects();
    const load = { running: true };
    const loading = (async () => {
      for (let i = 0; load.running; i++) {
        await fetch(`${server.url}/invocations`, {
          method: 'POST',
          body: JSON.stringify({ inputs: rows.slice(0, 1 + (i % 5)) }),
        }).catch(() => undefined);
      }
    })();
    await waitFor(async () => (await logStats(server)).commits >= 3);
    server.child.kill('SIGKILL');
    await server.stop();
    load.running = false;
    await loading;
    const files = await committedFiles(prefix);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) expect(file.rows, file.path).toBe(file.declared);

    // A new server: its first commit also takes the whole files the killed one had staged.
    const staged = await data.diffUncommitted({ repository: 'preds', branch: 'main', prefix });
    const next = await startServe(home.home, args);
    try {
      await post(next, rows.slice(0, 7));
      await waitFor(async () => (await logStats(next)).commits >= 1);
    } finally {
      await next.stop();
    }
    expect((await data.diffUncommitted({ repository: 'preds', branch: 'main', prefix })).results).toEqual([]);
    const after = await committedFiles(prefix);
    expect(after.length).toBe(files.length + staged.results.length + 1);
    for (const file of after) expect(file.rows, file.path).toBe(file.declared);
  }, 120_000);
});
