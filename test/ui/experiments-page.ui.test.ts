/**
 * Experiments in a real browser against a real `lakeloop dev` on the seeded flights-2k loop: the
 * training runs table, a run's metric chart refetched on zoom, and the comparison of two runs
 * (only the differing params unless asked); accessibility basics; the screenshots.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
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

uiDescribe('Experiments page (browser)', () => {
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

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeUiHome(home);
  });

  it('lists the three training runs, charts a metric and refetches the zoomed range', async () => {
    const { page, errors } = await opened('/experiments');
    const table = page.getByRole('table', { name: 'Training runs' });
    await expect.poll(() => table.getByRole('row').count()).toBe(4); // header + 3 training runs (baselines hidden)
    expect(await table.textContent()).toMatch(/gbdt-2001-01/);
    expect(await table.getByRole('columnheader', { name: 'auc', exact: true }).count()).toBe(1);

    await table.getByRole('link', { name: /gbdt-2001-03/ }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('run')).toMatch(/^[0-9a-f]{32}$/);
    const detail = page.getByRole('region', { name: /Training run gbdt-2001-03/ });
    const chart = detail.getByRole('img', { name: /eval_log_loss by step/ });
    await expect.poll(() => chart.locator('canvas').count()).toBe(1);
    await expect.poll(() => detail.getByText('50 of 50 points').count()).toBe(1);

    // drag across the middle of the plot: the page asks the server for that step range only
    const zoomed = page.waitForResponse(
      (r) => r.url().includes('/metrics/eval_log_loss') && r.url().includes('minStep='),
    );
    await chart.scrollIntoViewIfNeeded();
    const box = await chart.locator('.u-over').boundingBox();
    if (box === null) throw new Error('the chart has no plot area');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const answer = (await (await zoomed).json()) as { points: { step: number }[]; totalPoints: number };
    expect(answer.totalPoints).toBeLessThan(50);
    await expect.poll(() => new URL(page.url()).searchParams.get('steps')).toMatch(/^\d+-\d+$/);
    await expect
      .poll(() => detail.getByText(`${answer.points.length} of ${answer.totalPoints} points`).count())
      .toBe(1);
    await detail.getByRole('button', { name: /Reset zoom/ }).click();
    await expect.poll(() => detail.getByText('50 of 50 points').count()).toBe(1);

    await saveScreenshot(page, 'experiments');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('compares two runs: only the differing params by default, all on request, histories overlaid', async () => {
    const { page, errors } = await opened('/experiments');
    const table = page.getByRole('table', { name: 'Training runs' });
    await table.getByRole('checkbox', { name: /Compare gbdt-2001-03/ }).check();
    await table.getByRole('checkbox', { name: /Compare gbdt-2001-02/ }).check();
    const compare = page.getByRole('region', { name: 'Compare 2 runs' });
    const params = compare.getByRole('table', { name: 'Params of the compared runs' });
    await expect.poll(() => params.getByRole('row').count()).toBeGreaterThan(1);
    const differing = await params.getByRole('rowheader').allTextContents();
    // both are gradient boosting with the same hyper-parameters: only the data-dependent params differ
    expect(differing).toContain('train_months');
    expect(differing).not.toContain('model');
    expect(differing).not.toContain('learning_rate');
    await compare.getByRole('checkbox', { name: /Show all 12 params/ }).check();
    await expect.poll(() => params.getByRole('rowheader').count()).toBe(12);
    expect(new URL(page.url()).searchParams.get('allParams')).toBe('1');
    await compare.getByRole('checkbox', { name: /Show all 12 params/ }).uncheck();
    await expect.poll(() => params.getByRole('rowheader').count()).toBe(differing.length);

    const metrics = compare.getByRole('table', { name: 'Metrics of the compared runs' });
    expect(await metrics.getByRole('columnheader').count()).toBe(3); // key + the 2 runs
    const chart = compare.getByRole('img', { name: /Compared runs: eval_log_loss/ });
    await expect.poll(() => chart.locator('canvas').count()).toBe(1);
    expect(await compare.getByText('100 of 100 points').count()).toBe(1); // two 50-step histories

    await saveScreenshot(page, 'experiments-compare');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('applies an MLflow filter string from the URL and says why a bad one is refused', async () => {
    const { page, errors } = await opened(
      `/experiments?experiment=flight-delays&filter=${encodeURIComponent("params.evaluation_month = '2001-02'")}`,
    );
    const table = page.getByRole('table', { name: 'Training runs' });
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    expect(await table.textContent()).toMatch(/gbdt-2001-02/);

    await page.getByRole('searchbox', { name: 'Filter' }).fill('metrics.auc >');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.getByRole('alert').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
