/**
 * The HTTP side: the REST API app, scoped API tokens, the lakeFS webhook schema, and `startDev`
 * (API + daemon).
 *
 * @example
 * ```ts
 * import { startDev } from 'lakeloop';
 * const dev = await startDev({ defs, instance, port: 3000 });
 * ```
 */
export { createApiApp } from './api-app.js';
export type { ApiAppOptions, RequestLogger } from './api-app.js';
export type { ApiErrorBody } from './api-errors.js';
export { API_SCOPES, ApiTokenFile } from './api-tokens.js';
export type { ApiCaller, ApiScope, ApiTokenRecord } from './api-tokens.js';
export { bearerTokenGuard, MIN_TOKEN_LENGTH } from './bearer-token.js';
export { API_TOKEN_FILE, startDev } from './dev-server.js';
export type { DevHandle, StartDevOptions } from './dev-server.js';
export { LAKEFS_COMMIT_EVENTS } from './lakefs-webhook.js';
export type { LakeFsWebhook } from './lakefs-webhook.js';
