/**
 * Retries of failed steps: whether a failed attempt is retried ({@link retryDecision}) and the
 * delay before retry `n` under a {@link RetryPolicy} (constant, linear or exponential backoff;
 * no, full or plus-minus jitter), with the random source injected.
 *
 * @example
 * ```ts
 * retryDelayMs({ maxRetries: 3, delayMs: 100, backoff: 'exponential' }, { retry: 3 }); // 400
 * retryDecision({ policy: { maxRetries: 1 }, attempt: 1, retryable: true, canceled: false }); // retry, waitMs 0
 * ```
 */
import type { RetryPolicy } from '../definitions/asset-definition.js';

/** Options of {@link retryDelayMs}. */
export interface RetryDelayOptions {
  /** 1 for the first retry. */
  retry: number;
  /** Uniform random in [0, 1). Default Math.random. */
  random?: () => number;
}

/** Milliseconds to wait before the given retry. */
export function retryDelayMs(policy: RetryPolicy, options: RetryDelayOptions): number {
  const base = policy.delayMs ?? 0;
  const n = Math.max(1, options.retry);
  const backoff = policy.backoff ?? 'constant';
  let delay: number;
  switch (backoff) {
    case 'constant':
      delay = base;
      break;
    case 'linear':
      delay = base * n;
      break;
    case 'exponential':
      delay = base * 2 ** (n - 1);
      break;
  }
  const random = options.random ?? Math.random;
  const jitter = policy.jitter ?? 'none';
  switch (jitter) {
    case 'none':
      break;
    case 'full':
      delay = delay * random();
      break;
    case 'plus-minus':
      delay = delay * (0.5 + random());
      break;
  }
  return Math.round(Math.min(delay, policy.maxDelayMs ?? Number.POSITIVE_INFINITY));
}

/** Options of {@link retryDecision}. */
export interface RetryDecisionOptions {
  /** The asset's policy; undefined: never retried. */
  policy: RetryPolicy | undefined;
  /** The attempt that failed (1 for the first). */
  attempt: number;
  /** False for failures a retry cannot fix (a failed blocking check, an unstorable value). */
  retryable: boolean;
  /** The run was canceled: nothing more is attempted. */
  canceled: boolean;
  /** Uniform random in [0, 1) for jitter. Default Math.random. */
  random?: () => number;
}

/** Whether a failed attempt is retried, and after how long. */
export type RetryDecision = { retry: true; waitMs: number; maxRetries: number } | { retry: false };

/**
 * Decides whether a failed step attempt gets another one: only a retryable failure of a run that
 * is not canceled, while the policy has retries left.
 *
 * @example
 * ```ts
 * const decision = retryDecision({ policy: asset.retryPolicy, attempt, retryable: true, canceled: false });
 * if (decision.retry) await sleep(decision.waitMs);
 * ```
 */
export function retryDecision(options: RetryDecisionOptions): RetryDecision {
  const { policy, attempt } = options;
  if (!options.retryable || options.canceled || policy === undefined || attempt > policy.maxRetries) {
    return { retry: false };
  }
  const waitMs = retryDelayMs(policy, {
    retry: attempt,
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  return { retry: true, waitMs, maxRetries: policy.maxRetries };
}
