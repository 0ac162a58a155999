/**
 * Execution: runs (create, execute, materialize, cancel, re-execute), executors, IO managers,
 * retries and asset status.
 *
 * @example
 * ```ts
 * import { materialize, Instance } from 'lakeloop';
 * const run = await materialize(defs, { select: '*', instance: await Instance.ephemeral() });
 * ```
 */
export * from './asset-status.js';
export * from './definitions-loader.js';
export * from './event-writer.js';
export type * from './executor.js';
export * from './in-process-executor.js';
export type * from './io/io-manager.js';
export * from './io/filesystem-io-manager.js';
export * from './io/value-codec.js';
export * from './multi-process/multi-process-executor.js';
export * from './retry-policy.js';
export * from './step-progress.js';
export * from './run-execution.js';
export { awaitRunHandle, openRunHandle, runHandle, RUN_END_EVENT_TYPES } from './run-handle.js';
export type { AwaitRunHandleOptions, RunHandle, RunHandleOptions } from './run-handle.js';
export * from './run-launcher.js';
export * from './run-summary.js';
export { FAILURE_HOOKS_TAG, runFailureHooks, runPendingFailureHooks } from './run-failure-hooks.js';
export { endRunsOfDeadOwners } from './dead-run-recovery.js';
export { deleteRun, markRunFailed } from './run-admin.js';
export type { RunAdminOptions } from './run-admin.js';
export type { EndedRun } from './dead-run-recovery.js';
export { OWNER_LOST_TAG, ownerState } from './run-ownership.js';
export type { RunOwner } from './run-ownership.js';
export { serializeError, deserializeError } from './serialize-error.js';
export { closeProcessResources } from './resource-scope.js';
export type { BoundResources, ResourceLog, RunResourcesOptions } from './resource-scope.js';
export { executeStep } from './step-execution.js';
export type { ExecuteStepOptions, ValueCache } from './step-execution.js';
