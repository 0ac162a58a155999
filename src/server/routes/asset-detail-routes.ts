/**
 * One asset for the UI's asset page: `GET /api/assets/:key` (definition, upstream and downstream,
 * checks, status summed over partitions), `…/materializations` (newest first, paged by event id),
 * `…/partitions` (status per partition, paged by partition key order) and `…/checks` (check
 * evaluations, newest first, paged by event id). Keys are URL-encoded (`a%2Fb`).
 *
 * @example
 * ```ts
 * registerAssetDetailRoutes(api, context);
 * await app.request('/api/assets/train_model/materializations?limit=20');
 * ```
 */
import { z } from 'zod';
import { LakeloopError } from '../../errors.js';
import { assetStatuses, describeStaleReason } from '../../core/execution/asset-status.js';
import type { StoredEvent } from '../../core/events/event-types.js';
import type { ApiContext } from '../api-context.js';
import { listPage, pageLimitParam, querySchema } from '../api-input.js';
import type { ApiRouter } from '../api-router.js';
import { pathParam } from '../api-router.js';

const DEFAULT_PAGE = 50;

const eventPageQuery = querySchema({
  after: z
    .string()
    .regex(/^\d{1,15}$/, { error: 'use the nextOffset of the previous page' })
    .optional(),
  limit: pageLimitParam.optional(),
});
const partitionPageQuery = querySchema({
  after: z.string().max(1000).optional(),
  limit: pageLimitParam.optional(),
});

/** A materialization as the asset page shows it. */
function materializationOf(event: StoredEvent) {
  const m = event.materialization;
  return {
    eventId: event.id,
    runId: event.runId,
    timestamp: event.timestamp,
    partition: m?.partition ?? null,
    dataVersion: m?.dataVersion ?? null,
    codeVersion: m?.codeVersion ?? null,
    metadata: m?.metadata ?? {},
  };
}

/** A check evaluation as the asset page shows it. */
function evaluationOf(event: StoredEvent) {
  const e = event.checkEvaluation;
  return {
    eventId: event.id,
    runId: event.runId,
    timestamp: event.timestamp,
    checkName: e?.checkName ?? '',
    partition: e?.partition ?? null,
    passed: e?.passed ?? false,
    severity: e?.severity ?? 'ERROR',
    blocking: e?.blocking ?? false,
    metadata: e?.metadata ?? {},
  };
}

/** Adds the asset detail routes. */
export function registerAssetDetailRoutes(api: ApiRouter, { defs, instance }: ApiContext): void {
  const tag = 'assets';
  const assetKey = (key: string): string => {
    if (!defs.graph.keys.includes(key)) {
      throw new LakeloopError('NOT_FOUND', `No asset "${key}"; GET /api/assets lists the assets.`);
    }
    return key;
  };
  /** One page of an asset's events of `type`, newest first, below the event id `after`. */
  const eventPage = async (
    key: string,
    type: StoredEvent['type'],
    after: string | undefined,
    limit: number,
  ) => {
    const events = await instance.events.getEvents({
      assetKey: key,
      types: [type],
      order: 'NEWEST_FIRST',
      limit: limit + 1,
      ...(after === undefined ? {} : { beforeId: Number(after) }),
    });
    const page = events.slice(0, limit);
    return { page, next: events.length > limit ? String(page.at(-1)?.id ?? '') : undefined };
  };

  api.route(
    {
      method: 'GET',
      path: '/api/assets/:key',
      scope: 'read',
      tag,
      summary: 'One asset: definition, up- and downstream, checks, status',
    },
    async (c) => {
      const key = assetKey(pathParam(c, 'key'));
      const asset = defs.asset(key);
      const statuses = await assetStatuses(defs, instance, { keys: [key] });
      const counts = { FRESH: 0, STALE: 0, MISSING: 0 };
      for (const s of statuses) counts[s.status]++;
      const whole = statuses.length === 1 && statuses[0]?.partition === undefined ? statuses[0] : undefined;
      return c.json({
        asset: {
          key,
          group: asset.group,
          description: asset.description ?? null,
          deps: asset.deps,
          dependents: defs.graph.downstream(key),
          codeVersion: asset.codeVersion ?? null,
          partitioned: asset.partitions !== undefined,
          checks: defs.checksFor(key).map((check) => ({ name: check.name, blocking: check.blocking })),
        },
        status:
          whole === undefined
            ? { partitions: counts }
            : {
                status: whole.status,
                reasons: whole.reasons.map(describeStaleReason),
                lastMaterialization: whole.lastMaterialization ?? null,
              },
      });
    },
  );

  api.route(
    {
      method: 'GET',
      path: '/api/assets/:key/materializations',
      scope: 'read',
      tag,
      summary: "An asset's materializations, newest first (after=<nextOffset>&limit=)",
      query: eventPageQuery,
    },
    async (c, { query }) => {
      const key = assetKey(pathParam(c, 'key'));
      const { page, next } = await eventPage(
        key,
        'ASSET_MATERIALIZATION',
        query.after,
        query.limit ?? DEFAULT_PAGE,
      );
      return c.json(listPage(page.map(materializationOf), next));
    },
  );

  api.route(
    {
      method: 'GET',
      path: '/api/assets/:key/checks',
      scope: 'read',
      tag,
      summary: "An asset's check evaluations, newest first (after=<nextOffset>&limit=)",
      query: eventPageQuery,
    },
    async (c, { query }) => {
      const key = assetKey(pathParam(c, 'key'));
      const { page, next } = await eventPage(
        key,
        'ASSET_CHECK_EVALUATION',
        query.after,
        query.limit ?? DEFAULT_PAGE,
      );
      return c.json(listPage(page.map(evaluationOf), next));
    },
  );

  api.route(
    {
      method: 'GET',
      path: '/api/assets/:key/partitions',
      scope: 'read',
      tag,
      summary: "A partitioned asset's partitions with their status, in key order (after=<partition>&limit=)",
      query: partitionPageQuery,
    },
    async (c, { query }) => {
      const key = assetKey(pathParam(c, 'key'));
      if (defs.asset(key).partitions === undefined) {
        throw new LakeloopError('PRECONDITION_FAILED', `Asset "${key}" is not partitioned.`);
      }
      const limit = query.limit ?? DEFAULT_PAGE;
      const all = (await assetStatuses(defs, instance, { keys: [key] }))
        .filter(
          (s) =>
            s.partition !== undefined && (query.after === undefined || (s.partition ?? '') > query.after),
        )
        .sort((a, b) => ((a.partition ?? '') < (b.partition ?? '') ? -1 : 1));
      const page = all.slice(0, limit).map((s) => ({
        partition: s.partition ?? '',
        status: s.status,
        reasons: s.reasons.map(describeStaleReason),
        lastMaterialization: s.lastMaterialization ?? null,
      }));
      return c.json(listPage(page, all.length > limit ? page.at(-1)?.partition : undefined));
    },
  );
}
