/**
 * Models in a real browser against a real `lakeloop dev` on the seeded flights-2k loop (model
 * flight-delays v1..v3, champion v3): the registered models, the versions with their metrics chart,
 * the alias history, and the test: promoting a version updates the badge, the alias history
 * and the API; rolling back returns it. Accessibility basics; the screenshot.
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

uiDescribe('Models page (browser)', () => {
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

  const championInApi = async (): Promise<string | undefined> => {
    if (server === undefined) throw new Error('the suite did not start');
    const answer = (await (await fetch(`${server.url}/api/models/flight-delays`)).json()) as {
      model: { aliases: Record<string, string> };
    };
    return answer.model.aliases['champion'];
  };

  /** The cells of the alias history's newest row. */
  const newestMove = async (page: Page): Promise<string[]> =>
    page
      .getByRole('table', { name: 'Alias history' })
      .getByRole('row')
      .nth(1)
      .getByRole('cell')
      .allTextContents();

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeUiHome(home);
  });

  it('lists the registered model with its champion', async () => {
    const { page, errors } = await opened('/models');
    const table = page.getByRole('table', { name: 'Registered models' });
    await expect.poll(() => table.getByRole('row').count()).toBe(2);
    expect(await table.getByRole('row').nth(1).textContent()).toMatch(/flight-delays.*champion v3/);
    await table.getByRole('link', { name: 'flight-delays' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/models/flight-delays');
    expect(errors).toEqual([]);
  });

  it('shows the versions newest first, their metrics across versions and the alias history', async () => {
    const { page, errors } = await opened('/models/flight-delays');
    const versions = page.getByRole('table', { name: 'Model versions' });
    await expect.poll(() => versions.getByRole('row').count()).toBe(4);
    expect(await versions.getByRole('row').nth(1).textContent()).toMatch(/^v3champion/);
    expect(await page.getByRole('region', { name: 'Aliases' }).textContent()).toMatch(/champion v3/);

    const chart = page.getByRole('img', { name: 'auc by model version' });
    await expect.poll(() => chart.locator('canvas').count()).toBe(1);
    await page.getByRole('checkbox', { name: 'log_loss', exact: true }).check();
    await expect.poll(() => new URL(page.url()).searchParams.get('metrics')).toBe('auc,log_loss');
    await expect
      .poll(() => page.getByRole('img', { name: 'auc, log_loss by model version' }).count())
      .toBe(1);
    expect(await versions.getByRole('columnheader', { name: 'log_loss' }).count()).toBe(1);

    const history = page.getByRole('table', { name: 'Alias history' });
    await expect.poll(() => history.getByRole('row').count()).toBe(4); // header + new→1, 1→2, 2→3
    expect((await newestMove(page))[2]).toBe('v2 → v3');

    await versions.getByRole('link', { name: 'v2' }).click();
    const detail = page.getByRole('region', { name: 'flight-delays v2' });
    await expect.poll(() => detail.getByRole('link', { name: /Training run gbdt-2001-02/ }).count()).toBe(1);
    expect(await detail.getByRole('link', { name: /Pipeline run/ }).getAttribute('href')).toMatch(
      /^\/runs\/[0-9a-f-]{36}$/,
    );
    expect(await detail.getByRole('link', { name: 'Lineage and why' }).getAttribute('href')).toBe(
      `/lineage?modelVersion=${encodeURIComponent('flight-delays/2')}`,
    );
    expect(await detail.getByRole('link', { name: /Training run/ }).getAttribute('href')).toMatch(
      /^\/experiments\?run=[0-9a-f]{32}$/,
    );

    await saveScreenshot(page, 'models');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('promoting a version updates the badge, the alias history and the API; rolling back returns it', async () => {
    const { page, errors } = await opened('/models/flight-delays?version=2');
    const promote = page.getByRole('form', { name: 'Promote' });
    await expect.poll(() => promote.getByLabel('Version').inputValue()).toBe('2');
    expect(await promote.getByLabel('Alias').inputValue()).toBe('champion');
    const reason = 'v3 drifts on March: back to v2 (UI test)';
    await promote.getByLabel('Reason').fill(reason);
    await promote.getByRole('button', { name: 'Promote' }).click();
    await expect.poll(() => promote.getByRole('status').textContent()).toBe('champion: v3 → v2.');
    const aliases = page.getByRole('region', { name: 'Aliases' });
    await expect.poll(() => aliases.textContent()).toMatch(/champion v2/);
    await expect.poll(async () => (await newestMove(page)).slice(1, 3)).toEqual(['champion', 'v3 → v2']);
    expect((await newestMove(page))[4]).toBe(reason);
    expect((await newestMove(page))[3]).toBe('api:local');
    expect(await championInApi()).toBe('2');

    const rollback = page.getByRole('form', { name: 'Roll back' });
    await rollback.getByLabel('Reason').fill('the drift was a data bug (UI test)');
    await rollback.getByRole('button', { name: 'Roll back' }).click();
    await expect
      .poll(() => rollback.getByRole('status').textContent())
      .toBe('champion rolled back: v2 → v3.');
    await expect.poll(() => aliases.textContent()).toMatch(/champion v3/);
    await expect
      .poll(async () => (await newestMove(page)).slice(2, 5))
      .toEqual(['v2 → v3', 'api:local', 'the drift was a data bug (UI test)']);
    expect(await championInApi()).toBe('3');
    expect(errors).toEqual([]);
  });

  it('says why a promotion is refused', async () => {
    const { page, errors } = await opened('/models/flight-delays?version=1');
    const promote = page.getByRole('form', { name: 'Promote' });
    await promote.getByLabel('Alias').fill('bad alias!');
    await promote.getByLabel('Reason').fill('an alias the registry refuses');
    await promote.getByRole('button', { name: 'Promote' }).click();
    await expect.poll(() => promote.getByRole('alert').count()).toBe(1);
    expect(await championInApi()).toBe('3');
    expect(errors).toEqual([]);
  });
});
