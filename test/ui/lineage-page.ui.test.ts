/**
 * Lineage and why in a real browser against a real `lakeloop dev` on the seeded flights-2k loop:
 * flight-delays v3's chain (commit → tick → run → training run → version → gate → alias move) with
 * links to each thing's page, and why it became champion against v2; the same chain around its
 * pipeline run and its data commit. Accessibility basics; the screenshot.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  accessibilityProblems,
  launchBrowser,
  openPage,
  removeUiHome,
  saveScreenshot,
  seedFlightsLoop,
  startDevServer,
  tempUiHome,
  uiDescribe,
} from './ui-harness.js';
import type { DevServer } from './ui-harness.js';

uiDescribe('Lineage page (browser)', () => {
  let home: string;
  let server: DevServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    home = tempUiHome();
    await seedFlightsLoop(home);
    server = await startDevServer({ home });
    browser = await launchBrowser();
  });

  const opened = (path: string) => {
    if (browser === undefined || server === undefined) throw new Error('the suite did not start');
    return openPage(browser, `${server.url}${path}`);
  };

  /** The kinds of the graph's nodes, left to right. */
  const nodeKinds = async (page: Page): Promise<string[]> => {
    const graph = page.getByRole('region', { name: 'Lineage graph' });
    await expect.poll(() => graph.getByRole('listitem').count()).toBeGreaterThan(0);
    const items = graph.locator('li[data-kind]');
    const kinds: string[] = [];
    for (let i = 0; i < (await items.count()); i++)
      kinds.push((await items.nth(i).getAttribute('data-kind')) ?? '');
    return kinds;
  };

  /** The link of the node of `kind` (its first one). */
  const nodeLink = (page: Page, kind: string) =>
    page.locator(`li[data-kind="${kind}"]`).first().locator('.label a');

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeUiHome(home);
  });

  it('draws flight-delays v3 from its data commit to its alias move, and says why it became champion', async () => {
    const { page, errors } = await opened(`/lineage?modelVersion=${encodeURIComponent('flight-delays/3')}`);
    const kinds = await nodeKinds(page);
    expect([...new Set(kinds)]).toEqual([
      'data_commit',
      'sensor_tick',
      'pipeline_run',
      'training_run',
      'model_version',
      'gate',
      'alias_move',
    ]);
    const focus = page.locator('li[aria-current="true"]');
    expect(await focus.getAttribute('data-kind')).toBe('model_version');
    expect(await focus.textContent()).toMatch(/flight-delays v3/);
    expect(await nodeLink(page, 'data_commit').getAttribute('href')).toMatch(
      /^\/data\/flights\/objects\?ref=[0-9a-f]{64}$/,
    );
    expect(await nodeLink(page, 'sensor_tick').getAttribute('href')).toBe(
      '/automation?sensor=new_flight_data',
    );
    expect(await nodeLink(page, 'pipeline_run').getAttribute('href')).toMatch(/^\/runs\/[0-9a-f-]{36}$/);
    expect(await nodeLink(page, 'training_run').getAttribute('href')).toMatch(
      /^\/experiments\?run=[0-9a-f]{32}$/,
    );
    expect(await nodeLink(page, 'model_version').getAttribute('href')).toBe(
      '/models/flight-delays?version=3',
    );
    expect(await page.locator('li[data-kind="alias_move"]').textContent()).toMatch(/champion: v2 → v3/);
    await page.getByText(/^Edges \(\d+\)$/).click();
    expect(
      await page
        .getByRole('listitem')
        .filter({ hasText: /registered/ })
        .count(),
    ).toBeGreaterThan(0);

    const why = page.getByRole('region', { name: 'Why: flight-delays v3 and champion' });
    await expect.poll(() => why.getByText('promoted', { exact: true }).count()).toBe(1);
    expect(await why.textContent()).toMatch(/flight-delays v3 became champion, replacing v2/);
    expect(
      await why.getByText(/Judged against: champion v2 \(the version its promotion replaced\)/).count(),
    ).toBe(1);
    const checks = why.getByRole('table', { name: 'Checks' });
    expect(await checks.getByRole('rowheader').allTextContents()).toEqual([
      'load_data:chunks_valid',
      'evaluate_model:auc_floor',
      'evaluate_model:not_worse_than_champion',
    ]);
    expect(await checks.getByRole('row', { name: /auc_floor/ }).textContent()).toMatch(/floor=0\.5/);
    expect(
      await why.getByRole('table', { name: 'Data diff' }).getByRole('rowheader').allTextContents(),
    ).toEqual(['flights/']);
    const deltas = why.getByRole('table', { name: 'Metric deltas' });
    expect(await deltas.getByRole('row', { name: /^auc/ }).first().textContent()).toMatch(/\+0\.05/);
    expect(
      await why.getByRole('table', { name: 'Param changes' }).getByRole('rowheader').allTextContents(),
    ).toContain('train_months');
    expect(await why.getByRole('table', { name: 'Code versions' }).getByRole('row').count()).toBeGreaterThan(
      1,
    );

    await saveScreenshot(page, 'lineage');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('follows a pipeline run and a data commit from the graph, and a first version has nothing to compare', async () => {
    const { page, errors } = await opened(`/lineage?modelVersion=${encodeURIComponent('flight-delays/3')}`);
    await nodeKinds(page);
    await page
      .locator('li[data-kind="pipeline_run"]')
      .getByRole('link', { name: /lineage/ })
      .click();
    await expect.poll(() => new URL(page.url()).searchParams.get('run')).toMatch(/^[0-9a-f-]{36}$/);
    await expect
      .poll(() => page.locator('li[aria-current="true"]').getAttribute('data-kind'))
      .toBe('pipeline_run');
    expect(await page.getByRole('region', { name: /^Why/ }).count()).toBe(0);
    expect(await nodeKinds(page)).toContain('model_version');

    await page
      .locator('li[data-kind="data_commit"]')
      .getByRole('link', { name: /lineage/ })
      .click();
    await expect
      .poll(() => page.locator('li[aria-current="true"]').getAttribute('data-kind'))
      .toBe('data_commit');
    expect(new URL(page.url()).searchParams.get('repository')).toBe('flights');

    await page.getByLabel('Model version (NAME/VERSION)', { exact: true }).fill('flight-delays/1');
    await page.getByRole('button', { name: 'Show' }).click();
    const why = page.getByRole('region', { name: 'Why: flight-delays v1 and champion' });
    await expect.poll(() => why.getByText(/no champion yet \(the first version\)/).count()).toBe(1);
    expect(await why.getByText(/No data diff/).count()).toBe(1);

    await page.goto(`${server?.url ?? ''}/lineage?modelVersion=${encodeURIComponent('flight-delays/9')}`);
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/has no version "9"/);
    expect(errors).toEqual([]);
  });
});
