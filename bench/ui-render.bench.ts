/**
 * The web UI in a real browser (issue #15): time to first render of each page on the instance the
 * 6-month flights-3m loop leaves (goal ≤ 500 ms), and on a seeded home the heavy views — the asset
 * graph with 1,500 assets, a run with 100,000 events, a metric chart with 100,000 points (each
 * ≤ 1 s) — plus how smooth scrolling the run's event log stays (frame times while it scrolls).
 *
 * "First render" is the time from the start of navigation (a fresh browser context: nothing
 * cached) until the page's main content is drawn: its ready selector matches and no section says
 * "Loading…", read as `performance.now()` in the page, observed on animation frames.
 *
 *   npm run bench -- ui-render                          # builds bench/data/ui-flights-3m once (~2 min)
 *   npm run bench -- ui-render --instance <home>        # an instance of your own (flight-delay defs)
 *   npm run bench -- ui-render --repeats 7 --only graph
 *
 * Needs chromium (apt-get install chromium, or LAKELOOP_CHROMIUM). Figures go to
 * bench/results/ui-render.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { Instance } from '../src/index.js';
import type { EventRecord } from '../src/index.js';
import { runDemoLoop } from '../pipelines/flight-delays/demo-loop.js';
import { ensureUiBuilt } from '../src/server/ui-build.js';
import { defaultUiDir } from '../src/server/ui-static.js';
import { LocalTrackingStore } from '../src/tracking/local/local-tracking-store.js';
import { percentile, reportBench } from './bench-report.js';
import type { BenchFigure } from './bench-report.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    instance: { type: 'string' },
    repeats: { type: 'string', default: '5' },
    only: { type: 'string', multiple: true },
    events: { type: 'string', default: '100000' },
    points: { type: 'string', default: '100000' },
    assets: { type: 'string', default: '1500' },
  },
  allowPositionals: true, // `npm run bench -- ui-render` passes the filter through
});
const whole = (name: 'repeats' | 'events' | 'points' | 'assets'): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return value;
};
const REPEATS = whole('repeats');

// ---------- servers ----------

interface Dev {
  url: string;
  stop: () => Promise<void>;
}

/** `lakeloop dev --port 0` from source on `home` with `defs`. */
async function startDev(home: string, defs: string, env: Record<string, string> = {}): Promise<Dev> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=lakeloop-source',
      '--import',
      'tsx',
      join(root, 'src', 'cli', 'main.ts'),
      'dev',
      '--defs',
      defs,
      '--port',
      '0',
      '--log-level',
      'warn',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        ...env,
        LAKELOOP_HOME: home,
        LAKELOOP_DATA_BACKEND: 'embedded',
        MLFLOW_TRACKING_URI: '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    url = /API at (http:\/\/\S+)\/api/.exec(line)?.[1];
    if (url !== undefined) break;
  }
  if (url === undefined) throw new Error('lakeloop dev printed no URL');
  child.stdout.resume();
  return {
    url,
    stop: async () => {
      const exited = new Promise((done) => child.once('close', done));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The flights-3m instance: the given one, or bench/data/ui-flights-3m made by the 6-month demo loop. */
async function flightsInstance(): Promise<string> {
  if (args.instance !== undefined) return resolve(args.instance);
  const home = join(root, 'bench', 'data', 'ui-flights-3m');
  const done = join(home, '.ui-bench-ready');
  if (existsSync(done)) return home;
  rmSync(home, { recursive: true, force: true });
  console.log('building the flights-3m instance (the 6-month demo loop, once)...');
  await runDemoLoop({ home, dataset: 'flights-3m', json: false, log: () => {}, writeJson: () => {} });
  writeFileSync(done, 'made by bench/ui-render.bench.ts\n');
  return home;
}

/** A home with one run of `events` events and one training run with a `points`-point metric. */
async function heavyHome(): Promise<{
  home: string;
  runId: string;
  trainingRunId: string;
  experimentId: string;
}> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-ui-bench-'));
  const instance = await Instance.open({ home, recoverDeadRuns: false });
  const runId = 'bench-run-100k-events';
  const base = Date.parse('2026-06-01T00:00:00Z');
  const count = whole('events');
  await instance.runs.addRun({
    runId,
    jobName: '__asset_job',
    selection: 'asset_0000',
    assetKeys: ['asset_0000'],
    status: 'SUCCESS',
    tags: {},
    createdAt: base,
    startedAt: base,
    endedAt: base + count,
    updatedAt: base + count,
  });
  const event = (i: number, type: EventRecord['type'], message: string): EventRecord => ({
    runId,
    type,
    timestamp: base + i,
    ...(type === 'RUN_START' || type === 'RUN_SUCCESS' ? {} : { stepKey: 'asset_0000' }),
    message,
  });
  let batch: EventRecord[] = [
    event(0, 'RUN_START', 'Started.'),
    event(1, 'STEP_START', 'Started asset_0000.'),
  ];
  for (let i = 2; i < count - 2; i++) {
    batch.push(event(i, 'LOG', `line ${i}: processed chunk ${i % 977} of the input`));
    if (batch.length >= 5000) {
      await instance.events.appendEvents(batch);
      batch = [];
    }
  }
  batch.push(
    event(count - 2, 'STEP_SUCCESS', 'Finished asset_0000.'),
    event(count - 1, 'RUN_SUCCESS', 'Done.'),
  );
  await instance.events.appendEvents(batch);
  await instance.close();

  const tracking = new LocalTrackingStore({ root: join(home, 'tracking') });
  const experiment = await tracking.getOrCreateExperiment('bench');
  const run = await tracking.createRun({ experimentId: experiment.experimentId, name: 'train-long' });
  const points = whole('points');
  for (let from = 0; from < points; from += 5000) {
    const metrics = Array.from({ length: Math.min(5000, points - from) }, (_, k) => {
      const step = from + k;
      return { key: 'loss', value: 1 / (step + 1) + 0.01 * Math.sin(step), step, timestamp: base + step };
    });
    await tracking.logBatch(run.info.runId, { metrics });
  }
  await tracking.endRun(run.info.runId, 'FINISHED');
  await tracking.close();
  return { home, runId, trainingRunId: run.info.runId, experimentId: experiment.experimentId };
}

// ---------- measuring ----------

/** One measured view: where it is and what shows it is drawn. */
interface View {
  name: string;
  url: string;
  /** CSS selector of the main content. */
  ready: string;
  goalMs: number;
}

/** True in the page once `selector` matches and no section is still loading. */
const readyScript = (selector: string): string =>
  `document.querySelector(${JSON.stringify(selector)}) !== null && !document.querySelector('main')?.textContent?.includes('Loading…')`;

/** Time to first render of `view` in a fresh context (ms since navigation start). */
async function firstRender(browser: Browser, view: View): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(view.url, { waitUntil: 'commit' });
    await page.waitForFunction(readyScript(view.ready), undefined, { polling: 'raf', timeout: 30_000 });
    return await page.evaluate<number>('performance.now()');
  } finally {
    await context.close();
  }
}

/**
 * Frame times while the scrollable element `selector` scrolls down `frames` frames (a wheel-like
 * `px` per frame): the p95 and the longest frame, in ms.
 */
async function scrollFrames(
  page: Page,
  selector: string,
  frames = 120,
  px = 120,
): Promise<{ p95: number; max: number }> {
  const deltas = await page.evaluate<number[]>(`new Promise((done) => {
    const el = document.querySelector(${JSON.stringify(selector)});
    const times = [];
    let last = performance.now();
    const step = () => {
      const now = performance.now();
      times.push(now - last);
      last = now;
      el.scrollTop += ${px};
      if (times.length < ${frames}) requestAnimationFrame(step); else done(times.slice(1));
    };
    requestAnimationFrame(step);
  })`);
  return { p95: percentile(deltas, 95), max: Math.max(...deltas) };
}

const wanted = (view: View): boolean =>
  args.only === undefined || args.only.some((text) => view.name.includes(text) || view.url.includes(text));

async function main(): Promise<void> {
  await ensureUiBuilt(defaultUiDir(), () => {
    console.log('building the web UI...');
  });
  const executablePath = [process.env['LAKELOOP_CHROMIUM'], '/usr/bin/chromium'].find(
    (p): p is string => p !== undefined && p !== '' && existsSync(p),
  );
  if (executablePath === undefined)
    throw new Error('needs chromium: apt-get install chromium, or set LAKELOOP_CHROMIUM');

  const flightsHome = await flightsInstance();
  const heavy = await heavyHome();
  const flights = await startDev(flightsHome, join(root, 'pipelines', 'flight-delays', 'definitions.ts'));
  const big = await startDev(heavy.home, join(root, 'bench', 'fixtures', 'many-assets-definitions.ts'), {
    LAKELOOP_BENCH_ASSETS: String(whole('assets')),
  });
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const api = async <T>(path: string): Promise<T> =>
      (await (await fetch(`${flights.url}${path}`)).json()) as T;
    const { runs } = await api<{ runs: { runId: string }[] }>('/api/runs?limit=1');
    const latestRun = runs[0]?.runId ?? '';
    const model = 'flight-delays';
    const { model: registered } = await api<{ model: { aliases: Record<string, string> } }>(
      `/api/models/${model}`,
    );
    const champion = registered.aliases['champion'] ?? '1';
    const views: View[] = [
      ...uiPages(flights.url, { latestRun, model, champion }),
      ...heavyViews(big.url, heavy),
    ].filter(wanted);
    const times = new Map<string, number[]>(views.map((v) => [v.name, []]));
    // Alternate the views across repeats, so drift in the machine's load spreads over all of them.
    for (let r = 0; r < REPEATS; r++) {
      for (const view of views) times.get(view.name)?.push(await firstRender(browser, view));
    }
    const figures: BenchFigure[] = views.map((view) => ({
      name: `first_render_${view.name}_median`,
      value: percentile(times.get(view.name) ?? [], 50),
      unit: 'ms',
      goal: `<= ${view.goalMs} ms`,
    }));
    for (const view of views) {
      figures.push({
        name: `first_render_${view.name}_max`,
        value: Math.max(...(times.get(view.name) ?? [])),
        unit: 'ms',
      });
    }
    for (const smooth of scrollViews(big.url, heavy).filter((s) => wanted(s.view))) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(smooth.view.url);
      await page.waitForFunction(readyScript(smooth.view.ready), undefined, {
        polling: 'raf',
        timeout: 30_000,
      });
      const frames = await scrollFrames(page, smooth.scroller);
      figures.push(
        {
          name: `scroll_${smooth.view.name}_frame_p95`,
          value: frames.p95,
          unit: 'ms',
          goal: '<= 33 ms (30 fps)',
        },
        { name: `scroll_${smooth.view.name}_frame_max`, value: frames.max, unit: 'ms' },
      );
      await context.close();
    }
    reportBench('ui-render', figures, {
      repeats: REPEATS,
      instance: flightsHome,
      events: whole('events'),
      points: whole('points'),
      assets: whole('assets'),
    });
  } finally {
    await browser.close();
    await flights.stop();
    await big.stop();
    rmSync(heavy.home, { recursive: true, force: true });
  }
}

/** The pages on the flights-3m instance (each ≤ 500 ms). */
function uiPages(url: string, ids: { latestRun: string; model: string; champion: string }): View[] {
  const goalMs = 500;
  return [
    { name: 'home', url: `${url}/`, ready: '[aria-labelledby="timeline-title"] tbody tr', goalMs },
    { name: 'assets', url: `${url}/assets`, ready: 'main table tbody tr', goalMs },
    { name: 'runs', url: `${url}/runs`, ready: 'main table tbody tr', goalMs },
    { name: 'run', url: `${url}/runs/${ids.latestRun}`, ready: 'main table tbody tr', goalMs },
    { name: 'automation', url: `${url}/automation`, ready: 'main table tbody tr', goalMs },
    { name: 'data', url: `${url}/data/flights`, ready: 'main table tbody tr', goalMs },
    { name: 'experiments', url: `${url}/experiments`, ready: 'main table tbody tr', goalMs },
    { name: 'models', url: `${url}/models/${ids.model}`, ready: 'main table tbody tr', goalMs },
    {
      name: 'lineage',
      url: `${url}/lineage?modelVersion=${ids.model}/${ids.champion}`,
      ready: '.lineage-nodes li',
      goalMs,
    },
  ];
}

/** The heavy views on the seeded home (each ≤ 1 s). */
function heavyViews(
  url: string,
  heavy: { runId: string; trainingRunId: string; experimentId: string },
): View[] {
  return [
    {
      name: 'graph_1500_assets',
      url: `${url}/assets?view=graph`,
      ready: '.react-flow__node.asset-node',
      goalMs: 1000,
    },
    {
      name: 'run_100k_events',
      url: `${url}/runs/${heavy.runId}`,
      ready: 'main table tbody tr',
      goalMs: 1000,
    },
    {
      name: 'metric_100k_points',
      url: `${url}/experiments?experiment=${heavy.experimentId}&run=${heavy.trainingRunId}&metric=loss`,
      ready: 'main canvas',
      goalMs: 1000,
    },
  ];
}

/** Views whose scrolling is measured, with the element that scrolls. */
function scrollViews(url: string, heavy: { runId: string; trainingRunId: string; experimentId: string }) {
  const [, run] = heavyViews(url, heavy);
  return run === undefined ? [] : [{ view: run, scroller: '.virtual-table' }];
}

await main();
