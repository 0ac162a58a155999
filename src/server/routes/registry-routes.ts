/**
 * The model-registry routes of the REST API: registered models, their versions (each with its
 * training run's metrics), aliases and alias history, promote and rollback (scope `promote`,
 * recorded as by `api:<token name>`), and "why" a version was (not) promoted. Lists page with
 * cursors like the data routes: `{ results, hasMore, nextOffset }`, the next page with
 * `after=<nextOffset>` (`limit` ≤ 1000). Without a registry every route answers 503 saying how to
 * give one.
 *
 * Routes: `GET /api/models`, `GET /api/models/:name`, `GET /api/models/:name/versions`,
 * `GET /api/models/:name/versions/:version`, `GET /api/models/:name/versions/:version/why`,
 * `GET /api/models/:name/history`, `GET /api/models/:name/aliases/:alias/history`,
 * `POST /api/models/:name/aliases/:alias`, `POST /api/models/:name/aliases/:alias/rollback`.
 *
 * @example
 * ```ts
 * registerRegistryRoutes(api, { defs, instance, registry, tracking });
 * await app.request('/api/models/flight-delays/aliases/champion', {
 *   method: 'POST', body: JSON.stringify({ version: '3', reason: 'AUC 0.791' }),
 * });
 * ```
 */
import { z } from 'zod';
import { rollbackAlias } from '../../tracking/alias-rollback.js';
import type { ModelRegistry } from '../../tracking/model-registry.js';
import type { AliasMove, ModelVersion, RegisteredModel } from '../../tracking/tracking-types.js';
import type { Page } from '../../versioning/data-repository.js';
import { required } from '../api-context.js';
import type { ApiContext } from '../api-context.js';
import { listPage, MAX_PAGE_SIZE, querySchema, wholeNumberParam } from '../api-input.js';
import { pathParam } from '../api-router.js';
import type { ApiRouter } from '../api-router.js';
import type { ApiCaller } from '../api-tokens.js';
import { LineageRecords } from '../lineage/lineage-records.js';
import { explainVersion } from '../lineage/promotion-why.js';

const DEFAULT_PAGE = 100;

const limit = wholeNumberParam(1, MAX_PAGE_SIZE);
const versionNumber = z.string().regex(/^\d{1,15}$/, { error: 'must be a version number, e.g. 3' });
const modelsQuery = querySchema({
  nameContains: z.string().max(1000).optional(),
  after: z.string().max(1000).optional(),
  limit: limit.optional(),
});
const versionsQuery = querySchema({ after: versionNumber.optional(), limit: limit.optional() });
const historyQuery = querySchema({ limit: limit.optional() });
const whyQuery = querySchema({ alias: z.string().min(1).max(250).optional() });

const reasonSchema = z
  .string({ error: 'give a reason (a string): it is recorded in the alias history' })
  .trim()
  .min(1, { error: 'cannot be empty: say why the alias moves (it is recorded in the alias history)' })
  .max(5000, { error: 'at most 5000 characters' });
const promoteBody = z.strictObject(
  { version: versionNumber, reason: reasonSchema },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? 'a promotion takes "version" and "reason"' : undefined,
  },
);
const rollbackBody = z.strictObject(
  { reason: reasonSchema.optional(), toVersion: versionNumber.optional() },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? 'a rollback takes "reason" and "toVersion" (both optional)'
        : undefined,
  },
);

/** Who moves an alias through the API. */
export function apiMover(caller: ApiCaller): string {
  return `api:${caller.name}`;
}

/** One page of `items` (already in list order) after the item whose cursor is `after`. */
function page<T>(items: readonly T[], cursorOf: (item: T) => string, amount: number): Page<T> {
  const results = items.slice(0, amount);
  const last = results.at(-1);
  return listPage(results, items.length > amount && last !== undefined ? cursorOf(last) : undefined);
}

/** An alias move as the API shows it (`from`/`to`/`when` besides the stored names). */
function moveView(move: AliasMove) {
  return {
    alias: move.alias,
    from: move.fromVersion ?? null,
    to: move.toVersion ?? null,
    when: new Date(move.timestamp).toISOString(),
    timestamp: move.timestamp,
    by: move.by,
    reason: move.reason,
  };
}

/** Adds the model-registry routes. */
export function registerRegistryRoutes(api: ApiRouter, context: ApiContext): void {
  const registry = (): ModelRegistry => required(context.registry, 'model registry', 'registry');
  const tag = 'models';
  const base = '/api/models';

  const versionWithRun = async (records: LineageRecords, version: ModelVersion) => {
    const run = await records.trainingRun(version.runId);
    return {
      ...version,
      metrics: run?.metrics ?? null,
      params: run?.params ?? null,
      trainingRun:
        run === undefined
          ? null
          : { runId: run.info.runId, status: run.info.status, runName: run.info.runName },
    };
  };
  const recordsOf = () =>
    new LineageRecords({
      defs: context.defs,
      instance: context.instance,
      registry: registry(),
      tracking: context.tracking,
      data: context.data,
    });

  api.route(
    {
      method: 'GET',
      path: base,
      scope: 'read',
      tag,
      summary: 'Registered models by name (nameContains=, after=<name>, limit=)',
      query: modelsQuery,
    },
    async (c, { query }) => {
      const amount = query.limit ?? DEFAULT_PAGE;
      // One more than the page, read after the cursor: whether there is a next page.
      const models = await registry().searchRegisteredModels({
        ...(query.nameContains === undefined ? {} : { nameContains: query.nameContains }),
        ...(query.after === undefined ? {} : { after: query.after }),
        maxResults: amount + 1,
      });
      // By code points, so that `after` and the order agree whatever the backend sorts by.
      const sorted = models
        .filter((m) => query.after === undefined || m.name > query.after)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return c.json(page<RegisteredModel>(sorted, (m) => m.name, amount));
    },
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:name`,
      scope: 'read',
      tag,
      summary: 'A registered model with its aliases',
    },
    async (c) => c.json({ model: await registry().getRegisteredModel(pathParam(c, 'name')) }),
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:name/versions`,
      scope: 'read',
      tag,
      summary: "Versions, newest first, each with its training run's metrics (after=<version>, limit=)",
      query: versionsQuery,
    },
    async (c, { query }) => {
      const name = pathParam(c, 'name');
      await registry().getRegisteredModel(name); // NOT_FOUND for an unknown model, not an empty list
      const amount = query.limit ?? DEFAULT_PAGE;
      // Both backends filter below the cursor and order newest first.
      const versions = await registry().searchModelVersions({
        name,
        ...(query.after === undefined ? {} : { belowVersion: query.after }),
        maxResults: amount + 1,
      });
      const one = page(versions, (v) => v.version, amount);
      const records = recordsOf();
      const results = await Promise.all(one.results.map((v) => versionWithRun(records, v)));
      return c.json({ ...one, results });
    },
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:name/versions/:version`,
      scope: 'read',
      tag,
      summary: "A version with its training run's metrics and params",
    },
    async (c) => {
      const version = await registry().getModelVersion(pathParam(c, 'name'), pathParam(c, 'version'));
      return c.json({ version: await versionWithRun(recordsOf(), version) });
    },
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:name/versions/:version/why`,
      scope: 'read',
      tag,
      summary:
        'Why a version was (not) promoted: data diff, code, params and metrics against the champion it was judged against, and the checks that decided',
      query: whyQuery,
    },
    async (c, { query }) => {
      const records = recordsOf();
      const why = await explainVersion(records.sources, {
        name: pathParam(c, 'name'),
        version: pathParam(c, 'version'),
        ...(query.alias === undefined ? {} : { alias: query.alias }),
      });
      return c.json(why);
    },
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:name/history`,
      scope: 'read',
      tag,
      summary: 'Every move of the model’s aliases, newest first (from, to, when, by, reason)',
      query: historyQuery,
    },
    async (c, { query }) => {
      const name = pathParam(c, 'name');
      const moves = await registry().aliasHistory(name, { maxResults: query.limit ?? DEFAULT_PAGE });
      return c.json({ name, moves: moves.map(moveView) });
    },
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:name/aliases/:alias/history`,
      scope: 'read',
      tag,
      summary: 'The moves of one alias, newest first (from, to, when, by, reason)',
      query: historyQuery,
    },
    async (c, { query }) => {
      const name = pathParam(c, 'name');
      const alias = pathParam(c, 'alias');
      const moves = await registry().aliasHistory(name, { alias, maxResults: query.limit ?? DEFAULT_PAGE });
      return c.json({ name, alias, moves: moves.map(moveView) });
    },
  );
  api.route(
    {
      method: 'POST',
      path: `${base}/:name/aliases/:alias`,
      scope: 'promote',
      tag,
      summary: 'Promote: point the alias at a version, with a reason (recorded with the caller)',
      body: promoteBody,
      bodyName: 'promotion',
    },
    async (c, { body, caller }) => {
      const name = pathParam(c, 'name');
      const alias = pathParam(c, 'alias');
      const models = registry();
      const before = (await models.getRegisteredModel(name)).aliases[alias];
      // Idempotent: the registry records nothing when the alias already points there.
      await models.setAlias({
        name,
        alias,
        version: body.version,
        reason: body.reason,
        by: apiMover(caller),
      });
      const moved = before !== body.version;
      const [move] = moved ? await models.aliasHistory(name, { alias, maxResults: 1 }) : [];
      return c.json({
        name,
        alias,
        from: before ?? null,
        to: body.version,
        moved,
        move: move === undefined ? null : moveView(move),
      });
    },
  );
  api.route(
    {
      method: 'POST',
      path: `${base}/:name/aliases/:alias/rollback`,
      scope: 'promote',
      tag,
      summary:
        'Roll back: move the alias to the version it pointed at before its last move (or toVersion, a former one)',
      body: rollbackBody,
      bodyName: 'rollback',
    },
    async (c, { body, caller }) => {
      const result = await rollbackAlias({
        registry: registry(),
        name: pathParam(c, 'name'),
        alias: pathParam(c, 'alias'),
        by: apiMover(caller),
        ...(body.reason === undefined ? {} : { reason: body.reason }),
        ...(body.toVersion === undefined ? {} : { toVersion: body.toVersion }),
      });
      return c.json({
        name: result.name,
        alias: result.alias,
        from: result.fromVersion ?? null,
        to: result.toVersion,
        reason: result.reason,
        by: result.by,
        undid: moveView(result.undid),
      });
    },
  );
}
