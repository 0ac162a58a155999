/**
 * The plan of a re-execution from failure: the parent's steps that did not succeed, plus any
 * upstream asset whose value the parent read or produced is no longer stored (pruned or deleted):
 * that one is computed again, and the plan says so.
 *
 * @example
 * ```ts
 * const plan = await planReexecution({ instance, defs, parent });
 * for (const note of plan.notes) console.warn(note);
 * const run = await createRun(defs, { instance, assetKeys: plan.assetKeys, parentRunId: parent.runId, tags: plan.tags });
 * ```
 */
import { createHash } from 'node:crypto';
import { LakeloopError } from '../../errors.js';
import type { RunRecord } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import type { Instance } from '../instance/instance.js';
import { valuesOfRun } from './run-inputs.js';

/** Tag: the run a re-execution re-executes. */
export const PARENT_RUN_TAG = 'lakeloop/parent_run_id';
/** Tag: the first run of a chain of re-executions. */
export const ROOT_RUN_TAG = 'lakeloop/root_run_id';
/** Tag: how many re-executions lie between a run and its root (1 for the first re-execution). */
export const RETRY_NUMBER_TAG = 'lakeloop/retry_number';

/** Tags a re-execution does not inherit: they describe the parent's execution, not its intent. */
export const EXECUTION_TAG_PREFIXES = ['lakeloop/owner_', 'lakeloop/daemon_id', 'lakeloop/failure_hooks'];

/** What a re-execution runs. */
export interface ReexecutionPlan {
  assetKeys: string[];
  tags: Record<string, string>;
  partition?: string;
  /** Why assets that succeeded in the parent run again (their stored value is gone). */
  notes: string[];
}

/** Options of {@link planReexecution}. */
export interface PlanReexecutionOptions {
  instance: Instance;
  defs: Definitions;
  /** A FAILURE or CANCELED run. */
  parent: RunRecord;
}

/** The re-execution of `parent` from its failed steps; PRECONDITION_FAILED when every step succeeded. */
export async function planReexecution(options: PlanReexecutionOptions): Promise<ReexecutionPlan> {
  const { instance, defs, parent } = options;
  const succeeded = new Set(
    (await instance.events.getEvents({ runId: parent.runId, types: ['STEP_SUCCESS'] })).map(
      (e) => e.stepKey ?? '',
    ),
  );
  const planned = new Set(parent.assetKeys.filter((k) => !succeeded.has(k)));
  if (planned.size === 0) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `Every step of run ${parent.runId} succeeded; nothing to re-execute.`,
    );
  }
  const notes: string[] = [];
  const values = await valuesOfRun(instance, parent.runId);
  const has = instance.ioManager.has?.bind(instance.ioManager);
  if (values !== undefined && has !== undefined) {
    // Walk up from the planned steps: a dependency whose value is gone is planned too.
    const pending = [...planned];
    while (pending.length > 0) {
      const key = pending.pop() ?? '';
      for (const dep of defs.asset(key).deps) {
        if (planned.has(dep)) continue;
        const stored = [...(values.get(dep)?.values() ?? [])];
        const gone: string[] = [];
        for (const value of stored) if (!(await has(value))) gone.push(value.storagePath);
        if (gone.length === 0) continue;
        const partitions = defs.asset(dep).partitions;
        if (partitions !== undefined && stored.length > 1) {
          throw new LakeloopError(
            'PRECONDITION_FAILED',
            `Run ${parent.runId} read ${String(stored.length)} partitions of "${dep}", and ${String(gone.length)} of their stored values are gone (${gone[0] ?? ''}); ` +
              `materialize "${dep}" for those partitions, then run "${key}" again instead of re-executing.`,
          );
        }
        planned.add(dep);
        pending.push(dep);
        notes.push(
          `The stored value of "${dep}" that run ${parent.runId} used is gone (${gone[0] ?? ''}); it is computed again.`,
        );
      }
    }
  }
  const assetKeys = defs.graph.sort([...planned]);
  const tags: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(parent.tags).filter(([key]) => !EXECUTION_TAG_PREFIXES.some((p) => key.startsWith(p))),
    ),
    [PARENT_RUN_TAG]: parent.runId,
    [ROOT_RUN_TAG]: parent.tags[ROOT_RUN_TAG] ?? parent.runId,
    [RETRY_NUMBER_TAG]: String(Number(parent.tags[RETRY_NUMBER_TAG] ?? '0') + 1),
  };
  const partitioned = assetKeys.some((k) => defs.asset(k).partitions !== undefined);
  return {
    assetKeys,
    tags,
    notes,
    ...(parent.partition !== undefined && partitioned ? { partition: parent.partition } : {}),
  };
}

/**
 * The run id of the automatic re-execution of `parentRunId`: derived from it, so that a daemon
 * that crashes after queueing it cannot queue a second one.
 */
export function reexecutionRunId(parentRunId: string): string {
  const hex = createHash('sha256').update(`reexecution:${parentRunId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
