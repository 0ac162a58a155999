/**
 * Bearer-token guard for the API: `Authorization: Bearer <token>` compared in constant time (on
 * SHA-256 digests, so the length leaks nothing either). The token is never logged or echoed.
 *
 * @example
 * ```ts
 * app.use('/api/*', bearerTokenGuard(process.env.LAKELOOP_TOKEN ?? ''));
 * ```
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { LakeloopError } from '../errors.js';
import { errorResponse } from './api-errors.js';

/** Shortest token `lakeloop dev` accepts. */
export const MIN_TOKEN_LENGTH = 16;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** True when `presented` equals `expected` (constant time). */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Middleware answering 401 (JSON error) unless the request carries the token. */
export function bearerTokenGuard(token: string): MiddlewareHandler {
  if (token === '')
    throw new LakeloopError('INVALID_ARGUMENT', 'The API token is empty; give a non-empty token.');
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match?.[1] === undefined || !tokenMatches(match[1].trim(), token)) {
      c.header('WWW-Authenticate', 'Bearer realm="lakeloop"');
      return errorResponse(
        c,
        new LakeloopError(
          'UNAUTHORIZED',
          'Missing or wrong API token: send `Authorization: Bearer <token>` with the token the server was started with (--token or LAKELOOP_TOKEN).',
        ),
      );
    }
    await next();
  };
}
