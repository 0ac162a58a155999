/**
 * `GET /api/lineage`: the lineage graph (nodes and edges, see src/server/lineage/lineage.ts) around
 * a model version (`?modelVersion=NAME/3`), a pipeline run (`?run=<id>`) or a data commit
 * (`?commit=<id>&repository=<repo>`). Exactly one of them; needs the model registry (503 without),
 * and shows training runs when the server has the tracking store.
 *
 * @example
 * ```ts
 * registerLineageRoutes(api, context);
 * await app.request('/api/lineage?modelVersion=flight-delays/3');
 * ```
 */
import { z } from 'zod';
import { LakeloopError } from '../../errors.js';
import { parseModelRef } from '../../tracking/model-registry.js';
import { required } from '../api-context.js';
import type { ApiContext } from '../api-context.js';
import { querySchema, runIdSchema } from '../api-input.js';
import type { ApiRouter } from '../api-router.js';
import { lineageGraph } from '../lineage/lineage.js';
import type { LineageSeed } from '../lineage/lineage.js';

const lineageQuery = querySchema({
  modelVersion: z
    .string()
    .max(1200)
    .regex(/^.+\/\d{1,15}$/, { error: 'use NAME/VERSION, e.g. flight-delays/3' })
    .optional(),
  run: runIdSchema.optional(),
  commit: z.string().min(1).max(200).optional(),
  repository: z.string().min(1).max(1000).optional(),
});

/** Adds the lineage route. */
export function registerLineageRoutes(api: ApiRouter, context: ApiContext): void {
  api.route(
    {
      method: 'GET',
      path: '/api/lineage',
      scope: 'read',
      tag: 'lineage',
      summary:
        'Lineage graph (nodes, edges) around modelVersion=NAME/3, run=<id> or commit=<id>&repository=: commit → tick → run → training run → version → gate → alias moves',
      query: lineageQuery,
    },
    async (c, { query }) => {
      const given = [query.modelVersion, query.run, query.commit].filter((q) => q !== undefined).length;
      if (given !== 1 || (query.repository !== undefined && query.commit === undefined)) {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          'Give exactly one of modelVersion=NAME/VERSION, run=<pipeline run id> or commit=<data commit id> (repository= goes with commit).',
        );
      }
      let seed: LineageSeed;
      if (query.modelVersion !== undefined) {
        const ref = parseModelRef(query.modelVersion);
        if (ref.version === undefined)
          throw new LakeloopError('INVALID_ARGUMENT', 'modelVersion takes NAME/VERSION.');
        seed = { modelVersion: { name: ref.name, version: ref.version } };
      } else if (query.run !== undefined) {
        seed = { run: query.run };
      } else {
        seed = {
          commit: {
            commitId: query.commit as string,
            ...(query.repository === undefined ? {} : { repository: query.repository }),
          },
        };
      }
      const graph = await lineageGraph(
        {
          defs: context.defs,
          instance: context.instance,
          registry: required(context.registry, 'model registry', 'registry'),
          tracking: context.tracking,
          data: context.data,
        },
        seed,
      );
      return c.json(graph);
    },
  );
}
