/**
 * The asset graph (@xyflow/react), laid out on the server (`GET /api/assets/graph`, dagre, cached
 * by structure hash): boxes colored by status with the reasons on hover, edges along the deps,
 * group frames behind large graphs. Only what is in view is rendered, so 1,500 assets stay
 * smooth; clicking an asset opens its page.
 */
import { useMemo } from 'react';
import { Background, Controls, Position, ReactFlow } from '@xyflow/react';
import type { Edge, Node } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { Loaded } from '../../components/loaded.js';
import { navigate } from '../../router.js';
import { useApi } from '../../use-api.js';
import { assetPath } from './assets-page.js';
import type { AssetGraphAnswer } from './types.js';

/** Graphs up to this many assets open fitted to the view. */
const FIT_WHOLE_GRAPH = 150;

/** The graph of `select` (every asset when ''). */
export function AssetGraphView({ select }: { select: string }) {
  const query = select === '' ? '' : `?select=${encodeURIComponent(select)}`;
  const graph = useApi<AssetGraphAnswer>(`/api/assets/graph${query}`, { live: ['runs'] });
  return <Loaded state={graph}>{(answer) => <GraphCanvas graph={answer} />}</Loaded>;
}

function GraphCanvas({ graph }: { graph: AssetGraphAnswer }) {
  const { nodes, edges } = useMemo(() => toFlow(graph), [graph]);
  return (
    <div className="asset-graph" role="figure" aria-label={`Asset graph: ${graph.nodes.length} assets`}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        // A small graph is shown whole; a large one opens at a readable zoom on its start, so that
        // only the boxes in view are drawn (fitting 1,500 boxes would draw them all).
        {...(graph.nodes.length <= FIT_WHOLE_GRAPH
          ? { fitView: true }
          : { defaultViewport: { x: 16, y: 16, zoom: 0.75 } })}
        minZoom={0.05}
        onlyRenderVisibleElements
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        onNodeClick={(_event, node) => {
          if (node.type !== 'group') navigate(assetPath(node.id));
        }}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

/**
 * Where a box's two handles are (target on the left, source on the right, each 1×1 at mid-height).
 * React Flow renders every node whose handles it has not measured yet, even with
 * onlyRenderVisibleElements; nodes that say where their handles are (and their size) are drawn
 * only when in view, so a 1,500-asset graph's first render draws a screenful, not 1,500 boxes.
 */
function boxHandles(width: number, height: number): NonNullable<Node['handles']> {
  const y = height / 2;
  return [
    { type: 'target', position: Position.Left, x: 0, y, width: 1, height: 1 },
    { type: 'source', position: Position.Right, x: width - 1, y, width: 1, height: 1 },
  ];
}

/** The server's layout as React Flow nodes and edges. */
function toFlow(graph: AssetGraphAnswer): { nodes: Node[]; edges: Edge[] } {
  const frames: Node[] = graph.groups.map((g) => ({
    id: `group:${g.group}`,
    type: 'group',
    position: { x: g.x, y: g.y },
    data: { label: g.group },
    width: g.width,
    height: g.height,
    handles: [],
    className: 'asset-group-frame',
    selectable: false,
    zIndex: -1,
  }));
  const boxes: Node[] = graph.nodes.map((n) => ({
    id: n.key,
    position: { x: n.x, y: n.y },
    data: {
      label: (
        <span title={n.reasons.length === 0 ? n.status : `${n.status}: ${n.reasons.join('; ')}`}>
          <span className="mono">{n.key}</span>
          <br />
          <span className="muted">
            {n.status}
            {n.partitions === undefined ? '' : ` · ${String(n.partitions.FRESH)} fresh`}
          </span>
        </span>
      ),
    },
    sourcePosition: Position.Right,
    targetPosition: Position.Left,
    width: n.width,
    height: n.height,
    handles: boxHandles(n.width, n.height),
    className: `asset-node asset-node-${n.status.toLowerCase()}`,
    ariaLabel: `${n.key}: ${n.status}`,
  }));
  const edges: Edge[] = graph.edges.map((e) => ({ id: `${e.from}->${e.to}`, source: e.from, target: e.to }));
  return { nodes: [...frames, ...boxes], edges };
}
