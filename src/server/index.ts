/**
 * The HTTP side: the REST API app, the lakeFS webhook schema, and `startDev` (API + daemon).
 *
 * @example
 * ```ts
 * import { startDev } from 'lakeloop';
 * const dev = await startDev({ defs, instance, port: 3000 });
 * ```
 */
export * from './api-app.js';
export * from './api-errors.js';
export * from './bearer-token.js';
export * from './dev-server.js';
export * from './lakefs-webhook.js';
