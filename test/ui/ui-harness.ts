/**
 * The web UI's end-to-end harness (issue #15): a real `lakeloop dev` (from source, embedded
 * backends, its own home) serving the built UI, and Debian's chromium driven by playwright-core.
 * No API is mocked: pages read what the seeded loop recorded.
 *
 * - `uiDescribe` runs a suite when chromium is installed; without it the suite is skipped, except
 *   under CI=true, where it fails (`.ci/run` installs chromium with apt).
 * - `seedFlightsLoop(home)` runs the flights-2k demo loop into a home (3 commits, 3 runs, 3 model
 *   versions, champion v3; about 1.5 s).
 * - `startDevServer` spawns `lakeloop dev --port 0` on that home and waits for its URL.
 * - `openPage` opens a tab that fails the test on uncaught page errors; `saveScreenshot` writes
 *   test-artifacts/ui/<name>.png; `accessibilityProblems` checks labels and keyboard focus.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { describe } from 'vitest';
import { runDemoLoop } from '../../pipelines/flight-delays/demo-loop.js';
import { devFromSource } from '../core/cli-test-helpers.js';
import { embeddedTestEnv } from '../support/lakefs-test-env.js';

/** The repository root. */
export const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** The flight-delay pipeline's definitions (what the seeded homes ran). */
export const FLIGHT_DEFS = join(repoRoot, 'pipelines', 'flight-delays', 'definitions.ts');

/** The checks injected into every tab. */
const PROBES = join(repoRoot, 'test', 'ui', 'browser', 'page-probes.js');

/** Where screenshots go (a CI artifact, not committed). */
export const SCREENSHOT_DIR = join(repoRoot, 'test-artifacts', 'ui');

/** The chromium to drive: `LAKELOOP_CHROMIUM`, else Debian's. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env['LAKELOOP_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

/** `describe` for browser suites: skipped without chromium, except in CI (where a missing browser fails). */
export function uiDescribe(name: string, body: () => void): void {
  if (chromiumPath() === undefined && process.env['CI'] !== 'true') {
    describe.skip(`${name} (no chromium: apt-get install chromium, or set LAKELOOP_CHROMIUM)`, body);
    return;
  }
  describe(name, body);
}

/** Launches headless chromium (`--no-sandbox`: CI runs as root). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) {
    throw new Error('chromium is not installed (apt-get install chromium) and LAKELOOP_CHROMIUM is unset');
  }
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A fresh temporary home. */
export function tempUiHome(): string {
  return mkdtempSync(join(tmpdir(), 'lakeloop-ui-'));
}

/** Removes a home. */
export function removeUiHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** Runs the flights-2k demo loop into `home`: 3 monthly commits, their runs and model versions. */
export async function seedFlightsLoop(home: string): Promise<void> {
  await runDemoLoop({ home, dataset: 'flights-2k', json: false, log: () => {}, writeJson: () => {} });
}

/** The child's environment: embedded data and tracking, this home (never the caller's servers). */
export function uiTestEnv(home: string): Record<string, string | undefined> {
  const env = embeddedTestEnv();
  delete env['MLFLOW_TRACKING_URI'];
  delete env['LAKELOOP_TOKEN'];
  return { ...env, LAKELOOP_HOME: home };
}

/** A running `lakeloop dev`. */
export interface DevServer {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** What it printed on stderr so far (for failure messages). */
  stderr: () => string;
  /** SIGTERM, and waits for it to exit. */
  stop: () => Promise<void>;
}

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  home: string;
  /** Definitions file. Default: the flight-delay pipeline. */
  defs?: string;
  /** More `lakeloop dev` arguments. */
  args?: readonly string[];
  env?: Record<string, string>;
}

/** Spawns `lakeloop dev --port 0` on `home` and resolves once it printed its URL. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    devFromSource(options.defs ?? FLIGHT_DEFS, options.args ?? []),
    { cwd: repoRoot, env: { ...uiTestEnv(options.home), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    url = /API at (http:\/\/\S+)\/api/.exec(line)?.[1];
    if (url !== undefined) break;
  }
  if (url === undefined) throw new Error(`lakeloop dev printed no URL; stderr: ${stderr}`);
  child.stdout.resume();
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A tab whose uncaught errors are collected in `errors` (tests assert it stays empty). */
export interface UiTab {
  page: Page;
  errors: string[];
}

/** Opens `url` in a new tab of `browser` (1280×800), collecting page errors and failed API calls. */
export async function openPage(browser: Browser, url: string): Promise<UiTab> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript({ path: PROBES });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.url().includes('/api/') && response.status() >= 500) {
      errors.push(`${response.status()} from ${response.url()}`);
    }
  });
  await page.goto(url);
  return { page, errors };
}

/** Saves a full-page screenshot as test-artifacts/ui/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Accessibility basics, checked in the page (test/ui/browser/page-probes.js): every form control
 * and button has an accessible name (label, aria-label, aria-labelledby, text or title), every
 * image an alt, the page a heading, and Tab moves the focus onto the page's controls with a
 * visible focus indicator. Returns the problems found ([] when none).
 */
export async function accessibilityProblems(page: Page, tabs = 12): Promise<string[]> {
  const problems = await page.evaluate<string[]>('window.lakeloopProbes.labelProblems()');
  let focusedSomething = false;
  for (let i = 0; i < tabs; i++) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate<{ tag: string; visible: boolean } | null>(
      'window.lakeloopProbes.focus()',
    );
    if (focus === null) continue;
    focusedSomething = true;
    if (!focus.visible) problems.push(`focused ${focus.tag} has no visible focus indicator`);
  }
  if (!focusedSomething) problems.push('Tab never moved the focus onto a control');
  return [...new Set(problems)];
}
