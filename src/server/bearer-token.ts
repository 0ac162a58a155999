/**
 * Authentication of the API: `Authorization: Bearer <token>`, either the one server token (compared
 * in constant time on SHA-256 digests, so the length leaks nothing either) or a scoped token of the
 * instance's token file (api-tokens.ts). Tokens are never logged or echoed.
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
import { API_SCOPES, LOCAL_CALLER } from './api-tokens.js';
import type { ApiCaller, ApiTokenFile } from './api-tokens.js';

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

/** Where the auth middleware finds valid tokens. */
export interface ApiAuthOptions {
  /** One token with every scope (`--token`, `LAKELOOP_TOKEN`); its caller is called `token`. */
  token?: string;
  /** The instance's token file (scoped, named tokens). */
  tokens?: ApiTokenFile;
}

/** True when the server asks for a token: one was given, or the token file holds any. */
export function authRequired(options: ApiAuthOptions): boolean {
  return options.token !== undefined || (options.tokens?.list().length ?? 0) > 0;
}

/**
 * Middleware answering 401 (JSON error) unless the request carries a valid token, and recording
 * its caller (name and scopes) for the routes' scope checks. With no token configured every
 * request is the local caller (the server then binds loopback only).
 */
export function apiAuth(options: ApiAuthOptions): MiddlewareHandler {
  if (options.token === '')
    throw new LakeloopError('INVALID_ARGUMENT', 'The API token is empty; give a non-empty token.');
  return async (c, next) => {
    if (!authRequired(options)) {
      c.set('caller', LOCAL_CALLER);
      await next();
      return;
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const presented = match?.[1]?.trim() ?? '';
    const caller = presented === '' ? undefined : callerFor(presented, options);
    if (caller === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="lakeloop"');
      return errorResponse(c, new LakeloopError('UNAUTHORIZED', unauthorizedMessage(header.trim())));
    }
    c.set('caller', caller);
    await next();
  };
}

function callerFor(presented: string, options: ApiAuthOptions): ApiCaller | undefined {
  if (options.token !== undefined && tokenMatches(presented, options.token)) {
    return { name: 'token', scopes: new Set(API_SCOPES), authenticated: true };
  }
  const record = options.tokens?.find(presented);
  return record === undefined
    ? undefined
    : { name: record.name, scopes: new Set(record.scopes), authenticated: true };
}

/** Middleware answering 401 unless the request carries `token` (one token with every scope). */
export function bearerTokenGuard(token: string): MiddlewareHandler {
  return apiAuth({ token });
}
