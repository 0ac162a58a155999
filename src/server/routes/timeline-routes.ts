/**
 * `GET /api/timeline?limit=50`: the loop's newest data commits, ticks (not skipped), runs and model
 * versions in one list, newest first (src/server/timeline.ts); Home draws it and keeps it live with
 * `GET /api/stream`.
 *
 * @example
 * ```ts
 * registerTimelineRoutes(api, context);
 * const { items } = await (await app.request('/api/timeline?limit=20')).json();
 * ```
 */
import type { ApiContext } from '../api-context.js';
import { querySchema, wholeNumberParam } from '../api-input.js';
import type { ApiRouter } from '../api-router.js';
import { loopTimeline } from '../timeline.js';

/** Most items one timeline answer holds. */
const MAX_TIMELINE_ITEMS = 200;

const timelineQuery = querySchema({ limit: wholeNumberParam(1, MAX_TIMELINE_ITEMS).optional() });

/** Adds the timeline route. */
export function registerTimelineRoutes(api: ApiRouter, context: ApiContext): void {
  api.route(
    {
      method: 'GET',
      path: '/api/timeline',
      scope: 'read',
      tag: 'runs',
      summary:
        'The newest data commits, ticks (not skipped), runs and model versions in one list, newest first',
      query: timelineQuery,
    },
    async (c, { query }) => c.json({ items: await loopTimeline(context, query.limit ?? 50) }),
  );
}
