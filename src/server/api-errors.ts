/**
 * How the API reports errors: JSON `{ error: { code, message } }` with the HTTP status of the
 * error's code (`httpStatusOf`); zod validation failures become INVALID_ARGUMENT naming the fields.
 *
 * @example
 * ```ts
 * app.onError((error, c) => errorResponse(c, error));
 * ```
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { httpStatusOf, isLakeloopError, LakeloopError } from '../errors.js';

/** The JSON body of every error response. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Parses `value` with `schema`, throwing INVALID_ARGUMENT that names each bad field. */
export function parseInput<TSchema extends z.ZodType>(
  schema: TSchema,
  value: unknown,
  what: string,
): z.infer<TSchema> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((issue) =>
      issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new LakeloopError('INVALID_ARGUMENT', `Invalid ${what}: ${issues.join('; ')}.`, {
      details: { issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
    });
  }
  return result.data;
}

/** The error as a JSON response (internal errors are reported without their internals). */
export function errorResponse(c: Context, error: unknown): Response {
  const status = httpStatusOf(error) as ContentfulStatusCode;
  const body: ApiErrorBody = isLakeloopError(error)
    ? { error: { code: error.code, message: error.message } }
    : { error: { code: 'INTERNAL', message: 'Internal server error; see the server log.' } };
  if (isLakeloopError(error) && error.details !== undefined) body.error.details = error.details;
  return c.json(body, status);
}
