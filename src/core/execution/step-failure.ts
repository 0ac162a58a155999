/**
 * The FAILURE outcome an executor reports for a step it could not run to its end (the step child
 * died, the run was canceled before it started, the definitions did not load): no checks, the
 * error serialized, the time since `started`.
 */
import type { StepOutcome } from './executor.js';
import { serializeError } from './serialize-error.js';

/** A FAILURE outcome of `error`; `retryable` says whether the asset's retry policy may run it again. */
export function stepFailure(error: unknown, retryable: boolean, started: number): StepOutcome {
  return {
    status: 'FAILURE',
    error: serializeError(error),
    checks: [],
    retryable,
    durationMs: Date.now() - started,
  };
}
