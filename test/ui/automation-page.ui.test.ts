/**
 * The Automation page in a real browser against a real `lakeloop dev` on the seeded flights-2k
 * loop: the sensor's tick history shows the ticks that launched the three runs, with their cursors
 * and run links; Stop then Start change the sensor's status (on the page and in the API); Tick now
 * evaluates the sensor once more.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
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

const SENSOR = 'new_flight_data';

interface ApiTick {
  id: number;
  status: string;
  runIds: string[];
  cursor?: string;
  count?: number;
  timestamp: number;
  lastTimestamp?: number;
}

uiDescribe('Automation page (browser)', () => {
  let home: string;
  let server: DevServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    home = tempUiHome();
    await seedFlightsLoop(home);
    server = await startDevServer({ home });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeUiHome(home);
  });

  const api = async <T>(path: string): Promise<T> => {
    if (server === undefined) throw new Error('the suite did not start');
    return (await (await fetch(`${server.url}${path}`)).json()) as T;
  };
  const opened = (path: string) => {
    if (browser === undefined || server === undefined) throw new Error('the suite did not start');
    return openPage(browser, `${server.url}${path}`);
  };

  it('shows the tick history with cursors and run links, and starts, stops and ticks the sensor', async () => {
    const { page, errors } = await opened(`/automation?sensor=${SENSOR}`);
    const history = page.getByRole('region', { name: 'Tick history' });
    const { runs } = await api<{ runs: { runId: string; tags: Record<string, string> }[] }>('/api/runs');
    expect(runs).toHaveLength(3);
    // Each launching tick links its run, and its cursor after is the run's data commit.
    for (const run of runs) {
      const link = history.getByRole('link', { name: run.runId.slice(0, 8) });
      await expect.poll(() => link.count()).toBe(1);
      const row = history
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: run.runId.slice(0, 8) }) });
      expect(await row.textContent()).toContain((run.tags['lakeloop/data_commit'] ?? '-').slice(0, 10));
    }
    await saveScreenshot(page, 'automation');
    expect(await accessibilityProblems(page)).toEqual([]);

    const panel = page.getByRole('region', { name: /Sensor/ });
    const status = async () =>
      (await api<{ sensor: { status: string } }>(`/api/sensors/${SENSOR}`)).sensor.status;
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => page.locator('.action-result').textContent()).toMatch(/Stopped: now STOPPED/);
    await expect.poll(() => panel.locator('h3 .badge').textContent()).toBe('STOPPED');
    expect(await status()).toBe('STOPPED');
    await page.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => panel.locator('h3 .badge').textContent()).toBe('RUNNING');
    expect(await status()).toBe('RUNNING');

    const newest = async () =>
      (await api<{ ticks: ApiTick[] }>(`/api/sensors/${SENSOR}/ticks?limit=1`)).ticks[0];
    const before = await newest();
    await page.getByRole('button', { name: 'Tick now' }).click();
    await expect.poll(() => page.locator('.action-result').textContent()).toMatch(/Ticked: SKIPPED/);
    const after = await newest();
    expect(after).toBeDefined();
    // A new tick, or the identical skipped tick it coalesced into, counting one more evaluation.
    expect(after?.id !== before?.id || (after?.count ?? 1) > (before?.count ?? 1)).toBe(true);
    expect(errors).toEqual([]);
  });
});
