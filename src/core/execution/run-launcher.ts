/**
 * Launching runs: `createRun` (validate the selection and partition, store the run as
 * NOT_STARTED or QUEUED), `executeRun` (see run-execution.ts), `materialize` (both at once),
 * `launchRun` (both, returning a run handle at once: see run-handle.ts), `submitRun` (a QUEUED
 * run for the daemon, with its handle), `cancelRun` (run-cancel.ts), and `reexecuteFromFailure`
 * (a new run of the failed and skipped steps that reads the parent run's stored upstream outputs).
 *
 * @example
 * ```ts
 * const run = await materialize(defs, { select: 'train_model+', partition: '2001-03', instance });
 * if (run.status === 'FAILURE') await reexecuteFromFailure({ defs, runId: run.runId, instance });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import { appendRunEvents } from '../events/event-log-notifier.js';
import type { EventRecord, RunRecord } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import { assertPartitionKey } from '../definitions/partitions-definition.js';
import type { Instance } from '../instance/instance.js';
import type { Executor } from './executor.js';
import { executeRun } from './run-execution.js';
import { runHandle } from './run-handle.js';
import type { RunHandle, RunHandleOptions } from './run-handle.js';
import { planReexecution } from './reexecution-plan.js';
import { validateRunConfig } from '../definitions/run-config.js';
import { resolveLaunchTags } from './launch-tags.js';

export { cancelRun } from './run-cancel.js';

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
  /** Run config: one section per asset key / job name (see run-config.ts); validated here. Default none. */
  config?: Record<string, unknown>;
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
  const config = validateRunConfig(defs, { assetKeys, jobName: job?.name, config: options.config });
  const tags = { ...(job?.tags ?? {}), ...(options.tags ?? {}) };
  Object.assign(
    tags,
    await resolveLaunchTags(defs, { assetKeys, instanceHome: instance.home, runTags: tags }),
  );
  const run: RunRecord = {
    runId: options.runId ?? instance.ids(),
    jobName: job?.name ?? ASSET_SELECTION_JOB,
    selection,
    assetKeys,
    status: options.status ?? 'NOT_STARTED',
    tags,
    createdAt: now,
    updatedAt: now,
    ...(config === undefined ? {} : { config: { ...config } }),
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
  /** Run config: `{ <asset key or job name>: {...} }`, validated against the schemas. Default none. */
  config?: Record<string, unknown>;
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
    ...(options.config === undefined ? {} : { config: options.config }),
  });
  return executeRun({
    defs,
    runId: run.runId,
    instance: options.instance,
    ...(options.executor === undefined ? {} : { executor: options.executor }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
}

/** Options of {@link launchRun}: those of createRun (but `status`), and how to execute. */
export interface LaunchRunOptions extends Omit<CreateRunOptions, 'status'> {
  /** Default: the instance's executor. */
  executor?: Executor;
  /** Called synchronously for each event as it happens. Default none. */
  onEvent?: (event: EventRecord) => void;
}

/**
 * Creates a run and starts executing it in this process (Dagster's `launch_run`); returns its
 * handle once the run is stored, so `handle.runId` is known at once. Invalid selections,
 * partitions or jobs reject here; what happens while executing is in `result()` and `events()`.
 *
 * @example
 * ```ts
 * const handle = await launchRun(defs, { instance, select: '+train_model', partition: '2001-03' });
 * for await (const event of handle.events()) if (event.type === 'LOG') console.log(event.message);
 * const run = await handle.result(); // run.status: SUCCESS, FAILURE or CANCELED
 * ```
 */
export async function launchRun(defs: Definitions, options: LaunchRunOptions): Promise<RunHandle> {
  const { executor, onEvent, ...create } = options;
  const run = await createRun(defs, create);
  const execution = executeRun({
    defs,
    runId: run.runId,
    instance: options.instance,
    ...(executor === undefined ? {} : { executor }),
    ...(onEvent === undefined ? {} : { onEvent }),
  });
  return runHandle(options.instance, run.runId, { execution });
}

/** Options of {@link submitRun}: those of createRun (but `status`), and how the handle follows the run. */
export interface SubmitRunOptions extends Omit<CreateRunOptions, 'status'> {
  /** How often the handle looks for the daemon's writes. Default 250 ms. */
  pollMs?: RunHandleOptions['pollMs'];
}

/**
 * Creates a QUEUED run for the daemon's run queue (Dagster's `submit_run`) and returns its handle:
 * its events and result come from whichever process executes it (the daemon, or this one).
 *
 * @example
 * ```ts
 * const handle = await submitRun(defs, { instance, jobName: 'retrain', tags: { team: 'ml' } });
 * const run = await handle.result(); // once the daemon has executed it
 * ```
 */
export async function submitRun(defs: Definitions, options: SubmitRunOptions): Promise<RunHandle> {
  const { pollMs, ...create } = options;
  const run = await createRun(defs, { ...create, status: 'QUEUED' });
  return runHandle(options.instance, run.runId, pollMs === undefined ? {} : { pollMs });
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
    // The parent's config, and its job so the job's config section still reaches the steps.
    ...(parent.config === undefined ? {} : { config: parent.config }),
    ...(defs.jobs.some((j) => j.name === parent.jobName)
      ? { jobName: parent.jobName, select: plan.assetKeys.join(',') }
      : {}),
    ...(plan.partition === undefined ? {} : { partition: plan.partition }),
    ...(options.runId === undefined ? {} : { runId: options.runId }),
    ...(options.status === undefined ? {} : { status: options.status }),
  });
  if (plan.notes.length > 0) {
    const timestamp = instance.clock.now();
    await appendRunEvents(
      instance.events,
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
