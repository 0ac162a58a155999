/**
 * Run failure hooks: code of the definitions that cleans up after a run that did not succeed
 * (FAILURE or CANCELED), whoever ended it — its own process, or another one that found its process
 * dead. A hook runs at least once per such run (again after a crash or an error of the hook), so it
 * must be idempotent; the flight-delay pipeline's ends the run's tracking runs left RUNNING.
 *
 * @example
 * ```ts
 * const endTrackingRuns: RunFailureHook = async ({ run, ownerLost }) => {
 *   for (const id of await trackingRunsOf(run.runId)) await tracking.endRun(id, ownerLost ? 'KILLED' : 'FAILED');
 * };
 * new Definitions({ assets, runFailureHooks: [endTrackingRuns] });
 * ```
 */
import type { RunRecord } from '../events/event-types.js';

/** What a {@link RunFailureHook} is told. */
export interface RunFailureContext {
  /** The run, FAILURE or CANCELED. */
  run: RunRecord;
  /** The instance home (for resources that keep state under it). */
  instanceHome: string;
  /** The definitions' resources. */
  resources: Readonly<Record<string, unknown>>;
  /** True when the run's process died and another process ended the run. */
  ownerLost: boolean;
}

/** Cleans up after a run that did not succeed; must be idempotent. */
export type RunFailureHook = (ctx: RunFailureContext) => Promise<void> | void;
