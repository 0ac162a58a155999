/**
 * Turns thrown values into the `SerializedError` stored in events and run records (message,
 * name, code, stack and the cause chain), and back into an Error for callers.
 *
 * @example
 * ```ts
 * const stored = serializeError(new LakeloopError('STEP_FAILED', 'boom', { cause }));
 * ```
 */
import { ErrorCode, LakeloopError } from '../../errors.js';
import type { SerializedError } from '../events/event-types.js';

/** Serializes an error and up to 5 levels of causes. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const out: SerializedError = { name: error.name, message: error.message };
    if (typeof code === 'string') out.code = code;
    if (error.stack !== undefined) out.stack = error.stack;
    if (error.cause !== undefined && depth < 5) out.cause = serializeError(error.cause, depth + 1);
    return out;
  }
  return { name: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) };
}

const CODES = new Set<string>(Object.values(ErrorCode));

/** Rebuilds a {@link LakeloopError} from a serialized one (keeping its code when it has one). */
export function deserializeError(error: SerializedError, fallback: ErrorCode = 'STEP_FAILED'): LakeloopError {
  const code = error.code !== undefined && isErrorCode(error.code) ? error.code : fallback;
  const rebuilt = new LakeloopError(code, error.message, {
    cause: error.cause === undefined ? undefined : deserializeError(error.cause, fallback),
  });
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  Object.defineProperty(rebuilt, 'name', { value: error.name, enumerable: false, configurable: true });
  return rebuilt;
}

function isErrorCode(code: string): code is ErrorCode {
  return CODES.has(code);
}
