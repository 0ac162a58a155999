/**
 * Data in a real browser against a real `lakeloop dev` on the seeded flights-2k loop (repo
 * `flights`, 3 monthly commits on main, each with its retrain run and its model version): the
 * commit log links each commit to its run and its version; the object browser lists the month
 * files and previews a Parquet file with its columns; comparing the first and last month commits
 * shows the per-prefix summary; a branch created in the UI gets a file written by this test
 * through the library (the server holds the same embedded repository), which shows as an
 * uncommitted change, then is committed, merged into main from the UI, and the merge commit
 * appears live in main's log open in another tab.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createDataRepository } from 'lakeloop/data';
import type { DataRepository } from 'lakeloop/data';
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
  uiTestEnv,
} from './ui-harness.js';
import type { DevServer } from './ui-harness.js';

uiDescribe('Data page (browser)', () => {
  let home: string;
  let server: DevServer | undefined;
  let browser: Browser | undefined;
  let data: DataRepository | undefined;
  /** main's month commits, oldest first. */
  let months: string[] = [];

  beforeAll(async () => {
    home = tempUiHome();
    await seedFlightsLoop(home);
    data = createDataRepository({ home, env: uiTestEnv(home) });
    const log = await data.log({ repository: 'flights', ref: 'main', firstParent: true });
    months = log.results
      .filter((c) => c.message.startsWith('Import'))
      .map((c) => c.id)
      .reverse();
    server = await startDevServer({ home });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await data?.close();
    removeUiHome(home);
  });

  const opened = (path: string) => {
    if (browser === undefined || server === undefined) throw new Error('the suite did not start');
    return openPage(browser, `${server.url}${path}`);
  };
  const repository = (): DataRepository => {
    if (data === undefined) throw new Error('the suite did not start');
    return data;
  };
  const commitRows = (page: Page, ref = 'main') =>
    page.getByRole('table', { name: `Commits of ${ref}` }).getByRole('row');

  it('shows the commit log, each month commit with its run and its model version', async () => {
    expect(months).toHaveLength(3);
    const { page, errors } = await opened('/data/flights/commits?ref=main');
    await expect.poll(() => commitRows(page).count()).toBe(5); // header + 3 months + "Repository created"
    for (const [i, id] of months.entries()) {
      const row = commitRows(page).filter({ hasText: id.slice(0, 10) });
      await expect.poll(() => row.textContent()).toMatch(/Import 2001-0\d/);
      const run = row.locator('a[href^="/runs/"]');
      expect(await run.count()).toBe(1);
      const version = row.getByRole('link', { name: new RegExp(`flight-delays v${i + 1}`) });
      expect(await version.getAttribute('href')).toBe(`/models/flight-delays?version=${i + 1}`);
    }
    await saveScreenshot(page, 'data-commits');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('pages the log: 50 commits first, the rest when the table is scrolled to its end', async () => {
    const data = repository();
    await data.createBranch({ repository: 'flights', name: 'long', source: months[2] ?? 'main' });
    for (let i = 1; i <= 60; i++) {
      await data.commit({ repository: 'flights', branch: 'long', message: `step ${i}`, allowEmpty: true });
    }
    const { page, errors } = await opened('/data/flights/commits?ref=long');
    const table = page.getByRole('table', { name: 'Commits of long' });
    await expect.poll(() => table.getAttribute('aria-rowcount')).toBe('51'); // header + the first page
    // the keyboard scrolls the table (it is focusable) to its end
    await page.getByRole('region', { name: 'Commits of long' }).focus();
    await page.keyboard.press('End');
    await expect.poll(() => table.getAttribute('aria-rowcount')).toBe('65'); // + 10 more and main's 4
    await expect.poll(() => table.getByRole('row', { name: /Repository created/ }).count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('browses to the month files and previews a Parquet file with its columns', async () => {
    const { page, errors } = await opened('/data/flights/objects?ref=main');
    await page.getByRole('link', { name: 'flights/', exact: true }).click();
    const files = page.getByRole('table', { name: 'Objects under flights/' });
    await expect.poll(() => files.getByRole('row').count()).toBe(4); // header + 3 months
    expect(await files.textContent()).toMatch(/2001-01\.parquet.*2001-02\.parquet.*2001-03\.parquet/);
    await files.getByRole('link', { name: '2001-02.parquet' }).click();
    expect(new URL(page.url()).searchParams.get('path')).toBe('flights/2001-02.parquet');
    const preview = page.getByRole('region', { name: 'Rows of flights/2001-02.parquet' }).getByRole('table');
    const headers = preview.getByRole('columnheader');
    await expect.poll(() => headers.count()).toBe(5);
    expect(await headers.allTextContents()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^date\s*TIMESTAMP$/),
        expect.stringMatching(/^origin\s*VARCHAR$/),
      ]),
    );
    expect(await preview.getByRole('row').count()).toBeGreaterThan(10);
    expect(await page.getByRole('navigation', { name: 'Folder' }).textContent()).toMatch(
      /flights.*flights\//,
    );
    await saveScreenshot(page, 'data-objects');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('compares the first and the last month commits with the per-prefix summary', async () => {
    const { page, errors } = await opened('/data/flights/compare');
    await page.getByLabel('From', { exact: true }).fill(months[0] ?? '');
    await page.getByLabel('To', { exact: true }).fill(months[2] ?? '');
    await page.getByRole('button', { name: 'Compare' }).click();
    const summary = page.getByRole('table', { name: /^Summary of / });
    const row = summary.getByRole('row', { name: /flights\// });
    await expect.poll(() => row.textContent()).toMatch(/flights\/\s*2 · [\d.]+ KB/);
    const entries = page.getByRole('table', { name: /^Entries of / });
    await expect.poll(() => entries.getByRole('row').count()).toBe(3); // header + 2 added months
    expect(await entries.textContent()).toMatch(/added.*2001-02\.parquet.*added.*2001-03\.parquet/);
    const query = new URL(page.url()).searchParams;
    expect([query.get('left'), query.get('right')]).toEqual([months[0], months[2]]);
    await saveScreenshot(page, 'data-compare');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('creates a branch, shows its uncommitted change, merges it from the UI, and main’s log gets the merge live', async () => {
    const { page, errors } = await opened('/data/flights');
    const create = page.getByRole('form', { name: 'Create branch' });
    await create.getByLabel('New branch').fill('notes');
    await create.getByLabel('from').fill('main');
    await create.getByRole('button', { name: 'Create branch' }).click();
    await expect.poll(() => create.getByRole('status').textContent()).toMatch(/Created notes at/);
    await expect.poll(() => page.getByRole('table', { name: 'Branches' }).textContent()).toMatch(/notes/);

    // Staged by another process (this test) on the repository the server holds.
    await repository().putObject({
      repository: 'flights',
      branch: 'notes',
      path: 'notes/readme.txt',
      content: 'Flights of early 2001.\n',
      contentType: 'text/plain',
    });
    const changes = await opened('/data/flights/changes?branch=notes');
    const staged = changes.page.getByRole('table', { name: 'Entries of uncommitted changes of notes' });
    await expect.poll(() => staged.textContent()).toMatch(/added.*notes\/readme\.txt/);
    expect(
      await changes.page
        .getByRole('table', { name: /^Summary of / })
        .getByRole('row', { name: /notes\// })
        .textContent(),
    ).toMatch(/1 · 23 B/);
    await repository().commit({ repository: 'flights', branch: 'notes', message: 'A readme' });
    await changes.page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => changes.page.getByText('No uncommitted changes.').count()).toBe(1);

    // main's log open in another tab, to see the merge arrive live
    const log = await opened('/data/flights/commits?ref=main');
    await expect.poll(() => commitRows(log.page).count()).toBe(5);
    const merge = page.getByRole('form', { name: 'Merge' });
    // a refusal is one line in the form
    await merge.getByLabel('Merge').fill('no-such-branch');
    await merge.getByRole('button', { name: 'Merge' }).click();
    await expect.poll(() => merge.getByRole('alert').textContent()).toMatch(/no-such-branch/);
    await merge.getByLabel('Merge').fill('notes');
    await merge.getByLabel('into').fill('main');
    await merge.getByLabel('Message').fill('Notes from the UI');
    await merge.getByRole('button', { name: 'Merge' }).click();
    await expect.poll(() => merge.getByRole('status').textContent()).toMatch(/Merged: commit \w+ on main/);
    const head = (await repository().getBranch({ repository: 'flights', branch: 'main' })).commitId;
    expect(await merge.getByRole('status').textContent()).toContain(head.slice(0, 10));
    await expect.poll(() => commitRows(log.page).nth(1).textContent()).toMatch(/Notes from the UI/);
    expect(await commitRows(log.page).nth(1).textContent()).toContain(head.slice(0, 10));
    expect(await merge.getByRole('alert').count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);

    // the merged text file, previewed as text at main
    await log.page.goto(
      `${server?.url ?? ''}/data/flights/objects?ref=main&prefix=notes%2F&path=notes%2Freadme.txt`,
    );
    await expect
      .poll(() => log.page.getByRole('region', { name: 'Preview of notes/readme.txt' }).textContent())
      .toMatch(/text · 23 B.*Flights of early 2001\./s);
    expect([...errors, ...changes.errors, ...log.errors]).toEqual([]);
  });
});
