/**
 * The lineage graph drawn left to right: node cards (an ordered list in chain order, so a screen
 * reader reads the chain) placed over an SVG of the edges, the focused node outlined. Each card
 * links to its thing's page and, where the route can focus it, to the lineage around it. The
 * edges are also listed as text under the graph.
 */
import { Link } from '../../link.js';
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from './graph-layout.js';
import { KIND_TITLES, nodeDetail, nodeLineage, nodePage } from './node-links.js';
import type { LineageAnswer, LineageNode } from './types.js';

/** The graph of a lineage answer. */
export function LineageGraph({ lineage }: { lineage: LineageAnswer }) {
  const layout = layoutGraph(lineage.nodes, lineage.edges);
  const labels = new Map(lineage.nodes.map((n) => [n.id, `${KIND_TITLES[n.kind]} ${n.label}`]));
  return (
    <>
      <div className="lineage-scroll" role="region" aria-label="Lineage graph" tabIndex={0}>
        <div className="lineage-canvas" style={{ width: layout.width, height: layout.height }}>
          <svg width={layout.width} height={layout.height} aria-hidden="true" className="lineage-edges">
            <defs>
              <marker
                id="lineage-arrow"
                viewBox="0 0 10 10"
                refX="9"
                refY="5"
                markerWidth="7"
                markerHeight="7"
                orient="auto"
              >
                <path d="M 0 0 L 10 5 L 0 10 z" />
              </marker>
            </defs>
            {layout.edges.map(({ edge, path }) => (
              <path key={`${edge.from}>${edge.to}`} d={path} markerEnd="url(#lineage-arrow)">
                <title>{edge.relation}</title>
              </path>
            ))}
          </svg>
          <ol className="lineage-nodes">
            {layout.nodes.map(({ node, x, y }) => (
              <li
                key={node.id}
                className={`lineage-node kind-${node.kind}${node.id === lineage.focus ? ' focus' : ''}`}
                style={{ left: x, top: y, width: NODE_WIDTH, height: NODE_HEIGHT }}
                aria-current={node.id === lineage.focus ? 'true' : undefined}
                data-kind={node.kind}
              >
                <NodeCard node={node} focused={node.id === lineage.focus} />
              </li>
            ))}
          </ol>
        </div>
      </div>
      <details className="lineage-edges-list">
        <summary>Edges ({lineage.edges.length})</summary>
        <ul>
          {lineage.edges.map((edge) => (
            <li key={`${edge.from}>${edge.to}`}>
              {labels.get(edge.from) ?? edge.from} <em>{edge.relation}</em> {labels.get(edge.to) ?? edge.to}
            </li>
          ))}
        </ul>
      </details>
    </>
  );
}

function NodeCard({ node, focused }: { node: LineageNode; focused: boolean }) {
  const page = nodePage(node);
  // the focused node's lineage is this page
  const around = focused ? undefined : nodeLineage(node);
  const detail = nodeDetail(node);
  return (
    <>
      <span className="kind">
        {KIND_TITLES[node.kind]}
        {around !== undefined && (
          <>
            {' · '}
            <Link to={around}>
              <span className="visually-hidden">{node.label}: </span>lineage
            </Link>
          </>
        )}
      </span>
      <span className="label" title={node.label}>
        {page === undefined ? node.label : <Link to={page}>{node.label}</Link>}
      </span>
      <span className="detail" title={detail}>
        {detail}
      </span>
    </>
  );
}
