/**
 * The Assets pages in a real browser against a real `lakeloop dev`: on the seeded flights-2k loop
 * the catalog lists every asset with its status, the selection filter narrows it and stays in the
 * URL, the graph view draws the assets and their deps, "Materialize selection" queues a run and
 * links it; an asset's page shows its materializations with their runs, a metadata plot whose
 * points open their run, and its check history. On a fixture with 10,000 partitions the partition
 * table pages and keeps only a window of rows in the DOM.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  accessibilityProblems,
  launchBrowser,
  openPage,
  removeUiHome,
  repoRoot,
  saveScreenshot,
  seedFlightsLoop,
  startDevServer,
  tempUiHome,
  uiDescribe,
} from './ui-harness.js';
import type { DevServer } from './ui-harness.js';

const FLIGHT_ASSETS = ['load_data', 'preprocess', 'train_model', 'evaluate_model', 'promote_model'];

uiDescribe('Assets pages (browser)', () => {
  let home: string;
  let wideHome: string;
  let server: DevServer | undefined;
  let wide: DevServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    home = tempUiHome();
    wideHome = tempUiHome();
    await seedFlightsLoop(home);
    server = await startDevServer({ home });
    wide = await startDevServer({
      home: wideHome,
      defs: join(repoRoot, 'test', 'ui', 'fixtures', 'partitions-defs.ts'),
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await wide?.stop();
    removeUiHome(home);
    removeUiHome(wideHome);
  });

  const opened = (path: string, on = server) => {
    if (browser === undefined || on === undefined) throw new Error('the suite did not start');
    return openPage(browser, `${on.url}${path}`);
  };
  const api = async <T>(path: string): Promise<T> => {
    if (server === undefined) throw new Error('the suite did not start');
    return (await (await fetch(`${server.url}${path}`)).json()) as T;
  };

  it('lists every asset with its status, filters by a selection kept in the URL, and materializes it', async () => {
    const { page, errors } = await opened('/assets');
    const table = page.getByRole('table', { name: 'Asset catalog' });
    await expect.poll(() => table.locator('tbody tr[data-index]').count()).toBe(FLIGHT_ASSETS.length);
    for (const key of FLIGHT_ASSETS) {
      const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: key, exact: true }) });
      expect(await row.textContent()).toMatch(/FRESH|STALE|MISSING/);
    }
    await saveScreenshot(page, 'assets');
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByLabel('Selection').fill('train_model+');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => table.locator('tbody tr[data-index]').count()).toBe(3);
    expect(new URL(page.url()).searchParams.get('select')).toBe('train_model+');
    await page.reload();
    await expect.poll(() => table.locator('tbody tr[data-index]').count()).toBe(3);
    expect(await page.getByLabel('Selection').inputValue()).toBe('train_model+');

    const before = await api<{ runs: unknown[] }>('/api/runs');
    await page.getByRole('button', { name: 'Materialize selection' }).click();
    const link = page.locator('.action-result a');
    await expect.poll(() => link.count()).toBe(1);
    const after = await api<{ runs: { runId: string; assetKeys: string[] }[] }>('/api/runs');
    expect(after.runs).toHaveLength(before.runs.length + 1);
    expect(after.runs[0]?.assetKeys).toEqual(['train_model', 'evaluate_model', 'promote_model']);
    expect(await link.getAttribute('href')).toBe(`/runs/${after.runs[0]?.runId ?? ''}`);
    expect(errors).toEqual([]);
  });

  it('draws the graph of the assets and their deps', async () => {
    const { page, errors } = await opened('/assets?view=graph');
    await expect.poll(() => page.locator('.react-flow__node.asset-node').count()).toBe(FLIGHT_ASSETS.length);
    await expect
      .poll(() => page.locator('.react-flow__edge').count())
      .toBeGreaterThanOrEqual(FLIGHT_ASSETS.length - 1);
    expect(
      await page.locator('.react-flow__node', { hasText: 'train_model' }).getAttribute('aria-label'),
    ).toMatch(/train_model: (FRESH|STALE)/);
    await saveScreenshot(page, 'assets-graph');
    await page.locator('.react-flow__node', { hasText: 'preprocess' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/assets/preprocess');
    expect(errors).toEqual([]);
  });

  it('shows an asset with its materializations, a metadata plot linking to runs, and its checks', async () => {
    const { runs } = await api<{ runs: { runId: string }[] }>('/api/runs?job=retrain');
    const { page, errors } = await opened('/assets/evaluate_model');
    const materializations = page.getByRole('table', { name: 'Materializations' });
    await expect.poll(() => materializations.locator('tbody tr[data-index]').count()).toBeGreaterThan(0);
    const shown = await materializations.locator('tbody tr[data-index] a').allTextContents();
    for (const id of shown) expect(runs.map((r) => r.runId.slice(0, 8))).toContain(id);
    const checks = page.getByRole('table', { name: 'Check history' });
    const evaluations = await api<{ results: unknown[] }>('/api/assets/evaluate_model/checks');
    expect(evaluations.results.length).toBeGreaterThanOrEqual(6); // 2 checks × 3 runs at least
    await expect.poll(() => checks.locator('tbody tr[data-index]').count()).toBe(evaluations.results.length);
    expect(await checks.textContent()).toContain('auc_floor');

    const train = await opened('/assets/train_model');
    const plot = train.page.getByRole('img', { name: /over the materializations/ });
    await expect.poll(() => plot.locator('canvas').count()).toBeGreaterThan(0);
    expect(await train.page.getByLabel('Plot metadata').inputValue()).not.toBe('');
    await saveScreenshot(train.page, 'asset-detail');
    expect(await accessibilityProblems(train.page)).toEqual([]);
    expect([...errors, ...train.errors]).toEqual([]);
  });

  it('pages the 10,000 partitions of an asset with only a window of rows in the DOM', async () => {
    const { page, errors } = await opened('/assets/shards', wide);
    const table = page.getByRole('table', { name: 'Partitions' });
    await expect.poll(() => table.locator('tbody tr[data-index]').count()).toBeGreaterThan(10);
    expect(await page.locator('.asset-facts').textContent()).toContain('10000 missing partitions');
    // Scrolled to the end, the table asks for the next page, three times over.
    const rowCount = async () => Number(await table.getAttribute('aria-rowcount'));
    for (let i = 0; i < 3; i++) {
      const before = await rowCount();
      await expect
        .poll(async () => {
          await page.evaluate(
            `(() => { const el = document.querySelector('.virtual-table[aria-label="Partitions"]'); el.scrollTop = el.scrollHeight; })()`,
          );
          return rowCount();
        })
        .toBeGreaterThan(before);
    }
    expect(await rowCount()).toBeGreaterThan(1500);
    expect(await table.locator('tbody tr[data-index]').count()).toBeLessThan(120);
    expect(errors).toEqual([]);
  });
});
