/**
 * `GET /api/assets/graph` through `app.request`, on a real in-memory instance: finite boxes with
 * ranks increasing left to right along every edge, statuses read per call while the layout comes
 * from the cache (the cache's counter proves no second layout), a sub-graph by selection, and 400
 * on bad selections.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { defineAsset, Definitions, Instance, materialize } from '../../src/index.js';
import { createApiApp } from '../../src/server/api-app.js';
import { AssetGraphLayoutCache, layoutAssetGraph, structureOf } from '../../src/server/asset-graph-layout.js';

interface GraphNode {
  key: string;
  group: string;
  status: string;
  reasons: string[];
  x: number;
  y: number;
  width: number;
  height: number;
}
interface GraphBody {
  hash: string;
  cached: boolean;
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: { from: string; to: string }[];
}

// raw -> clean -> features -> model, and raw -> stats; `raw` returns a new value on each run.
let rawValue = 0;
const raw = defineAsset({ key: 'raw', group: 'data', compute: () => ++rawValue });
const clean = defineAsset({ key: 'clean', group: 'data', deps: ['raw'], compute: () => 1 });
const features = defineAsset({ key: 'features', group: 'data', deps: ['clean'], compute: () => 2 });
const model = defineAsset({ key: 'model', group: 'ml', deps: ['features'], compute: () => 3 });
const stats = defineAsset({ key: 'stats', group: 'ml', deps: ['raw'], compute: () => 4 });
const defs = new Definitions({ assets: [raw, clean, features, model, stats] });

describe('REST API: the laid-out asset graph', () => {
  let instance: Instance;
  let layouts: AssetGraphLayoutCache;
  let app: Hono;

  beforeEach(async () => {
    instance = await Instance.ephemeral();
    layouts = new AssetGraphLayoutCache();
    app = createApiApp({ defs, instance, assetGraphLayouts: layouts });
  });
  afterEach(async () => {
    await instance.close();
  });

  const graph = async (query = '') => {
    const response = await app.request(`/api/assets/graph${query}`);
    return { status: response.status, body: (await response.json()) as GraphBody };
  };
  const node = (body: GraphBody, key: string): GraphNode => {
    const found = body.nodes.find((n) => n.key === key);
    if (found === undefined) throw new Error(`no node ${key}`);
    return found;
  };

  it('lays out every asset left to right with finite boxes, one edge per dependency', async () => {
    const { status, body } = await graph();
    expect(status).toBe(200);
    expect(body.nodes.map((n) => n.key).sort()).toEqual(['clean', 'features', 'model', 'raw', 'stats']);
    expect(node(body, 'model')).toMatchObject({ group: 'ml', status: 'MISSING' });
    for (const n of body.nodes) {
      for (const v of [n.x, n.y, n.width, n.height]) expect(Number.isFinite(v)).toBe(true);
      expect(n.width).toBeGreaterThan(0);
      expect(n.x + n.width).toBeLessThanOrEqual(body.width);
      expect(n.y + n.height).toBeLessThanOrEqual(body.height);
    }
    expect(body.edges).toHaveLength(4);
    expect(body.edges).toContainEqual({ from: 'raw', to: 'stats' });
    for (const edge of body.edges) {
      // Left to right: an upstream box ends before its downstream box begins.
      const from = node(body, edge.from);
      expect(from.x + from.width).toBeLessThan(node(body, edge.to).x);
    }
  });

  it('lays out once: a second call comes from the cache, with statuses read afresh', async () => {
    const first = await graph();
    expect(first.body.cached).toBe(false);
    expect(layouts.computed).toBe(1);

    await materialize(defs, { select: 'raw,clean', instance });
    await materialize(defs, { select: 'raw', instance }); // a new raw value: clean is now stale
    const second = await graph();
    expect(second.body.cached).toBe(true);
    expect(second.body.hash).toBe(first.body.hash);
    expect(layouts.computed).toBe(1);
    expect(second.body.nodes.map(({ key, x, y }) => ({ key, x, y }))).toEqual(
      first.body.nodes.map(({ key, x, y }) => ({ key, x, y })),
    );
    expect(node(second.body, 'raw').status).toBe('FRESH');
    expect(node(second.body, 'clean')).toMatchObject({
      status: 'STALE',
      reasons: ['upstream raw has a newer data version'],
    });
    expect(node(second.body, 'features').status).toBe('MISSING');
  });

  it('lays out the sub-graph of a selection, with only the edges inside it', async () => {
    const { status, body } = await graph('?select=%2Bfeatures');
    expect(status).toBe(200);
    expect(body.nodes.map((n) => n.key)).toEqual(['raw', 'clean', 'features']);
    expect(body.edges).toEqual([
      { from: 'raw', to: 'clean' },
      { from: 'clean', to: 'features' },
    ]);
    const whole = await graph();
    expect(whole.body.hash).not.toBe(body.hash);
    expect(layouts.computed).toBe(2);
    expect((await graph('?select=group:ml')).body.edges).toEqual([]);
  });

  it('refuses a bad selection or an unknown parameter with 400', async () => {
    const unknown = await graph('?select=nope');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('Unknown asset \\"nope\\"');
    const syntax = await graph('?select=raw%3F');
    expect(syntax.status).toBe(400);
    expect(JSON.stringify(syntax.body)).toContain('INVALID_ARGUMENT');
    expect((await graph('?select=')).status).toBe(400);
    expect((await graph('?layout=tb')).status).toBe(400);
    expect(layouts.computed).toBe(0);
  });

  it('lays out a large graph group by group, off the event loop, every box inside its group', async () => {
    // 400 assets in 4 groups: a chain inside each group, and every group reads the one before.
    const big = new Definitions({
      assets: Array.from({ length: 400 }, (_, i) => {
        const group = Math.floor(i / 100);
        const deps = i % 100 === 0 ? (i === 0 ? [] : [`a${i - 100}`]) : [`a${i - 1}`];
        return defineAsset({ key: `a${i}`, group: `g${group}`, deps, compute: () => i });
      }),
    });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const { layout } = await new AssetGraphLayoutCache().layout(structureOf(big.graph, big.graph.keys));
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0); // the worker computed it while this thread kept running
    expect(layout.groups.map((g) => g.group)).toEqual(['g0', 'g1', 'g2', 'g3']);
    const frames = new Map(layout.groups.map((g) => [g.group, g]));
    for (const n of layout.nodes) {
      const frame = frames.get(n.group);
      expect(frame).toBeDefined();
      if (frame === undefined) continue;
      expect(n.x).toBeGreaterThanOrEqual(frame.x);
      expect(n.y).toBeGreaterThanOrEqual(frame.y);
      expect(n.x + n.width).toBeLessThanOrEqual(frame.x + frame.width);
      expect(n.y + n.height).toBeLessThanOrEqual(frame.y + frame.height);
    }
    // Groups in columns along the reads: g0 left of g1, left of g2…
    const xs = layout.groups.map((g) => g.x);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    // The worker's layout is the in-process one.
    expect(layout).toEqual(layoutAssetGraph(structureOf(big.graph, big.graph.keys)));
  });

  it('packs unconnected assets side by side (a small graph has no group frames)', () => {
    const lone = new Definitions({
      assets: ['x', 'y', 'z'].map((key) => defineAsset({ key, group: 'g', compute: () => 1 })),
    });
    const layout = layoutAssetGraph(structureOf(lone.graph, lone.graph.keys));
    expect(layout.groups).toEqual([]);
    expect(new Set(layout.nodes.map((n) => n.y)).size).toBe(1);
    expect(new Set(layout.nodes.map((n) => n.x)).size).toBe(3);
  });
});
