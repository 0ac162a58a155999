/**
 * The step scheduling loop of a run (what Dagster's executor does with the execution plan):
 * starts each planned step once its upstream steps in the plan succeeded, up to the session's
 * concurrency, and skips a step whose upstream failed or was skipped, or every remaining step
 * once the run is canceled.
 *
 * @example
 * ```ts
 * const failures = await scheduleSteps({ ...stepContext, runStep: (key) => runStepAttempts(stepContext, key) });
 * ```
 */
import type { SerializedError } from '../events/event-types.js';
import type { StepResult, StepRunContext } from './step-attempts.js';

/** Options of {@link scheduleSteps}. */
export interface ScheduleStepsOptions extends Pick<
  StepRunContext,
  'defs' | 'run' | 'session' | 'emit' | 'signal'
> {
  /** Runs one step to its end (see runStepAttempts). */
  runStep: (key: string) => Promise<StepResult>;
}

/** A step that failed for good. */
export interface StepFailure {
  key: string;
  error: SerializedError;
}

type StepState = 'pending' | 'running' | 'success' | 'failed' | 'skipped';

/** Runs every step of the plan in dependency order; returns the failed ones, in the order they failed. */
export async function scheduleSteps(options: ScheduleStepsOptions): Promise<StepFailure[]> {
  const { defs, run, emit, signal } = options;
  const states = new Map<string, StepState>(run.assetKeys.map((k) => [k, 'pending']));
  const failures: StepFailure[] = [];
  const running = new Map<string, Promise<void>>();
  for (;;) {
    for (const key of run.assetKeys) {
      if (states.get(key) !== 'pending') continue;
      const deps = defs.asset(key).deps.filter((d) => states.has(d));
      const blocked = deps.find((d) => states.get(d) === 'failed' || states.get(d) === 'skipped');
      if (signal.aborted || blocked !== undefined) {
        states.set(key, 'skipped');
        void emit({
          type: 'STEP_SKIPPED',
          stepKey: key,
          message: signal.aborted
            ? `Skipped ${key}: the run was canceled.`
            : `Skipped ${key}: upstream ${blocked ?? ''} did not succeed.`,
        });
        continue;
      }
      if (running.size >= options.session.maxConcurrency) continue;
      if (deps.every((d) => states.get(d) === 'success')) {
        states.set(key, 'running');
        running.set(
          key,
          options.runStep(key).then((result) => {
            states.set(key, result.state);
            if (result.state === 'failed') failures.push({ key, error: result.error });
            running.delete(key);
          }),
        );
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return failures;
}
