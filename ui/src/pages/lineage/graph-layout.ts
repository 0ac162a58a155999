/**
 * Lays a lineage graph out left to right without a layout library: one column per node kind in
 * chain order (commit → tick → run → training run → version → gate → alias move), nodes stacked in
 * their column in the server's order. Fixed node sizes make every edge's ends known without
 * measuring the DOM.
 */
import { NODE_KINDS } from './types.js';
import type { LineageEdge, LineageNode } from './types.js';

export const NODE_WIDTH = 136;
export const NODE_HEIGHT = 96;
const COLUMN_GAP = 22;
const ROW_GAP = 16;
const PAD = 4;

/** A node and where it is drawn. */
export interface PlacedNode {
  node: LineageNode;
  x: number;
  y: number;
}

/** An edge as an SVG path. */
export interface PlacedEdge {
  edge: LineageEdge;
  path: string;
}

/** The laid out graph. */
export interface GraphLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/** Places `nodes` in kind columns (empty kinds take no column) and routes `edges` as curves. */
export function layoutGraph(nodes: readonly LineageNode[], edges: readonly LineageEdge[]): GraphLayout {
  const kinds = NODE_KINDS.filter((kind) => nodes.some((n) => n.kind === kind));
  const placed = new Map<string, PlacedNode>();
  let rows = 0;
  kinds.forEach((kind, column) => {
    const inColumn = nodes.filter((n) => n.kind === kind);
    rows = Math.max(rows, inColumn.length);
    inColumn.forEach((node, row) => {
      placed.set(node.id, {
        node,
        x: PAD + column * (NODE_WIDTH + COLUMN_GAP),
        y: PAD + row * (NODE_HEIGHT + ROW_GAP),
      });
    });
  });
  const rowsBottom = PAD + Math.max(1, rows) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP;
  // an edge that skips columns would run behind the nodes between: it takes a lane under the graph
  let lanes = 0;
  const routed = edges.flatMap((edge) => {
    const from = placed.get(edge.from);
    const to = placed.get(edge.to);
    if (from === undefined || to === undefined) return [];
    const skips = Math.abs(to.x - from.x) > NODE_WIDTH + COLUMN_GAP;
    const path = skips ? lanePath(from, to, rowsBottom + LANE_GAP * ++lanes) : edgePath(from, to);
    return [{ edge, path }];
  });
  return {
    nodes: [...placed.values()],
    edges: routed,
    width: PAD * 2 + Math.max(1, kinds.length) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP,
    height: rowsBottom + PAD + LANE_GAP * lanes,
  };
}

const LANE_GAP = 10;

/** Down from the source's bottom to its lane, along it, and up into the target's bottom. */
function lanePath(from: PlacedNode, to: PlacedNode, laneY: number): string {
  const x1 = from.x + NODE_WIDTH * 0.6;
  const x2 = to.x + NODE_WIDTH * 0.4;
  return `M ${x1} ${from.y + NODE_HEIGHT} V ${laneY} H ${x2} V ${to.y + NODE_HEIGHT}`;
}

/** A curve from the source's right side to the target's left side (same column: a loop on the right). */
function edgePath(from: PlacedNode, to: PlacedNode): string {
  const y1 = from.y + NODE_HEIGHT / 2;
  const y2 = to.y + NODE_HEIGHT / 2;
  if (from.x === to.x) {
    const x = from.x + NODE_WIDTH;
    return `M ${x} ${y1} C ${x + COLUMN_GAP} ${y1}, ${x + COLUMN_GAP} ${y2}, ${x} ${y2}`;
  }
  const x1 = from.x + NODE_WIDTH;
  const x2 = to.x;
  const bend = Math.max(COLUMN_GAP / 2, (x2 - x1) / 2);
  return `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
}
