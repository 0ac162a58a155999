/**
 * Launching runs: `createRun` (validate the selection and partition, store the run as
 * NOT_STARTED or QUEUED), `executeRun` (see run-execution.ts), `materialize` (both at once),
 * `cancelRun`, and `reexecuteFromFailure` (a new run of the failed and skipped steps that reads
 * the parent run's stored upstream outputs).
 *
 * @example
 * ```ts
 * const run = await materialize(defs, { select: 'train_model+', partition: '2001-03', instance });
 * if (run.status === 'FAILURE') await reexecuteFromFailure({ defs, runId: run.runId, instance });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { EventRecord, RunRecord } from '../events/event-types.js';
import { FINISHED_RUN_STATUSES } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import { assertPartitionKey } from '../definitions/partitions-definition.js';
import type { Instance } from '../instance/instance.js';
import type { Executor } from './executor.js';
import { executeRun } from './run-execution.js';
import { endRun, runOwnerState } from './dead-run-recovery.js';
import { planReexecution } from './reexecution-plan.js';

/** The job name of runs launched from a selection rather than a job. */
export const ASSET_SELECTION_JOB = '__asset_selection__';

/** Options of {@link createRun}. Give `select` or `jobName`. */
export interface CreateRunOptions {
  instance: Instance;
  /** An asset selection string (see AssetSelection). */
  select?: string;
  /** A job of the Definitions (its selection and tags). */
  jobName?: string;
  /** Required when a selected asset is partitioned. */
  partition?: string;
  /** Run tags (added to the job's). Default none. */
  tags?: Record<string, string>;
  /** Default NOT_STARTED; QUEUED for the run queue. */
  status?: 'QUEUED' | 'NOT_STARTED';
  /** The run this one re-executes. Default none. */
  parentRunId?: string;
  /** Exact asset keys to run (overrides the selection's; used by re-execution). */
  assetKeys?: readonly string[];
  /** The run id to use (e.g. one claimed with a sensor's run key beforehand). Default: a new id from the instance. */
  runId?: string;
}

/** Validates and stores a new run; returns its record. */
export async function createRun(defs: Definitions, options: CreateRunOptions): Promise<RunRecord> {
  const { instance } = options;
  if ((options.select === undefined) === (options.jobName === undefined) && options.assetKeys === undefined) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'Pass exactly one of `select` (an asset selection) or `jobName`.',
    );
  }
  const job = options.jobName === undefined ? undefined : defs.job(options.jobName);
  const selection = options.select ?? job?.select ?? (options.assetKeys ?? []).join(',');
  const assetKeys =
    options.assetKeys === undefined ? defs.select(selection) : defs.graph.sort(options.assetKeys);
  assetKeys.forEach((k) => defs.asset(k));
  const partitioned = assetKeys.filter((k) => defs.asset(k).partitions !== undefined);
  const now = instance.clock.now();
  if (options.partition === undefined && partitioned.length > 0) {
    const first = defs.asset(partitioned[0] ?? '');
    const keys = first.partitions?.keys(now) ?? [];
    const shown =
      keys.length <= 12
        ? keys.join(', ')
        : `${keys.slice(0, 3).join(', ')}, ..., ${keys.slice(-3).join(', ')}`;
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Selected assets ${partitioned.join(', ')} are partitioned; pass a partition (one of: ${shown || 'none yet'}).`,
      { details: { assets: partitioned } },
    );
  }
  if (options.partition !== undefined) {
    if (partitioned.length === 0) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Partition "${options.partition}" given, but none of the selected assets (${assetKeys.join(', ')}) is partitioned.`,
      );
    }
    for (const key of partitioned) {
      const partitions = defs.asset(key).partitions;
      if (partitions !== undefined) assertPartitionKey(partitions, options.partition, { assetKey: key, now });
    }
  }
  const run: RunRecord = {
    runId: options.runId ?? instance.ids(),
    jobName: job?.name ?? ASSET_SELECTION_JOB,
    selection,
    assetKeys,
    status: options.status ?? 'NOT_STARTED',
    tags: { ...(job?.tags ?? {}), ...(options.tags ?? {}) },
    createdAt: now,
    updatedAt: now,
  };
  if (options.partition !== undefined) run.partition = options.partition;
  if (options.parentRunId !== undefined) run.parentRunId = options.parentRunId;
  await instance.runs.addRun(run);
  if (run.status === 'QUEUED') {
    await instance.events.appendEvents([
      {
        runId: run.runId,
        type: 'RUN_ENQUEUED',
        timestamp: now,
        message: `Run ${run.runId} queued: ${assetKeys.join(', ')}.`,
      },
    ]);
  }
  return run;
}

/** Options of {@link materialize}. */
export interface MaterializeOptions {
  instance: Instance;
  /** Asset selection, e.g. `'*'`, `'+model'`, `'group:ml'`. */
  select: string;
  /** Required when a selected asset is partitioned. */
  partition?: string;
  /** Default none. */
  tags?: Record<string, string>;
  /** Default: the instance's executor. */
  executor?: Executor;
  /** Live events. Default none. */
  onEvent?: (event: EventRecord) => void;
}

/**
 * Creates and executes a run of the selected assets; returns the final run record (check its
 * `status`: SUCCESS, FAILURE with `error`, or CANCELED). Invalid selections or partitions throw.
 */
export async function materialize(defs: Definitions, options: MaterializeOptions): Promise<RunRecord> {
  const run = await createRun(defs, {
    instance: options.instance,
    select: options.select,
    ...(options.partition === undefined ? {} : { partition: options.partition }),
    ...(options.tags === undefined ? {} : { tags: options.tags }),
  });
  return executeRun({
    defs,
    runId: run.runId,
    instance: options.instance,
    ...(options.executor === undefined ? {} : { executor: options.executor }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
}

/**
 * Requests cancellation: a QUEUED or NOT_STARTED run becomes CANCELED at once; a STARTING or
 * STARTED run becomes CANCELING and its executing process aborts its steps (`ctx.signal`) and
 * marks it CANCELED. Throws CONFLICT when the run already finished.
 */
export async function cancelRun(instance: Instance, runId: string): Promise<RunRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const run = await instance.runs.getRun(runId);
    if (run === undefined)
      throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with \`lakeloop runs list\`.`);
    if (FINISHED_RUN_STATUSES.includes(run.status)) {
      throw new LakeloopError(
        'CONFLICT',
        `Run ${runId} already finished (${run.status}); nothing to cancel.`,
        {
          details: { runId, status: run.status },
        },
      );
    }
    const now = instance.clock.now();
    if (run.status !== 'QUEUED' && run.status !== 'NOT_STARTED') {
      // No live process would ever act on the request: end the run here.
      const state = runOwnerState(instance, run, now);
      if (!state.alive) {
        const ended = await endRun(instance, run, {
          now,
          lost: state.lost,
          reason: state.reason,
          canceled: true,
        });
        if (ended !== undefined) return ended.run;
        continue;
      }
    }
    if (run.status === 'CANCELING') {
      instance.activeRuns.get(runId)?.abort();
      return run;
    }
    const waiting = run.status === 'QUEUED' || run.status === 'NOT_STARTED';
    const update = waiting ? { status: 'CANCELED' as const, endedAt: now } : { status: 'CANCELING' as const };
    if (await instance.runs.updateRun(runId, update, run.status)) {
      await instance.events.appendEvents([
        {
          runId,
          type: waiting ? 'RUN_CANCELED' : 'RUN_CANCELING',
          timestamp: now,
          message: waiting ? `Run ${runId} canceled before it started.` : `Run ${runId} canceling.`,
        },
      ]);
      instance.activeRuns.get(runId)?.abort();
      return (await instance.runs.getRun(runId)) ?? run;
    }
  }
  throw new LakeloopError('CONFLICT', `Run ${runId} kept changing status; try cancelling again.`);
}

/** Options of {@link createReexecution}. */
export interface CreateReexecutionOptions {
  instance: Instance;
  defs: Definitions;
  /** A FAILURE or CANCELED run. */
  parent: RunRecord;
  /** Default: a new id. */
  runId?: string;
  /** Default NOT_STARTED. */
  status?: 'QUEUED' | 'NOT_STARTED';
  /** Tags over the inherited ones. Default none. */
  tags?: Record<string, string>;
}

/**
 * Stores the re-execution of `parent` from its failed steps (see reexecution-plan.ts), with a WARN
 * log event for each asset it computes again because its stored value is gone.
 */
export async function createReexecution(options: CreateReexecutionOptions): Promise<RunRecord> {
  const { instance, defs, parent } = options;
  const plan = await planReexecution({ instance, defs, parent });
  const run = await createRun(defs, {
    instance,
    assetKeys: plan.assetKeys,
    parentRunId: parent.runId,
    tags: { ...plan.tags, ...options.tags },
    ...(plan.partition === undefined ? {} : { partition: plan.partition }),
    ...(options.runId === undefined ? {} : { runId: options.runId }),
    ...(options.status === undefined ? {} : { status: options.status }),
  });
  if (plan.notes.length > 0) {
    const timestamp = instance.clock.now();
    await instance.events.appendEvents(
      plan.notes.map((message) => ({
        runId: run.runId,
        type: 'LOG' as const,
        level: 'WARN' as const,
        timestamp,
        message,
      })),
    );
  }
  return run;
}

/** Options of {@link reexecuteFromFailure}. */
export interface ReexecuteOptions {
  defs: Definitions;
  /** The failed (or canceled) run. */
  runId: string;
  instance: Instance;
  /** Default: the instance's executor. */
  executor?: Executor;
  onEvent?: (event: EventRecord) => void;
}

/**
 * Re-executes a FAILURE or CANCELED run from its failed step: a new run (parentRunId = the old
 * one) of the steps that did not succeed, reading exactly the upstream values the parent read and
 * stored (see run-inputs.ts); an upstream value that is gone is computed again (reexecution-plan.ts).
 */
export async function reexecuteFromFailure(options: ReexecuteOptions): Promise<RunRecord> {
  const { instance, defs, runId } = options;
  const parent = await instance.runs.getRun(runId);
  if (parent === undefined)
    throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with \`lakeloop runs list\`.`);
  if (parent.status !== 'FAILURE' && parent.status !== 'CANCELED') {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `Run ${runId} is ${parent.status}; only a FAILURE or CANCELED run can be re-executed from failure.`,
      { details: { runId, status: parent.status } },
    );
  }
  const run = await createReexecution({ instance, defs, parent });
  return executeRun({
    defs,
    runId: run.runId,
    instance,
    ...(options.executor === undefined ? {} : { executor: options.executor }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
}
