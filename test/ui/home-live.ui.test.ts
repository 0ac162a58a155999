/**
 * Home follows the loop live, in a real browser against a real `lakeloop dev` (flight-delay
 * pipeline, embedded backends, an empty home): a data commit made through the API (a branch
 * created and merged through the API, a month of flights committed on it by this test on the same
 * embedded repository) appears on Home's timeline, followed by its sensor tick, its run and the
 * model version trained on it, without a reload.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDataRepository } from 'lakeloop/data';
import type { DataRepository } from 'lakeloop/data';
import { ensureRepository, importMonth, prepareSource } from '../../pipelines/flight-delays/demo-data.js';
import {
  launchBrowser,
  openPage,
  removeUiHome,
  saveScreenshot,
  startDevServer,
  tempUiHome,
  uiDescribe,
  uiTestEnv,
} from './ui-harness.js';
import type { DevServer } from './ui-harness.js';

uiDescribe('Home page, live (browser)', () => {
  let home: string;
  let data: DataRepository | undefined;
  let server: DevServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    home = tempUiHome();
    data = createDataRepository({ home, env: uiTestEnv(home) });
    await ensureRepository(data, 'flights');
    server = await startDevServer({ home });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await data?.close();
    removeUiHome(home);
  });

  it('shows a commit merged through the API, then its tick, its run and its model version', async () => {
    if (browser === undefined || server === undefined || data === undefined) throw new Error('setup failed');
    const api = server.url;
    const { page, errors } = await openPage(browser, `${api}/`);
    const timeline = page.getByRole('region', { name: 'Timeline' });
    await expect.poll(() => timeline.textContent()).toMatch(/Nothing yet/);
    await expect.poll(() => page.getByRole('status').textContent()).toBe('live');

    const post = async (path: string, body: unknown) => {
      const answer = await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(answer.status, path).toBeLessThan(300);
      return (await answer.json()) as Record<string, unknown>;
    };
    await post('/api/data/repositories/flights/branches', { name: 'jan', source: 'main' });
    const source = await prepareSource({ dataset: 'flights-2k', workDir: join(home, 'work') });
    await importMonth({
      data,
      source,
      month: '2001-01',
      repository: 'flights',
      branch: 'jan',
      prefix: 'flights',
    });
    const merge = await post('/api/data/repositories/flights/refs/jan/merge/main', { message: 'January' });
    const commitId = merge['reference'] as string;

    // Each lane fills in, live: the commit, its tick, its run, the model version (newest on top).
    const lane = (kind: string) => timeline.locator(`tr[data-kind="${kind}"]`);
    await expect.poll(() => lane('commit').first().textContent()).toContain(commitId.slice(0, 10));
    await expect.poll(() => lane('commit').first().textContent()).toContain('merge: January');
    await expect
      .poll(() => lane('tick').first().textContent(), { timeout: 30_000 })
      .toMatch(/SUCCESS → 1 run/);
    await expect
      .poll(() => lane('model-version').first().textContent(), { timeout: 60_000 })
      .toMatch(/flight-delays v1/);
    // The run ends (with flights-2k's one month the AUC gate may refuse the version: FAILURE).
    await expect.poll(() => lane('run').first().textContent()).toMatch(/retrain (SUCCESS|FAILURE)/);

    // In time order: commit, then tick, then run, then version (rows are newest first).
    const rows = await timeline.locator('tbody tr').all();
    const kinds = await Promise.all(rows.map((row) => row.getAttribute('data-kind')));
    expect(kinds.reverse()).toEqual(['commit', 'tick', 'run', 'model-version']);
    const runs = (await (await fetch(`${api}/api/runs`)).json()) as {
      runs: { runId: string; status: string; tags: Record<string, string> }[];
    };
    expect(runs.runs.map((r) => r.tags['lakeloop/data_commit'])).toEqual([commitId]);
    expect(await lane('run').first().textContent()).toContain(`retrain ${runs.runs[0]?.status ?? ''}`);
    expect(await lane('run').first().getByRole('link').getAttribute('href')).toBe(
      `/runs/${runs.runs[0]?.runId ?? ''}`,
    );
    await saveScreenshot(page, 'home-live');
    expect(errors).toEqual([]);
  });
});
