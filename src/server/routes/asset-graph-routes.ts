/**
 * The asset graph laid out for the UI: `GET /api/assets/graph[?select=<asset selection>]` gives
 * each asset's box (dagre, left to right) with its status, and the dependency edges. The layout
 * is cached by the structure's hash (asset-graph-layout.ts); only the statuses are read per call.
 *
 * @example
 * ```ts
 * registerAssetGraphRoutes(api, context);
 * await app.request('/api/assets/graph?select=train_model%2B');
 * ```
 */
import { z } from 'zod';
import { assetStatuses, describeStaleReason } from '../../core/execution/asset-status.js';
import type { AssetStatus, AssetStatusValue } from '../../core/execution/asset-status.js';
import { AssetGraphLayoutCache, structureOf } from '../asset-graph-layout.js';
import type { ApiContext } from '../api-context.js';
import { MAX_NAME_LENGTH, querySchema } from '../api-input.js';
import type { ApiRouter } from '../api-router.js';

const graphQuery = querySchema({
  select: z
    .string()
    .min(1, { error: 'cannot be empty; leave it out for the whole graph' })
    .max(MAX_NAME_LENGTH, { error: `longer than ${MAX_NAME_LENGTH} characters` })
    .optional(),
});

// Enough for a tooltip; the whole list is on GET /api/assets.
const MAX_REASONS = 10;

/** The status of one asset's node: of the asset, or summed over its partitions. */
interface NodeStatus {
  status: AssetStatusValue;
  reasons: string[];
  partitions?: Record<AssetStatusValue, number>;
}

/** FRESH when every partition is, MISSING when none was materialized, STALE otherwise. */
function nodeStatus(statuses: readonly AssetStatus[], partitioned: boolean): NodeStatus {
  const reasons = [...new Set(statuses.flatMap((s) => s.reasons.map(describeStaleReason)))].slice(
    0,
    MAX_REASONS,
  );
  const counts: Record<AssetStatusValue, number> = { FRESH: 0, STALE: 0, MISSING: 0 };
  for (const s of statuses) counts[s.status]++;
  const status: AssetStatusValue =
    counts.MISSING === statuses.length ? 'MISSING' : counts.FRESH === statuses.length ? 'FRESH' : 'STALE';
  return partitioned ? { status, reasons, partitions: counts } : { status, reasons };
}

/** Adds `GET /api/assets/graph`. */
export function registerAssetGraphRoutes(
  api: ApiRouter,
  { defs, instance, assetGraphLayouts }: ApiContext,
): void {
  const layouts = assetGraphLayouts ?? new AssetGraphLayoutCache();
  api.route(
    {
      method: 'GET',
      path: '/api/assets/graph',
      scope: 'read',
      tag: 'assets',
      summary: 'The asset graph laid out left to right (boxes, edges, statuses); ?select= for a sub-graph',
      query: graphQuery,
    },
    async (c, { query }) => {
      // The selection parser throws INVALID_ARGUMENT (400) naming the known assets or groups.
      const keys = query.select === undefined ? defs.graph.keys : defs.select(query.select);
      const { layout, cached } = await layouts.layout(structureOf(defs.graph, keys));
      const statuses = await assetStatuses(defs, instance, { keys });
      const byKey = new Map<string, AssetStatus[]>();
      for (const s of statuses) {
        const list = byKey.get(s.assetKey);
        if (list === undefined) byKey.set(s.assetKey, [s]);
        else list.push(s);
      }
      const nodes = layout.nodes.map((node) => ({
        ...node,
        ...nodeStatus(byKey.get(node.key) ?? [], defs.asset(node.key).partitions !== undefined),
      }));
      return c.json({
        hash: layout.hash,
        cached,
        width: layout.width,
        height: layout.height,
        nodes,
        edges: layout.edges,
        groups: layout.groups,
      });
    },
  );
}
