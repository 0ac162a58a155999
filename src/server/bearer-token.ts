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

/**
 * What a 401 says: an empty bearer token is nearly always a lakeFS action whose
 * `{{ ENV.LAKEFSACTION_… }}` header variable is unset (lakeFS exposes only `LAKEFSACTION_`-prefixed
 * variables of its own environment to actions and substitutes an empty string for any other).
 */
function unauthorizedMessage(header: string): string {
  if (/^Bearer\s*$/i.test(header)) {
    return 'Empty bearer token (`Authorization: Bearer ` with nothing after it): from a lakeFS action, its `{{ ENV.LAKEFSACTION_… }}` variable is probably unset — lakeFS passes only LAKEFSACTION_-prefixed variables of its own environment to actions (no S after ACTION) and sends an empty string for any other; export e.g. LAKEFSACTION_LAKELOOP_TOKEN=<token> where lakeFS runs and use `{{ ENV.LAKEFSACTION_LAKELOOP_TOKEN }}`.';
  }
  return 'Missing or wrong API token: send `Authorization: Bearer <token>` with the token the server was started with (--token or LAKELOOP_TOKEN).';
}

/** Middleware answering 401 (JSON error) unless the request carries the token. */
export function bearerTokenGuard(token: string): MiddlewareHandler {
  if (token === '')
    throw new LakeloopError('INVALID_ARGUMENT', 'The API token is empty; give a non-empty token.');
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const presented = match?.[1]?.trim() ?? '';
    if (presented === '' || !tokenMatches(presented, token)) {
      c.header('WWW-Authenticate', 'Bearer realm="lakeloop"');
      return errorResponse(c, new LakeloopError('UNAUTHORIZED', unauthorizedMessage(header.trim())));
    }
    await next();
  };
}
