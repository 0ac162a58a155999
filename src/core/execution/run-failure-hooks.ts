/**
 * Runs the definitions' run failure hooks (run-failure-hook.ts) at least once per run that did not
 * succeed. Whoever ends a run FAILURE or CANCELED tags it `lakeloop/failure_hooks: pending`; the
 * process that ended it runs the hooks at once when it has the definitions, and the daemon runs
 * those still pending (after a crash, a failing hook or a run ended by `runs list`) on every
 * heartbeat. The tag becomes `done` once every hook returned.
 *
 * @example
 * ```ts
 * await runFailureHooks({ instance, defs, run });      // right after the run ended
 * await runPendingFailureHooks({ instance, defs });    // the daemon's sweep
 * ```
 */
import { describeError } from '../../errors.js';
import type { Definitions } from '../definitions/definitions.js';
import type { RunRecord } from '../events/event-types.js';
import type { Instance } from '../instance/instance.js';
import { OWNER_LOST_TAG } from './run-ownership.js';

/** Tag: whether the failure hooks of a run still have to run (`pending`) or ran (`done`). */
export const FAILURE_HOOKS_TAG = 'lakeloop/failure_hooks';

/** Options of {@link runFailureHooks}. */
export interface RunFailureHooksOptions {
  instance: Instance;
  defs: Definitions;
  /** A FAILURE or CANCELED run. */
  run: RunRecord;
}

/** Runs every hook for `run`; true when all returned (the run is then tagged `done`). */
export async function runFailureHooks(options: RunFailureHooksOptions): Promise<boolean> {
  const { instance, defs, run } = options;
  const errors: string[] = [];
  for (const hook of defs.runFailureHooks) {
    try {
      await hook({
        run,
        instanceHome: instance.home,
        resources: defs.resources,
        ownerLost: run.tags[OWNER_LOST_TAG] !== undefined,
      });
    } catch (error) {
      errors.push(describeError(error));
    }
  }
  if (errors.length > 0) {
    await instance.events.appendEvents([
      {
        runId: run.runId,
        type: 'LOG',
        level: 'WARN',
        timestamp: instance.clock.now(),
        message: `A run failure hook failed (retried by the daemon): ${errors.join('; ')}`,
      },
    ]);
    return false;
  }
  await instance.runs.updateRun(run.runId, { tags: { [FAILURE_HOOKS_TAG]: 'done' } });
  return true;
}

/** Runs the hooks of up to `limit` runs still pending; returns how many completed. */
export async function runPendingFailureHooks(
  options: Omit<RunFailureHooksOptions, 'run'> & { limit?: number },
): Promise<number> {
  const pending = await options.instance.runs.listRuns({
    statuses: ['FAILURE', 'CANCELED'],
    tags: { [FAILURE_HOOKS_TAG]: 'pending' },
    limit: options.limit ?? 100,
  });
  let done = 0;
  for (const run of pending) if (await runFailureHooks({ ...options, run })) done++;
  return done;
}
