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
 * const { layout, cached } = await cache.layout(structureOf(defs.graph, defs.select('train_model+')));
 * layout.nodes[0]; // { key, group, x, y, width, height } (x, y: top-left corner)
 * ```
 */
import { createHash } from 'node:crypto';
import dagreModule from '@dagrejs/dagre';
import type { AssetGraph } from '../core/definitions/asset-graph.js';
import { layoutInWorker } from './asset-graph-layout-thread.js';

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
  layout(graph: DagreGraph, options?: object): void;
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
  /** Group frames, in a grouped layout (large graphs); empty otherwise. */
  groups: PositionedGroup[];
}

// Bump when the layout's options or sizing change, so that old hashes mean nothing.
const LAYOUT_VERSION = 2;
const NODE_HEIGHT = 56;
const MIN_NODE_WIDTH = 160;
const MAX_NODE_WIDTH = 360;
const CHAR_WIDTH = 8;
const NODE_PADDING = 40;
const DEFAULT_MAX_ENTRIES = 16;
const MARGIN = 16;
/** Above this many assets a part is "big": fast ranking, and the graph is laid out by group. */
const LARGE_PART = 300;
const PACK_WIDTH = 2400;
const COMPONENT_GAP = 48;
const GROUP_HEADER = 32;
const GROUP_PADDING = 16;
const GROUP_GAP = 32;
const GROUP_RANK_GAP = 120;

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

/** A box in the layout (a component or a group), top-left corner and size. */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A group's frame in a grouped layout (large graphs), for the UI to draw behind its assets. */
export interface PositionedGroup extends Box {
  group: string;
}

/** Dagre's knobs per part: small parts get the best ranking, big ones the fast one. */
function dagreOptions(size: number): { graph: Record<string, number | string>; order: object } {
  const big = size > LARGE_PART;
  return {
    graph: {
      rankdir: 'LR',
      nodesep: 24,
      ranksep: 80,
      marginx: 0,
      marginy: 0,
      // network-simplex is cubic-ish on wide graphs (26 s for 1,500 seeded assets); tight-tree is
      // near-linear and still keeps most edges one rank long.
      ranker: big ? 'tight-tree' : 'network-simplex',
    },
    // The crossing-minimisation sweeps dominate on big parts; one ordering pass is enough there.
    order: big ? { disableOptimalOrderHeuristic: true } : {},
  };
}

/** Lays out one part with dagre; positions relative to the part's top-left corner. */
function layoutPart(nodes: readonly AssetGraphNode[]): {
  width: number;
  height: number;
  boxes: Map<string, Box>;
} {
  const inPart = new Set(nodes.map((n) => n.key));
  const options = dagreOptions(nodes.length);
  const g = new dagre.graphlib.Graph();
  g.setGraph(options.graph);
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) g.setNode(node.key, { width: nodeWidth(node.key), height: NODE_HEIGHT });
  for (const node of nodes) for (const dep of node.deps) if (inPart.has(dep)) g.setEdge(dep, node.key);
  dagre.layout(g, options.order);
  const boxes = new Map<string, Box>();
  for (const node of nodes) {
    // dagre gives centres; the UI places boxes by their top-left corner.
    const { x, y, width, height } = g.node(node.key);
    boxes.set(node.key, { x: x - width / 2, y: y - height / 2, width, height });
  }
  const label = g.graph();
  return { width: label.width ?? 0, height: label.height ?? 0, boxes };
}

/** The weakly connected components of `nodes`, biggest first (each in the given order). */
function components(nodes: readonly AssetGraphNode[]): AssetGraphNode[][] {
  const parent = new Map(nodes.map((n) => [n.key, n.key]));
  const root = (key: string): string => {
    let r = key;
    while (parent.get(r) !== r) r = parent.get(r) ?? r;
    parent.set(key, r); // path halving is enough at these sizes
    return r;
  };
  for (const node of nodes)
    for (const dep of node.deps) if (parent.has(dep)) parent.set(root(dep), root(node.key));
  const byRoot = new Map<string, AssetGraphNode[]>();
  for (const node of nodes) {
    const r = root(node.key);
    const list = byRoot.get(r);
    if (list === undefined) byRoot.set(r, [node]);
    else list.push(node);
  }
  return [...byRoot.values()].sort((a, b) => b.length - a.length);
}

/**
 * Shelf packing: boxes left to right in rows no wider than the widest box or `PACK_WIDTH`, so
 * many small components do not make one very tall column. Returns each box's offset.
 */
function pack(sizes: readonly { width: number; height: number }[], gap: number) {
  const rowWidth = Math.max(PACK_WIDTH, ...sizes.map((s) => s.width));
  const offsets: { x: number; y: number }[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  let width = 0;
  for (const size of sizes) {
    if (x > 0 && x + size.width > rowWidth) {
      y += rowHeight + gap;
      x = 0;
      rowHeight = 0;
    }
    offsets.push({ x, y });
    x += size.width + gap;
    rowHeight = Math.max(rowHeight, size.height);
    width = Math.max(width, x - gap);
  }
  return { offsets, width, height: y + rowHeight };
}

/**
 * Large graphs of several groups: each group laid out on its own (its inner edges), then the
 * groups as boxes in columns by the graph of groups (an edge where any asset reads another group's).
 * Edges across groups are drawn by the UI from box to box; laying 1,500 assets out as one dagre
 * graph gave tens of thousands of dummy nodes for the long edges.
 */
function layoutByGroup(nodes: readonly AssetGraphNode[]) {
  const byGroup = new Map<string, AssetGraphNode[]>();
  for (const node of nodes) {
    const list = byGroup.get(node.group);
    if (list === undefined) byGroup.set(node.group, [node]);
    else list.push(node);
  }
  const groupOf = new Map(nodes.map((n) => [n.key, n.group]));
  const inner = new Map([...byGroup].map(([group, members]) => [group, layoutComponents(members)]));
  const reads = new Map<string, Set<string>>([...byGroup.keys()].map((group) => [group, new Set()]));
  for (const node of nodes)
    for (const dep of node.deps) {
      const from = groupOf.get(dep);
      if (from !== undefined && from !== node.group) reads.get(node.group)?.add(from);
    }
  const columns = groupColumns(reads);
  const boxes = new Map<string, Box>();
  const groups: PositionedGroup[] = [];
  let x = 0;
  let height = 0;
  for (const column of columns) {
    let y = 0;
    let columnWidth = 0;
    for (const group of column) {
      const part = inner.get(group);
      if (part === undefined) continue;
      const frame = {
        group,
        x,
        y,
        width: part.width + 2 * GROUP_PADDING,
        height: part.height + GROUP_HEADER + GROUP_PADDING,
      };
      groups.push(frame);
      for (const [key, box] of part.boxes)
        boxes.set(key, { ...box, x: box.x + frame.x + GROUP_PADDING, y: box.y + frame.y + GROUP_HEADER });
      y += frame.height + GROUP_GAP;
      columnWidth = Math.max(columnWidth, frame.width);
    }
    height = Math.max(height, y - GROUP_GAP);
    x += columnWidth + GROUP_RANK_GAP;
  }
  return { width: Math.max(0, x - GROUP_RANK_GAP), height, boxes, groups };
}

/**
 * Groups in columns, left to right: a group's column is one more than the furthest column of the
 * groups it reads (longest path), once the edges closing a cycle (found by a depth-first walk)
 * are left out. Linear in the edges; dagre took over a second on 30 groups that all read one another.
 */
function groupColumns(reads: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const column = new Map<string, number>();
  const onPath = new Set<string>();
  const visit = (group: string): number => {
    const known = column.get(group);
    if (known !== undefined) return known;
    onPath.add(group);
    let at = 0;
    for (const upstream of [...(reads.get(group) ?? [])].sort())
      if (!onPath.has(upstream)) at = Math.max(at, visit(upstream) + 1);
    onPath.delete(group);
    column.set(group, at);
    return at;
  };
  const names = [...reads.keys()].sort();
  names.forEach(visit);
  const out: string[][] = [];
  for (const group of names) (out[column.get(group) ?? 0] ??= []).push(group);
  return out.filter((c) => c.length > 0);
}

/** The part of a single asset: its box at the origin. */
function loneBox(node: AssetGraphNode): { width: number; height: number; boxes: Map<string, Box> } {
  const width = nodeWidth(node.key);
  return {
    width,
    height: NODE_HEIGHT,
    boxes: new Map([[node.key, { x: 0, y: 0, width, height: NODE_HEIGHT }]]),
  };
}

/** Each connected component laid out on its own, then packed in rows. */
function layoutComponents(nodes: readonly AssetGraphNode[]) {
  // A lone asset needs no dagre call (each costs about a millisecond, and groups have many).
  const parts = components(nodes).map((part) =>
    part.length === 1 && part[0] !== undefined ? loneBox(part[0]) : layoutPart(part),
  );
  const packed = pack(parts, COMPONENT_GAP);
  const boxes = new Map<string, Box>();
  parts.forEach((part, i) => {
    const offset = packed.offsets[i] ?? { x: 0, y: 0 };
    for (const [key, box] of part.boxes) boxes.set(key, { ...box, x: box.x + offset.x, y: box.y + offset.y });
  });
  return { width: packed.width, height: packed.height, boxes };
}

/**
 * Lays out the structure with dagre (ranks left to right); no caching. Connected components are
 * laid out apart and packed; a graph of more than `LARGE_PART` assets in several groups is laid
 * out group by group (`groups` gives their frames). CPU-bound: the server runs it in a worker
 * (asset-graph-layout-worker.ts).
 */
export function layoutAssetGraph(nodes: readonly AssetGraphNode[]): AssetGraphLayout {
  const groupCount = new Set(nodes.map((n) => n.group)).size;
  const grouped = nodes.length > LARGE_PART && groupCount > 1;
  const laid = grouped ? layoutByGroup(nodes) : { ...layoutComponents(nodes), groups: [] };
  const edges: AssetGraphEdge[] = nodes.flatMap((node) =>
    node.deps.map((dep) => ({ from: dep, to: node.key })),
  );
  const place = (v: number): number => v + MARGIN;
  return {
    hash: structureHash(nodes),
    width: laid.width + 2 * MARGIN,
    height: laid.height + 2 * MARGIN,
    nodes: nodes.map((node) => {
      const box = laid.boxes.get(node.key) ?? { x: 0, y: 0, width: nodeWidth(node.key), height: NODE_HEIGHT };
      return { key: node.key, group: node.group, ...box, x: place(box.x), y: place(box.y) };
    }),
    edges,
    groups: laid.groups.map((frame) => ({ ...frame, x: place(frame.x), y: place(frame.y) })),
  };
}

/** Computes a layout (in a worker on the server; in-process in tests that want it). */
export type LayoutComputer = (nodes: readonly AssetGraphNode[]) => Promise<AssetGraphLayout>;

/** Options of {@link AssetGraphLayoutCache}. */
export interface AssetGraphLayoutCacheOptions {
  /** Layouts kept (least recently used dropped first). Default 16. */
  maxEntries?: number;
  /** How a missing layout is computed. Default: in a worker thread, so the event loop never blocks. */
  compute?: LayoutComputer;
}

/** Layouts by structure hash; `computed` counts the layouts actually run. */
export class AssetGraphLayoutCache {
  /** How many layouts were computed (cache misses). */
  computed = 0;
  readonly #maxEntries: number;
  readonly #compute: LayoutComputer;
  readonly #entries = new Map<string, AssetGraphLayout>();
  // Callers asking for a layout being computed wait for that one instead of starting another.
  readonly #pending = new Map<string, Promise<AssetGraphLayout>>();

  constructor(options: AssetGraphLayoutCacheOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.#compute = options.compute ?? layoutInWorker;
  }

  /** The layout of `nodes`, from the cache when its structure was laid out before. */
  async layout(nodes: readonly AssetGraphNode[]): Promise<{ layout: AssetGraphLayout; cached: boolean }> {
    const hash = structureHash(nodes);
    const known = this.#entries.get(hash);
    if (known !== undefined) {
      // Re-insert: a Map iterates in insertion order, so the first entry is the least recent.
      this.#entries.delete(hash);
      this.#entries.set(hash, known);
      return { layout: known, cached: true };
    }
    const pending = this.#pending.get(hash);
    if (pending !== undefined) return { layout: await pending, cached: false };
    const computing = this.#compute(nodes);
    this.#pending.set(hash, computing);
    try {
      const layout = await computing;
      this.computed++;
      this.#entries.set(hash, layout);
      if (this.#entries.size > this.#maxEntries) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      return { layout, cached: false };
    } finally {
      this.#pending.delete(hash);
    }
  }
}

/** Computes the layout in this thread (blocks it: for tests and the bench's layout-alone figure). */
export const layoutInProcess: LayoutComputer = (nodes) => Promise.resolve(layoutAssetGraph(nodes));
