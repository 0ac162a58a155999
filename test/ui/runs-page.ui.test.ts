/**
 * The Runs pages in a real browser against a real `lakeloop dev`: a home seeded with the flights-2k
 * loop (runs with data commits), served with the fixture definitions of test/ui/fixtures/runs-defs.ts
 * (a chain whose last step fails until a flag file exists, a step stuck until released, a step that
 * logs 25k lines). The list's filters live in the URL; the run page shows a Gantt bar per step, the
 * event log and step logs; re-execution from failure reuses the passed steps (checked through the
 * API and the files each step writes); a stuck run is canceled from the page; a 25k-event log
 * scrolls with only a window of rows in the DOM.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
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
import type { DevServer, UiTab } from './ui-harness.js';

const FIXTURE_DEFS = join(repoRoot, 'test', 'ui', 'fixtures', 'runs-defs.ts');
const RUN_WAIT = { timeout: 45_000, interval: 200 };

interface ApiRun {
  runId: string;
  status: string;
  jobName: string;
  assetKeys: string[];
  parentRunId?: string;
  tags: Record<string, string>;
}

uiDescribe('Runs pages (browser)', () => {
  let home: string;
  let flags: string;
  let server: DevServer | undefined;
  let browser: Browser | undefined;
  let failedRunId = '';
  const tabs: UiTab[] = [];

  const api = async <T>(path: string, body?: unknown): Promise<T> => {
    if (server === undefined) throw new Error('the suite did not start');
    const response = await fetch(`${server.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const runOf = async (runId: string) => (await api<{ run: ApiRun }>(`/api/runs/${runId}`)).run;
  const launch = async (job: string) => (await api<{ run: ApiRun }>('/api/runs', { job })).run.runId;
  const statusOf = async (runId: string) => (await runOf(runId)).status;

  const opened = async (path: string): Promise<UiTab> => {
    if (browser === undefined || server === undefined) throw new Error('the suite did not start');
    const tab = await openPage(browser, `${server.url}${path}`);
    tabs.push(tab);
    return tab;
  };
  const dataRows = (page: Page, table: string) =>
    page.getByRole('region', { name: table, exact: true }).locator('tbody tr[data-index]');

  beforeAll(async () => {
    home = tempUiHome();
    flags = mkdtempSync(join(tmpdir(), 'lakeloop-ui-flags-'));
    await seedFlightsLoop(home);
    server = await startDevServer({
      home,
      defs: FIXTURE_DEFS,
      env: { LAKELOOP_UI_FIXTURE_DIR: flags },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const tab of tabs) await tab.page.context().close();
    await browser?.close();
    await server?.stop();
    removeUiHome(home);
    removeUiHome(flags);
  });

  it('lists runs newest first; the status and data-commit filters narrow it and stay in the URL', async () => {
    // the failed run the next test re-executes
    failedRunId = await launch('chain');
    await expect.poll(() => statusOf(failedRunId), RUN_WAIT).toBe('FAILURE');
    const { page, errors } = await opened('/runs');
    // 3 flight runs and the failed chain, newest first
    await expect.poll(() => dataRows(page, 'Runs').count()).toBe(4);
    expect(await dataRows(page, 'Runs').first().textContent()).toContain(failedRunId.slice(0, 8));
    await page.getByRole('checkbox', { name: 'FAILURE' }).check();
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('FAILURE');
    await expect.poll(() => dataRows(page, 'Runs').count()).toBe(1);
    await page.reload();
    expect(await page.getByRole('checkbox', { name: 'FAILURE' }).isChecked()).toBe(true);
    await expect.poll(() => dataRows(page, 'Runs').count()).toBe(1);

    // live: a new failed run appears without a reload
    const second = await launch('chain');
    await expect.poll(() => statusOf(second), RUN_WAIT).toBe('FAILURE');
    await expect.poll(() => dataRows(page, 'Runs').count()).toBe(2);
    expect(await dataRows(page, 'Runs').first().textContent()).toContain(second.slice(0, 8));

    // the data commit the sensor tagged one flight run with
    const { runs } = await api<{ runs: ApiRun[] }>('/api/runs?job=retrain');
    const commit = runs.map((r) => r.tags['lakeloop/data_commit']).find((c) => c !== undefined);
    expect(commit).toBeDefined();
    await page.getByRole('checkbox', { name: 'FAILURE' }).uncheck();
    await page.getByLabel('Data commit').fill(commit ?? '');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('commit')).toBe(commit);
    await expect.poll(() => dataRows(page, 'Runs').count()).toBe(1);
    expect(await dataRows(page, 'Runs').first().textContent()).toContain('retrain');

    await page.goto(`${new URL(page.url()).origin}/runs`);
    await expect.poll(() => dataRows(page, 'Runs').count()).toBe(5);
    await saveScreenshot(page, 'runs');
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('re-execution from failure from the run page reuses the passed steps', async () => {
    const { page, errors } = await opened(`/runs/${failedRunId}`);
    const bars = page.locator('.gantt-bar');
    await expect.poll(() => bars.count()).toBe(3);
    expect(await page.getByRole('button', { name: /^extract: SUCCESS/ }).count()).toBe(1);
    expect(await page.getByRole('button', { name: /^publish: FAILURE/ }).count()).toBe(1);
    await expect.poll(() => dataRows(page, 'Events').count()).toBeGreaterThan(5);
    expect(await page.getByRole('region', { name: 'Events', exact: true }).textContent()).toContain(
      'STEP_FAILURE',
    );

    // a step's logs, selected in the chart, in the URL
    await page.getByRole('button', { name: /^transform: SUCCESS/ }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('step')).toBe('transform');
    await expect
      .poll(() => page.getByRole('region', { name: 'Logs of transform' }).textContent())
      .toContain('doubled every row');
    await saveScreenshot(page, 'run');
    expect(await accessibilityProblems(page)).toEqual([]);

    writeFileSync(join(flags, 'publish-ok'), '');
    await page.getByRole('button', { name: 'Re-execute from failure' }).click();
    const link = page.getByRole('status').getByRole('link');
    await expect.poll(() => link.count()).toBe(1);
    const href = (await link.getAttribute('href')) ?? '';
    const newRunId = decodeURIComponent(href.split('/').at(-1) ?? '');
    await expect.poll(() => statusOf(newRunId), RUN_WAIT).toBe('SUCCESS');

    const child = await runOf(newRunId);
    expect(child.parentRunId).toBe(failedRunId);
    expect(child.assetKeys).toEqual(['publish']);
    const { events } = await api<{ events: { stepKey?: string }[] }>(
      `/api/runs/${newRunId}/events?type=STEP_START`,
    );
    expect(events.map((e) => e.stepKey)).toEqual(['publish']);
    // what really ran: the passed steps wrote nothing in the new run
    expect(existsSync(join(flags, `computed-extract-${newRunId}`))).toBe(false);
    expect(existsSync(join(flags, `computed-transform-${newRunId}`))).toBe(false);
    expect(existsSync(join(flags, `computed-publish-${newRunId}`))).toBe(true);

    await link.click();
    await expect.poll(() => page.getByRole('button', { name: /^publish: SUCCESS/ }).count()).toBe(1);
    expect(await page.locator('.gantt-bar').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('cancels a run stuck in a step from the run page', async () => {
    const runId = await launch('stuck');
    await expect.poll(() => statusOf(runId), RUN_WAIT).toBe('STARTED');
    const { page, errors } = await opened(`/runs/${runId}`);
    await expect
      .poll(() => page.getByRole('button', { name: /^wait_for_release: IN_PROGRESS/ }).count())
      .toBe(1);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => statusOf(runId), RUN_WAIT).toBe('CANCELED');
    // the page follows the live stream to the end
    await expect
      .poll(() => page.locator('.run-header .badge').first().textContent(), RUN_WAIT)
      .toBe('CANCELED');
    expect(await page.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('opens a run of 25k events and scrolls its log with only a window of rows in the DOM', async () => {
    const runId = await launch('chatty');
    await expect.poll(() => statusOf(runId), { ...RUN_WAIT, timeout: 120_000 }).toBe('SUCCESS');
    const { page, errors } = await opened(`/runs/${runId}`);
    const log = page.getByRole('region', { name: 'Events', exact: true });
    await expect.poll(() => dataRows(page, 'Events').count()).toBeGreaterThan(10);
    const loaded = async () =>
      Number(
        /(\d+)\+? events? loaded/.exec(
          (await page.locator('#events-title ~ p').first().textContent()) ?? '',
        )?.[1] ?? 0,
      );
    const first = await loaded();
    expect(first).toBeLessThan(25_000);
    // scroll with the wheel: each time the end comes into view, the next window is fetched
    await log.hover();
    let seen = first;
    for (let i = 0; i < 4; i++) {
      const before = seen;
      await expect
        .poll(async () => {
          await page.mouse.wheel(0, 20_000);
          seen = await loaded();
          return seen;
        })
        .toBeGreaterThan(before);
    }
    expect(seen).toBeLessThan(25_000);
    // virtualized: a window of rows, not every loaded event
    expect(await dataRows(page, 'Events').count()).toBeLessThan(120);
    expect(await log.textContent()).toMatch(/line \d+ of 25000/);

    // the type filter goes to the URL and to the API
    await page.getByLabel('Type').selectOption('STEP_SUCCESS');
    await expect.poll(() => new URL(page.url()).searchParams.get('type')).toBe('STEP_SUCCESS');
    await expect.poll(() => dataRows(page, 'Events').count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
