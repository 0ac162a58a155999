/**
 * One error hierarchy for all of lakeloop. Every error has a stable `code`, a message that
 * says what to do, and (where there is one) the `cause`. `httpStatusOf` and `exitCodeOf` are
 * the only places that map codes to HTTP statuses and CLI exit codes.
 *
 * @example
 * ```ts
 * throw new LakeloopError('NOT_FOUND', 'Unknown branch "dev" in repository "flights". Create it with `lakeloop data branch create`.');
 * ```
 */

/** Stable error codes. Add new ones here and to the two maps below. */
export const ErrorCode = {
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  DEFINITION_ERROR: 'DEFINITION_ERROR',
  /** A resource's setup (or a step binding) failed. */
  RESOURCE_ERROR: 'RESOURCE_ERROR',
  STEP_FAILED: 'STEP_FAILED',
  CHECK_FAILED: 'CHECK_FAILED',
  CANCELED: 'CANCELED',
  TIMEOUT: 'TIMEOUT',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;

/** A stable error code, e.g. `'NOT_FOUND'`. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options of {@link LakeloopError}. */
export interface LakeloopErrorOptions {
  /** The underlying error, kept for diagnosis. */
  cause?: unknown;
  /** Structured details (names, paths, keys involved); must never contain secrets. */
  details?: Record<string, unknown>;
}

/** Base class of every error lakeloop throws on purpose. */
export class LakeloopError extends Error {
  override readonly name: string = 'LakeloopError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: LakeloopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** True when `error` is a {@link LakeloopError}, optionally with the given code. */
export function isLakeloopError(error: unknown, code?: ErrorCode): error is LakeloopError {
  return error instanceof LakeloopError && (code === undefined || error.code === code);
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  DEFINITION_ERROR: 400,
  RESOURCE_ERROR: 500,
  STEP_FAILED: 500,
  CHECK_FAILED: 422,
  CANCELED: 409,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const EXIT_CODE: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 2,
  NOT_FOUND: 2,
  ALREADY_EXISTS: 2,
  CONFLICT: 3,
  PRECONDITION_FAILED: 3,
  UNAUTHORIZED: 4,
  FORBIDDEN: 4,
  DEFINITION_ERROR: 2,
  RESOURCE_ERROR: 1,
  STEP_FAILED: 1,
  CHECK_FAILED: 1,
  CANCELED: 130,
  TIMEOUT: 1,
  UNAVAILABLE: 5,
  INTERNAL: 1,
};

/** The HTTP status for an error (500 for anything that is not a {@link LakeloopError}). */
export function httpStatusOf(error: unknown): number {
  return error instanceof LakeloopError ? HTTP_STATUS[error.code] : 500;
}

/** The CLI exit code for an error (1 for anything that is not a {@link LakeloopError}). */
export function exitCodeOf(error: unknown): number {
  return error instanceof LakeloopError ? EXIT_CODE[error.code] : 1;
}

/** A one-line description of an error and its causes, for CLI output and logs. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(current instanceof Error ? current.message : JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' (caused by: ') + ')'.repeat(Math.max(0, parts.length - 1));
}
