/**
 * Re-executing a run from the API (the run page's buttons): `fromFailure: true` queues a new run
 * of the steps that did not succeed, reading the values the parent stored (as
 * `lakeloop runs reexecute --from-failure`); `fromFailure: false` queues the whole run again
 * (same job or selection, partition and config). Both are QUEUED for the daemon and point at their
 * parent (`parentRunId` and the `lakeloop/parent_run_id` tag).
 *
 * @example
 * ```ts
 * registerRunReexecuteRoutes(api, context);
 * await app.request(`/api/runs/${runId}/reexecute`, { method: 'POST', body: '{"fromFailure":true}' });
 * ```
 */
import { z } from 'zod';
import { LakeloopError } from '../../errors.js';
import { FINISHED_RUN_STATUSES } from '../../core/events/event-types.js';
import type { RunRecord } from '../../core/events/event-types.js';
import type { Definitions } from '../../core/definitions/definitions.js';
import type { Instance } from '../../core/instance/instance.js';
import { createReexecution, createRun } from '../../core/execution/run-launcher.js';
import {
  EXECUTION_TAG_PREFIXES,
  PARENT_RUN_TAG,
  RETRY_NUMBER_TAG,
  ROOT_RUN_TAG,
} from '../../core/execution/reexecution-plan.js';
import type { ApiContext } from '../api-context.js';
import { runIdParam } from '../api-input.js';
import type { ApiRouter } from '../api-router.js';

/** `POST /api/runs/:id/reexecute`. */
export const reexecuteSchema = z.strictObject(
  { fromFailure: z.boolean({ error: 'must be true or false' }) },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? 'a re-execution request takes only "fromFailure" (true: the failed steps; false: all steps)'
        : undefined,
  },
);

/** Queues the whole of `parent` again: its job (or selection), partition, config and intent tags. */
async function queueFullReexecution(defs: Definitions, instance: Instance, parent: RunRecord) {
  const inherited = Object.entries(parent.tags).filter(
    ([key]) => !EXECUTION_TAG_PREFIXES.some((prefix) => key.startsWith(prefix)),
  );
  const isJob = defs.jobs.some((job) => job.name === parent.jobName);
  return createRun(defs, {
    instance,
    status: 'QUEUED',
    parentRunId: parent.runId,
    tags: {
      ...Object.fromEntries(inherited),
      [PARENT_RUN_TAG]: parent.runId,
      [ROOT_RUN_TAG]: parent.tags[ROOT_RUN_TAG] ?? parent.runId,
      [RETRY_NUMBER_TAG]: String(Number(parent.tags[RETRY_NUMBER_TAG] ?? '0') + 1),
    },
    ...(isJob ? { jobName: parent.jobName } : { select: parent.selection }),
    ...(parent.partition === undefined ? {} : { partition: parent.partition }),
    ...(parent.config === undefined ? {} : { config: parent.config }),
  });
}

/** Adds `POST /api/runs/:id/reexecute`. */
export function registerRunReexecuteRoutes(api: ApiRouter, { defs, instance, daemon }: ApiContext): void {
  api.route(
    {
      method: 'POST',
      path: '/api/runs/:id/reexecute',
      scope: 'trigger',
      tag: 'runs',
      summary: 'Re-execute a finished run: all its steps, or (fromFailure) only those that did not succeed',
      body: reexecuteSchema,
      bodyName: 're-execution request',
    },
    async (c, { body }) => {
      const runId = runIdParam(c);
      const parent = await instance.runs.getRun(runId);
      if (parent === undefined)
        throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with GET /api/runs.`);
      if (body.fromFailure && parent.status !== 'FAILURE' && parent.status !== 'CANCELED') {
        throw new LakeloopError(
          'PRECONDITION_FAILED',
          `Run ${runId} is ${parent.status}; only a FAILURE or CANCELED run can be re-executed from failure.`,
          { details: { runId, status: parent.status } },
        );
      }
      if (!body.fromFailure && !FINISHED_RUN_STATUSES.includes(parent.status)) {
        throw new LakeloopError(
          'PRECONDITION_FAILED',
          `Run ${runId} is ${parent.status}; wait until it ends (or cancel it) to re-execute it.`,
          { details: { runId, status: parent.status } },
        );
      }
      const run = body.fromFailure
        ? await createReexecution({ instance, defs, parent, status: 'QUEUED' })
        : await queueFullReexecution(defs, instance, parent);
      if (daemon !== undefined) void daemon.queue.tick().catch(() => undefined);
      return c.json({ run }, 201);
    },
  );
}
