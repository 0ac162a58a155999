/**
 * Pipeline runs and assets: launch (queued for the daemon), list, detail with step summaries,
 * the event log of a run, cancel; the asset graph with each asset's latest status.
 *
 * @example
 * ```ts
 * registerRunRoutes(api, context);
 * await app.request('/api/runs', { method: 'POST', body: JSON.stringify({ job: 'retrain' }) });
 * ```
 */
import { z } from 'zod';
import { LakeloopError } from '../../errors.js';
import { assetStatuses } from '../../core/execution/asset-status.js';
import { cancelRun, createRun } from '../../core/execution/run-launcher.js';
import { STEP_SUMMARY_TYPES, summarizeSteps } from '../../core/execution/run-summary.js';
import { PRIORITY_TAG } from '../../core/daemon/run-queue.js';
import { DATA_COMMIT_TAG } from '../../core/definitions/data-commit.js';
import type { ApiContext } from '../api-context.js';
import {
  eventsQuery,
  launchSchema,
  listRunsQuery,
  MAX_NAME_LENGTH,
  querySchema,
  runIdParam,
} from '../api-input.js';
import type { ApiRouter } from '../api-router.js';

const assetsQuery = querySchema({
  select: z
    .string()
    .min(1, { error: 'cannot be empty; leave it out for every asset' })
    .max(MAX_NAME_LENGTH)
    .optional(),
});

/** Adds the run and asset routes. */
export function registerRunRoutes(api: ApiRouter, { defs, instance, daemon }: ApiContext): void {
  const tag = 'runs';
  api.route(
    {
      method: 'POST',
      path: '/api/runs',
      scope: 'trigger',
      tag,
      summary: 'Launch a run of a job or an asset selection (queued; the daemon starts it)',
      body: launchSchema,
      bodyName: 'run launch request',
    },
    async (c, { body, caller }) => {
      const tags = { ...(body.tags ?? {}) };
      if (body.priority !== undefined) tags[PRIORITY_TAG] = String(body.priority);
      const run = await createRun(defs, {
        instance,
        status: 'QUEUED',
        tags: {
          ...tags,
          'lakeloop/launched_by': 'api',
          ...(caller.authenticated ? { 'lakeloop/launched_by_token': caller.name } : {}),
        },
        ...(body.job === undefined ? {} : { jobName: body.job }),
        ...(body.select === undefined ? {} : { select: body.select }),
        ...(body.partition === undefined ? {} : { partition: body.partition }),
        ...(body.config === undefined ? {} : { config: body.config }),
      });
      if (daemon !== undefined) void daemon.queue.tick().catch(() => undefined);
      return c.json({ run }, 201);
    },
  );

  api.route(
    {
      method: 'GET',
      path: '/api/runs',
      scope: 'read',
      tag,
      summary:
        'List runs, newest first (filter by status, job, tag, data commit; page with after=<nextOffset>)',
      query: listRunsQuery,
    },
    async (c, { query }) => {
      const tags =
        query.tag === undefined && query.commit === undefined
          ? undefined
          : {
              ...(query.tag === undefined ? {} : { [query.tag.key]: query.tag.value }),
              ...(query.commit === undefined ? {} : { [DATA_COMMIT_TAG]: query.commit }),
            };
      const limit = query.limit ?? 50;
      const after = query.after ?? query.before;
      // One more than asked, to know whether another page follows.
      const found = await instance.runs.listRuns({
        ...(query.status === undefined ? {} : { statuses: query.status }),
        ...(query.job === undefined ? {} : { jobName: query.job }),
        ...(tags === undefined ? {} : { tags }),
        ...(after === undefined ? {} : { beforeRunId: after }),
        limit: limit + 1,
      });
      const runs = found.slice(0, limit);
      const hasMore = found.length > limit;
      return c.json({ runs, hasMore, nextOffset: hasMore ? (runs.at(-1)?.runId ?? '') : '' });
    },
  );

  const runOr404 = async (runId: string) => {
    const run = await instance.runs.getRun(runId);
    if (run === undefined)
      throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with GET /api/runs.`);
    return run;
  };

  api.route(
    { method: 'GET', path: '/api/runs/:id', scope: 'read', tag, summary: 'A run with its steps' },
    async (c) => {
      const run = await runOr404(runIdParam(c));
      // Only what the step summary reads: a run's logs can be 100k events.
      const events = await instance.events.getEvents({ runId: run.runId, types: STEP_SUMMARY_TYPES });
      return c.json({ run, steps: summarizeSteps(run, events) });
    },
  );

  api.route(
    {
      method: 'GET',
      path: '/api/runs/:id/events',
      scope: 'read',
      tag,
      summary: "A run's event log, oldest first (page with after=<nextOffset>)",
      query: eventsQuery,
    },
    async (c, { query }) => {
      const run = await runOr404(runIdParam(c));
      const limit = query.limit ?? 1000;
      const found = await instance.events.getEvents({
        runId: run.runId,
        ...(query.after === undefined ? {} : { afterId: query.after }),
        ...(query.type === undefined ? {} : { types: query.type }),
        ...(query.step === undefined ? {} : { assetKey: query.step }),
        limit: limit + 1,
      });
      const events = found.slice(0, limit);
      const hasMore = found.length > limit;
      return c.json({ events, hasMore, nextOffset: hasMore ? String(events.at(-1)?.id ?? '') : '' });
    },
  );

  api.route(
    {
      method: 'POST',
      path: '/api/runs/:id/cancel',
      scope: 'trigger',
      tag,
      summary: 'Cancel a queued or running run',
    },
    async (c) => c.json({ run: await cancelRun(instance, runIdParam(c)) }),
  );

  api.route(
    {
      method: 'GET',
      path: '/api/assets',
      scope: 'read',
      tag: 'assets',
      summary:
        'The asset graph: each asset with its deps, checks, code version and latest status (?select= keeps a selection)',
      query: assetsQuery,
    },
    async (c, { query }) => {
      // The selection parser throws INVALID_ARGUMENT (400) naming the known assets or groups.
      const keys = query.select === undefined ? defs.graph.keys : defs.select(query.select);
      const statuses = await assetStatuses(defs, instance, { keys });
      const assets = keys.map((key) => {
        const asset = defs.asset(key);
        return {
          key,
          group: asset.group,
          description: asset.description ?? null,
          deps: asset.deps,
          partitioned: asset.partitions !== undefined,
          codeVersion: asset.codeVersion ?? null,
          checks: defs.checksFor(key).map((check) => check.name),
          statuses: statuses.filter((s) => s.assetKey === key),
        };
      });
      return c.json({ assets });
    },
  );
}
