/**
 * Progress of long steps: a throttled reporter that turns `{ done, total, unit }` updates into
 * LOG lines of the step (`progress: 40/100 trees, 12.3 s`) at most every `everyMs` (default
 * 2 s), plus the first update and the last one (`done === total`), so a training loop can call
 * it after every tree without flooding the event log. The lines reach the CLI's live progress and
 * every run handle like any LOG event. The clock is injected so tests need no waiting.
 *
 * @example
 * ```ts
 * const progress = stepProgress(ctx.log);
 * const model = await trainGradientBoosting(train, {
 *   onIteration: (p) => progress({ done: p.iteration, total: p.maxIterations, unit: 'trees' }),
 * });
 * ```
 */
import { systemClock } from '../../clock.js';
import type { Clock } from '../../clock.js';
import type { StepLogger } from '../definitions/asset-context.js';

/** One progress update of a step. */
export interface StepProgress {
  done: number;
  /** Default unknown (the line shows only `done`). */
  total?: number;
  /** What is counted, e.g. `trees`, `rows`. Default none. */
  unit?: string;
  /** Added after the counts. Default none. */
  message?: string;
}

/** Options of {@link stepProgress}. */
export interface StepProgressOptions {
  /** At most one line per this many ms (first and last updates always). Default 2 000. */
  everyMs?: number;
  /** Default the system clock. */
  clock?: Clock;
}

/** Reports a progress update; returns whether a line was written. */
export type ProgressReporter = (progress: StepProgress) => boolean;

/** The line written for an update, `elapsedMs` after the reporter was made. */
export function formatStepProgress(progress: StepProgress, elapsedMs: number): string {
  const counts = progress.total === undefined ? `${progress.done}` : `${progress.done}/${progress.total}`;
  const unit = progress.unit === undefined ? '' : ` ${progress.unit}`;
  const message = progress.message === undefined ? '' : ` (${progress.message})`;
  return `progress: ${counts}${unit}, ${(elapsedMs / 1000).toFixed(1)} s${message}`;
}

/** A throttled progress reporter writing INFO lines through `log` (e.g. `ctx.log`). */
export function stepProgress(
  log: Pick<StepLogger, 'info'>,
  options: StepProgressOptions = {},
): ProgressReporter {
  const clock = options.clock ?? systemClock;
  const everyMs = options.everyMs ?? 2000;
  const startedAt = clock.now();
  let lastAt: number | undefined;
  return (progress) => {
    const now = clock.now();
    const last = progress.total !== undefined && progress.done >= progress.total;
    if (lastAt !== undefined && now - lastAt < everyMs && !last) return false;
    lastAt = now;
    log.info(formatStepProgress(progress, now - startedAt));
    return true;
  };
}
