/**
 * The REST API (hono) of a lakeloop instance: runs and assets, sensors and schedules, versioned
 * data, tracking, the model registry, lineage and the live stream. Each route is declared once
 * (api-router.ts) with its scope and zod schemas: queries and bodies are validated before any work
 * (client tags are bounded and may not use the reserved `lakeloop/` prefix; bodies are capped),
 * and `GET /api` (index) and `GET /api/openapi.json` are generated from the declarations. Errors
 * are JSON `{ error: { code, message } }` with the status of the code. With a `token`, or scoped
 * tokens in the instance's token file, every route but `GET /api/health` needs
 * `Authorization: Bearer <token>` and the route's scope. The routes are listed in docs/api.md.
 * Every other path is the built web UI (ui-static.ts, docs/ui.md), when there is one; without it
 * `GET /` says where the API is.
 *
 * @example
 * ```ts
 * const app = createApiApp({ defs, instance, daemon, data, tracking, registry });
 * const response = await app.request('/api/runs', { method: 'POST', body: JSON.stringify({ job: 'retrain' }) });
 * ```
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LakeloopError } from '../errors.js';
import { daemonHealth } from '../core/daemon/daemon.js';
import type { ApiContext } from './api-context.js';
import { errorResponse } from './api-errors.js';
import { openApiDocument, routeIndex } from './api-index.js';
import { MAX_TAGS } from './api-input.js';
import { ApiRouter } from './api-router.js';
import type { ApiTokenFile } from './api-tokens.js';
import { apiAuth } from './bearer-token.js';
import { defaultUiDir, readUiFile } from './ui-static.js';
import { registerAssetDetailRoutes } from './routes/asset-detail-routes.js';
import { registerAssetGraphRoutes } from './routes/asset-graph-routes.js';
import { registerDataRoutes } from './routes/data-routes.js';
import { registerInstigatorRoutes } from './routes/instigator-routes.js';
import { registerLineageRoutes } from './routes/lineage-routes.js';
import { registerTimelineRoutes } from './routes/timeline-routes.js';
import { registerRegistryRoutes } from './routes/registry-routes.js';
import { registerRunRoutes } from './routes/run-routes.js';
import { registerRunReexecuteRoutes } from './routes/runs-reexecute-routes.js';
import { registerStreamRoutes } from './routes/stream-routes.js';
import { registerTrackingRoutes } from './routes/tracking-routes.js';

/** Something to tell about each request (status and timing; never headers). */
export type RequestLogger = (entry: { method: string; path: string; status: number; ms: number }) => void;

/** Options of {@link createApiApp}: the parts of the loop it serves, and how. */
export interface ApiAppOptions extends ApiContext {
  /** One bearer token with every scope. Default: none. */
  token?: string;
  /** Scoped, named tokens (`lakeloop tokens create`). Default: none. */
  tokens?: ApiTokenFile;
  /** Heartbeat interval the health check judges the daemon by. Default 5000 ms. */
  heartbeatIntervalMs?: number;
  /** Default: no request log. */
  logRequest?: RequestLogger;
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Folder of the built web UI served at `/`. Default: this package's dist/ui (`npm run build`). */
  uiDir?: string;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const API_VERSION = '1';

/** Builds the API app (not listening: see startDev, or call `app.request` in tests). */
export function createApiApp(options: ApiAppOptions): Hono {
  const app = new Hono();
  const api = new ApiRouter(app);
  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) =>
    errorResponse(
      c,
      new LakeloopError('NOT_FOUND', `No route ${c.req.method} ${c.req.path}; GET /api lists the routes.`),
    ),
  );
  if (options.logRequest !== undefined) {
    const log = options.logRequest;
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      log({ method: c.req.method, path: c.req.path, status: c.res.status, ms: performance.now() - started });
    });
  }
  // Before the auth middleware, so that it answers without a token.
  api.route(
    {
      method: 'GET',
      path: '/api/health',
      scope: 'public',
      tag: 'server',
      summary: 'Health of the server and its daemon (no token needed)',
    },
    async (c) => {
      const health = await daemonHealth({
        instance: options.instance,
        ...(options.heartbeatIntervalMs === undefined
          ? {}
          : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      });
      return c.json({ status: 'ok', daemon: { healthy: health.healthy } });
    },
  );

  app.use(
    '/api/*',
    apiAuth({
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
    }),
  );
  // After the token check, so that no anonymous body is buffered; before every route.
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.use(
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) =>
        errorResponse(
          c,
          new LakeloopError(
            'INVALID_ARGUMENT',
            `The request body is larger than ${maxBodyBytes} bytes; send a smaller one (a run takes at most ${MAX_TAGS} tags).`,
          ),
        ),
    }),
  );

  registerRunRoutes(api, options);
  registerAssetGraphRoutes(api, options);
  registerAssetDetailRoutes(api, options);
  registerRunReexecuteRoutes(api, options);
  registerInstigatorRoutes(api, options);
  registerDataRoutes(api, options);
  registerStreamRoutes(api, options);
  registerTrackingRoutes(api, options);
  registerRegistryRoutes(api, options);
  registerLineageRoutes(api, options);
  registerTimelineRoutes(api, options);

  api.route(
    { method: 'GET', path: '/api', scope: 'read', tag: 'server', summary: 'This index of every route' },
    (c) =>
      c.json({
        name: 'lakeloop',
        docs: 'docs/api.md',
        openapi: '/api/openapi.json',
        routes: routeIndex(api.specs),
      }),
  );
  api.route(
    {
      method: 'GET',
      path: '/api/openapi.json',
      scope: 'read',
      tag: 'server',
      summary: 'The OpenAPI 3.1 document of the API',
    },
    (c) => c.json(openApiDocument(api.specs, { version: API_VERSION })),
  );
  // Last, so that every API route answers first; unknown /api paths stay JSON 404s.
  const uiDir = options.uiDir ?? defaultUiDir();
  app.get('*', async (c) => {
    if (c.req.path === '/api' || c.req.path.startsWith('/api/')) return c.notFound();
    const file = await readUiFile(uiDir, c.req.path);
    if (file !== undefined) return c.body(file.body, 200, file.headers);
    if (c.req.path !== '/') return c.notFound();
    // No built UI: say where the API is.
    return c.json({ name: 'lakeloop', api: '/api', openapi: '/api/openapi.json', health: '/api/health' });
  });

  return app;
}
