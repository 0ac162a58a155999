/**
 * The HTTP side: the REST API app, scoped API tokens, the lakeFS webhook schema, `startDev`
 * (API + daemon) and `startModelServer` (a registered model on `POST /invocations`, following its
 * alias; docs/serving.md).
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
export { startModelServer } from '../serving/model-server.js';
export type { ModelServerHandle, StartModelServerOptions } from '../serving/model-server.js';
export { PredictionLog } from '../serving/prediction-log.js';
export type { PredictionLogOptions, PredictionLogStats } from '../serving/prediction-log.js';
