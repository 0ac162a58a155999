/**
 * Server-side layout of the asset graph for the UI: dagre, ranks left to right, each node's box
 * sized from its key. A layout depends only on the graph's structure (keys, groups, deps), so it
 * is cached by a hash of that structure: statuses change on every materialization, the layout
 * only when the definitions do. The cache is small and least-recently-used, since each asset
 * selection is its own sub-graph.
 *
 * @example
 * ```ts
 * const cache = new AssetGraphLayoutCache();
 * const { layout, cached } = cache.layout(structureOf(defs.graph, defs.select('train_model+')));
 * layout.nodes[0]; // { key, group, x, y, width, height } (x, y: top-left corner)
 * ```
 */
import { createHash } from 'node:crypto';
import dagreModule from '@dagrejs/dagre';
import type { AssetGraph } from '../core/definitions/asset-graph.js';

/** The part of dagre's graph used here. */
interface DagreGraph {
  setGraph(label: Record<string, number | string>): void;
  setDefaultEdgeLabel(label: () => object): void;
  setNode(key: string, label: { width: number; height: number }): void;
  setEdge(from: string, to: string): void;
  graph(): { width?: number; height?: number };
  node(key: string): { x: number; y: number; width: number; height: number };
}

// dagre 3.1's declarations import their own files without extensions, which NodeNext resolution
// cannot follow, so the package types as `any`: this describes the part used here.
const dagre = dagreModule as unknown as {
  graphlib: { Graph: new () => DagreGraph };
  layout(graph: DagreGraph): void;
};

/** One asset of the structure to lay out: its deps are within the same structure. */
export interface AssetGraphNode {
  key: string;
  group: string;
  deps: string[];
}

/** A positioned asset: (x, y) is the top-left corner of its box, in pixels. */
export interface PositionedAsset {
  key: string;
  group: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A dependency edge, from the upstream asset to the asset that reads it. */
export interface AssetGraphEdge {
  from: string;
  to: string;
}

/** A laid-out graph. */
export interface AssetGraphLayout {
  /** The structure's hash (also the cache key). */
  hash: string;
  width: number;
  height: number;
  nodes: PositionedAsset[];
  edges: AssetGraphEdge[];
}

// Bump when the layout's options or sizing change, so that old hashes mean nothing.
const LAYOUT_VERSION = 1;
const NODE_HEIGHT = 56;
const MIN_NODE_WIDTH = 160;
const MAX_NODE_WIDTH = 360;
const CHAR_WIDTH = 8;
const NODE_PADDING = 40;
const DEFAULT_MAX_ENTRIES = 16;

/** The structure of `keys` in `graph` (deps outside `keys` left out), in topological order. */
export function structureOf(graph: AssetGraph, keys: readonly string[]): AssetGraphNode[] {
  const selected = new Set(keys);
  return graph.sort(keys).map((key) => {
    const asset = graph.get(key);
    return { key, group: asset.group, deps: asset.deps.filter((dep) => selected.has(dep)) };
  });
}

/** A hash of the structure alone: the same keys, groups and deps give the same hash, in any order. */
export function structureHash(nodes: readonly AssetGraphNode[]): string {
  const canonical = [...nodes]
    .map((n) => [n.key, n.group, [...n.deps].sort()] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([LAYOUT_VERSION, canonical]))
    .digest('hex')
    .slice(0, 32);
}

const nodeWidth = (key: string): number =>
  Math.min(MAX_NODE_WIDTH, Math.max(MIN_NODE_WIDTH, key.length * CHAR_WIDTH + NODE_PADDING));

/** Lays out the structure with dagre (ranks left to right); no caching. */
export function layoutAssetGraph(nodes: readonly AssetGraphNode[]): AssetGraphLayout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 80, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) g.setNode(node.key, { width: nodeWidth(node.key), height: NODE_HEIGHT });
  const edges: AssetGraphEdge[] = [];
  for (const node of nodes) {
    for (const dep of node.deps) {
      g.setEdge(dep, node.key);
      edges.push({ from: dep, to: node.key });
    }
  }
  dagre.layout(g);
  const label = g.graph();
  return {
    hash: structureHash(nodes),
    width: label.width ?? 0,
    height: label.height ?? 0,
    nodes: nodes.map((node) => {
      // dagre gives centres; the UI places boxes by their top-left corner.
      const { x, y, width, height } = g.node(node.key);
      return { key: node.key, group: node.group, x: x - width / 2, y: y - height / 2, width, height };
    }),
    edges,
  };
}

/** Options of {@link AssetGraphLayoutCache}. */
export interface AssetGraphLayoutCacheOptions {
  /** Layouts kept (least recently used dropped first). Default 16. */
  maxEntries?: number;
}

/** Layouts by structure hash; `computed` counts the layouts actually run. */
export class AssetGraphLayoutCache {
  /** How many layouts were computed (cache misses). */
  computed = 0;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, AssetGraphLayout>();

  constructor(options: AssetGraphLayoutCacheOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  }

  /** The layout of `nodes`, from the cache when its structure was laid out before. */
  layout(nodes: readonly AssetGraphNode[]): { layout: AssetGraphLayout; cached: boolean } {
    const hash = structureHash(nodes);
    const known = this.#entries.get(hash);
    if (known !== undefined) {
      // Re-insert: a Map iterates in insertion order, so the first entry is the least recent.
      this.#entries.delete(hash);
      this.#entries.set(hash, known);
      return { layout: known, cached: true };
    }
    const layout = layoutAssetGraph(nodes);
    this.computed++;
    this.#entries.set(hash, layout);
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return { layout, cached: false };
  }
}
