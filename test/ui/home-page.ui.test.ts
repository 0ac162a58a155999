/**
 * Home in a real browser against a real `lakeloop dev` on the seeded flights-2k loop: health,
 * sensors, champion, recent runs; accessibility basics; the screenshot.
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

uiDescribe('Home page (browser)', () => {
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

  it('shows the daemon, the sensor, the champion with its metrics and the runs', async () => {
    const { page, errors } = await opened('/');
    const champions = page.getByRole('region', { name: 'Champions' });
    await expect.poll(() => champions.getByRole('row').count()).toBeGreaterThan(1);
    const championRow = champions.getByRole('row', { name: /flight-delays/ });
    expect(await championRow.textContent()).toMatch(/v3/);
    await expect.poll(() => championRow.textContent()).toMatch(/auc/i);
    const runs = page.getByRole('region', { name: 'Recent runs' });
    await expect.poll(() => runs.getByRole('row').count()).toBe(4); // header + 3 runs
    expect(await page.getByRole('region', { name: 'Health' }).textContent()).toMatch(/daemon healthy/);
    await saveScreenshot(page, 'home');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
