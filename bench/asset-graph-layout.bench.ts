/**
 * Layout of the asset graph for the UI (`GET /api/assets/graph`) on `--assets` seeded assets
 * (default 1,500, in 30 groups, each reading 1–3 of the `--span` (default 60) assets before it,
 * chosen by a seeded generator):
 * the dagre layout alone cold (in this thread, and in a worker thread as the server runs it) and
 * from the cache (hash only), and the
 * whole route through `app.request()` cold and cached (statuses read on an empty instance).
 * Issue 15's graph page budget is ≤ 1 s for 1,500 assets in the browser; this is the server's share.
 *
 *   npm run bench -- asset-graph
 *   node --conditions=lakeloop-source --import tsx bench/asset-graph-layout.bench.ts --assets 300
 *
 * Figures go to bench/results/asset-graph-layout.json.
 */
import { parseArgs } from 'node:util';
import { defineAsset, Definitions, Instance } from '../src/index.js';
import type { AssetDefinition } from '../src/index.js';
import { createApiApp } from '../src/server/api-app.js';
import { AssetGraphLayoutCache, layoutAssetGraph, structureOf } from '../src/server/asset-graph-layout.js';
import { layoutInWorker } from '../src/server/asset-graph-layout-thread.js';
import { percentile, reportBench } from './bench-report.js';

const { values: args } = parseArgs({
  options: {
    assets: { type: 'string', default: '1500' },
    cold: { type: 'string', default: '3' },
    cached: { type: 'string', default: '50' },
    span: { type: 'string', default: '60' },
  },
  allowPositionals: true, // `npm run bench -- asset-graph` passes the filter through
});
const count = (name: keyof typeof args): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return value;
};
const ASSETS = count('assets');
const COLD = count('cold');
const CACHED = count('cached');
const SPAN = count('span');
const GROUPS = 30;

/** mulberry32: the same graph on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seededAssets(n: number): AssetDefinition[] {
  const random = seeded(15);
  const keys: string[] = [];
  const assets: AssetDefinition[] = [];
  for (let i = 0; i < n; i++) {
    const key = `asset_${String(i).padStart(4, '0')}`;
    const deps = new Set<string>();
    // Mostly recent assets, so the graph has depth as well as width.
    const wanted = i === 0 ? 0 : 1 + Math.floor(random() * 3);
    for (let d = 0; d < wanted; d++) {
      const back = 1 + Math.floor(random() * Math.min(i, SPAN));
      const dep = keys[i - back];
      if (dep !== undefined) deps.add(dep);
    }
    keys.push(key);
    assets.push(defineAsset({ key, group: `group_${i % GROUPS}`, deps: [...deps], compute: () => i }));
  }
  return assets;
}

const timed = <T>(work: () => T): { ms: number; value: T } => {
  const started = performance.now();
  const value = work();
  return { ms: performance.now() - started, value };
};
const timedAsync = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};
const median = (values: number[]): number => percentile(values, 50);

const defs = new Definitions({ assets: seededAssets(ASSETS) });
const structure = structureOf(defs.graph, defs.graph.keys);
const edges = structure.reduce((sum, node) => sum + node.deps.length, 0);

const coldLayout: number[] = [];
for (let i = 0; i < COLD; i++) coldLayout.push(timed(() => layoutAssetGraph(structure)).ms);
// The server's way: in a worker thread (start-up and copying the answer back included).
const coldWorker: number[] = [];
for (let i = 0; i < COLD; i++) coldWorker.push(await timedAsync(() => layoutInWorker(structure)));
const cache = new AssetGraphLayoutCache();
await cache.layout(structure);
const cachedLayout: number[] = [];
for (let i = 0; i < CACHED; i++) cachedLayout.push(await timedAsync(() => cache.layout(structure)));
const grouped = layoutAssetGraph(structure).groups.length;

const instance = await Instance.ephemeral();
const routeCold: number[] = [];
for (let i = 0; i < COLD; i++) {
  const app = createApiApp({ defs, instance });
  routeCold.push(await timedAsync(async () => (await app.request('/api/assets/graph')).json()));
}
const layouts = new AssetGraphLayoutCache();
const app = createApiApp({ defs, instance, assetGraphLayouts: layouts });
await (await app.request('/api/assets/graph')).json();
const routeCached: number[] = [];
for (let i = 0; i < CACHED; i++)
  routeCached.push(await timedAsync(async () => (await app.request('/api/assets/graph')).json()));
await instance.close();
if (layouts.computed !== 1)
  throw new Error(`expected one layout for the cached route, got ${layouts.computed}`);

reportBench(
  'asset-graph-layout',
  [
    { name: 'layout_cold_median', value: median(coldLayout), unit: 'ms' },
    { name: 'layout_worker_cold_median', value: median(coldWorker), unit: 'ms' },
    { name: 'layout_cached_median', value: median(cachedLayout), unit: 'ms' },
    { name: 'route_cold_median', value: median(routeCold), unit: 'ms', goal: '<= 1000 ms (page, issue 15)' },
    { name: 'route_cached_median', value: median(routeCached), unit: 'ms' },
    { name: 'route_cached_p95', value: percentile(routeCached, 95), unit: 'ms' },
  ],
  {
    assets: ASSETS,
    span: SPAN,
    edges,
    groups: GROUPS,
    groupFrames: grouped,
    coldRepeats: COLD,
    cachedRepeats: CACHED,
  },
);
