/**
 * The REST API (hono): runs, events, assets, sensors and schedules, versioned data, and the lakeFS webhook. Every
 * body and query is validated with zod before any work (see api-input.ts: client tags are bounded
 * and may not use the reserved `lakeloop/` prefix; bodies are capped); errors are JSON `{ error: { code, message } }` with the
 * status of the code. With a `token`, every route but `GET /api/health` needs
 * `Authorization: Bearer <token>`.
 *
 * Routes: `GET /api/health`; `POST /api/runs`, `GET /api/runs`, `GET /api/runs/:id`,
 * `GET /api/runs/:id/events`, `POST /api/runs/:id/cancel`; `GET /api/assets`;
 * `GET /api/sensors`, `GET /api/sensors/:name`, `GET /api/sensors/:name/ticks`,
 * `POST /api/sensors/:name/start|stop|tick|reset-cursor`; `GET /api/schedules`,
 * `GET /api/schedules/:name/ticks`, `POST /api/schedules/:name/start|stop`; `POST /api/hooks/lakefs`;
 * the data routes (`/api/data/repositories/…`, data-routes.ts); `GET /api` (an index of every
 * route) and `GET /` (where the API is).
 *
 * @example
 * ```ts
 * const app = createApiApp({ defs, instance, daemon });
 * const response = await app.request('/api/runs', { method: 'POST', body: JSON.stringify({ job: 'retrain' }) });
 * ```
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LakeloopError } from '../errors.js';
import type { Definitions } from '../core/definitions/definitions.js';
import { assetStatuses } from '../core/execution/asset-status.js';
import { cancelRun, createRun } from '../core/execution/run-launcher.js';
import { summarizeSteps } from '../core/execution/run-summary.js';
import type { Instance } from '../core/instance/instance.js';
import type { Daemon } from '../core/daemon/daemon.js';
import { daemonHealth } from '../core/daemon/daemon.js';
import {
  getInstigator,
  listInstigators,
  resetSensorCursor,
  setInstigatorStatus,
} from '../core/daemon/instigator-control.js';
import { PRIORITY_TAG } from '../core/daemon/run-queue.js';
import { SensorLoop } from '../core/daemon/sensor-loop.js';
import { errorResponse, parseInput } from './api-errors.js';
import {
  eventsQuery,
  launchSchema,
  listRunsQuery,
  noQuery,
  MAX_TAGS,
  parseQuery,
  runIdParam,
  ticksQuery,
} from './api-input.js';
import { bearerTokenGuard } from './bearer-token.js';
import { commitFromWebhook, lakeFsWebhookSchema } from './lakefs-webhook.js';
import { dataCommitWakeKey } from '../versioning/data-commit-sensor.js';
import type { DataRepository } from '../versioning/data-repository.js';
import { registerDataRoutes } from './data-routes.js';

/** Something to tell about each request (status and timing; never headers). */
export type RequestLogger = (entry: { method: string; path: string; status: number; ms: number }) => void;

/** Options of {@link createApiApp}. */
export interface ApiAppOptions {
  defs: Definitions;
  instance: Instance;
  /** The daemon running on the instance: webhooks and sensor ticks go through it, new runs wake its queue. Default none. */
  daemon?: Daemon;
  /** Bearer token every request but the health check must carry. Default: none required. */
  token?: string;
  /** Heartbeat interval the health check judges the daemon by. Default 5000 ms. */
  heartbeatIntervalMs?: number;
  /** Default: no request log. */
  logRequest?: RequestLogger;
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** The data repository the `/api/data/…` routes read. Default none (they answer 503). */
  data?: DataRepository;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The request body is not JSON: ${(cause as Error).message}.`,
      { cause },
    );
  }
}

/** Builds the API app (not listening: see startDev, or call `app.request` in tests). */
export function createApiApp(options: ApiAppOptions): Hono {
  const { defs, instance, daemon } = options;
  const app = new Hono();
  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) =>
    errorResponse(
      c,
      new LakeloopError('NOT_FOUND', `No route ${c.req.method} ${c.req.path}; the API lives under /api/.`),
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
  app.get('/api/health', async (c) => {
    parseQuery(c, noQuery);
    const health = await daemonHealth({
      instance,
      ...(options.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
    });
    return c.json({ status: 'ok', daemon: { healthy: health.healthy } });
  });

  if (options.token !== undefined) app.use('/api/*', bearerTokenGuard(options.token));
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

  // ------------------------------------------------------------------ runs
  app.post('/api/runs', async (c) => {
    parseQuery(c, noQuery);
    const body = parseInput(launchSchema, await jsonBody(c), 'run launch request');
    const tags = { ...(body.tags ?? {}) };
    if (body.priority !== undefined) tags[PRIORITY_TAG] = String(body.priority);
    const run = await createRun(defs, {
      instance,
      status: 'QUEUED',
      tags: { ...tags, 'lakeloop/launched_by': 'api' },
      ...(body.job === undefined ? {} : { jobName: body.job }),
      ...(body.select === undefined ? {} : { select: body.select }),
      ...(body.partition === undefined ? {} : { partition: body.partition }),
      ...(body.config === undefined ? {} : { config: body.config }),
    });
    if (daemon !== undefined) void daemon.queue.tick().catch(() => undefined);
    return c.json({ run }, 201);
  });

  app.get('/api/runs', async (c) => {
    const query = parseQuery(c, listRunsQuery);
    const tags = query.tag === undefined ? undefined : { [query.tag.key]: query.tag.value };
    const runs = await instance.runs.listRuns({
      ...(query.status === undefined ? {} : { statuses: query.status }),
      ...(query.job === undefined ? {} : { jobName: query.job }),
      ...(tags === undefined ? {} : { tags }),
      ...(query.before === undefined ? {} : { beforeRunId: query.before }),
      limit: query.limit ?? 50,
    });
    return c.json({ runs });
  });

  const runOr404 = async (runId: string) => {
    const run = await instance.runs.getRun(runId);
    if (run === undefined)
      throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with GET /api/runs.`);
    return run;
  };

  app.get('/api/runs/:id', async (c) => {
    parseQuery(c, noQuery);
    const run = await runOr404(runIdParam(c));
    const events = await instance.events.getEvents({ runId: run.runId });
    return c.json({ run, steps: summarizeSteps(run, events) });
  });

  app.get('/api/runs/:id/events', async (c) => {
    const runId = runIdParam(c);
    const query = parseQuery(c, eventsQuery);
    const run = await runOr404(runId);
    const events = await instance.events.getEvents({
      runId: run.runId,
      ...(query.after === undefined ? {} : { afterId: query.after }),
      ...(query.type === undefined ? {} : { types: query.type }),
      limit: query.limit ?? 1000,
    });
    return c.json({ events });
  });

  app.post('/api/runs/:id/cancel', async (c) => {
    parseQuery(c, noQuery);
    const run = await cancelRun(instance, runIdParam(c));
    return c.json({ run });
  });

  // ------------------------------------------------------------------ assets
  app.get('/api/assets', async (c) => {
    parseQuery(c, noQuery);
    const statuses = await assetStatuses(defs, instance);
    const assets = defs.graph.keys.map((key) => {
      const asset = defs.asset(key);
      return {
        key,
        group: asset.group,
        description: asset.description ?? null,
        deps: asset.deps,
        partitioned: asset.partitions !== undefined,
        codeVersion: asset.codeVersion ?? null,
        checks: defs.checksFor(key).map((check) => check.name),
        statuses: statuses.filter((s) => s.assetKey === key),
      };
    });
    return c.json({ assets });
  });

  // ------------------------------------------------------------------ sensors and schedules
  const ofType = async (type: 'SENSOR' | 'SCHEDULE', name: string) => {
    const found = await getInstigator({ defs, instance, name });
    if (found.type !== type) {
      throw new LakeloopError(
        'NOT_FOUND',
        `"${name}" is a ${found.type.toLowerCase()}, not a ${type.toLowerCase()}.`,
      );
    }
    return found;
  };

  app.get('/api/sensors', async (c) => {
    parseQuery(c, noQuery);
    const sensors = (await listInstigators({ defs, instance })).filter((i) => i.type === 'SENSOR');
    return c.json({ sensors });
  });
  app.get('/api/schedules', async (c) => {
    parseQuery(c, noQuery);
    const schedules = (await listInstigators({ defs, instance })).filter((i) => i.type === 'SCHEDULE');
    return c.json({ schedules });
  });
  for (const [kind, type] of [
    ['sensors', 'SENSOR'],
    ['schedules', 'SCHEDULE'],
  ] as const) {
    app.get(`/api/${kind}/:name`, async (c) => {
      parseQuery(c, noQuery);
      return c.json({ [kind.slice(0, -1)]: await ofType(type, c.req.param('name')) });
    });
    app.get(`/api/${kind}/:name/ticks`, async (c) => {
      const query = parseQuery(c, ticksQuery);
      const name = c.req.param('name');
      await ofType(type, name);
      return c.json({ ticks: await instance.schedules.listTicks(name, { limit: query.limit ?? 50 }) });
    });
    for (const [action, status] of [
      ['start', 'RUNNING'],
      ['stop', 'STOPPED'],
    ] as const) {
      app.post(`/api/${kind}/:name/${action}`, async (c) => {
        parseQuery(c, noQuery);
        const name = c.req.param('name');
        await ofType(type, name);
        return c.json({ [kind.slice(0, -1)]: await setInstigatorStatus({ defs, instance, name, status }) });
      });
    }
  }
  app.post('/api/sensors/:name/reset-cursor', async (c) => {
    parseQuery(c, noQuery);
    const name = c.req.param('name');
    await ofType('SENSOR', name);
    return c.json({ sensor: await resetSensorCursor({ defs, instance, name }) });
  });
  app.post('/api/sensors/:name/tick', async (c) => {
    parseQuery(c, noQuery);
    const name = c.req.param('name');
    await ofType('SENSOR', name);
    const loop = daemon?.sensors ?? new SensorLoop({ defs, instance });
    const tick = await loop.evaluate(name, { evenIfStopped: true });
    if (daemon !== undefined) void daemon.queue.tick().catch(() => undefined);
    return c.json({ tick });
  });

  // ------------------------------------------------------------------ lakeFS webhooks
  app.post('/api/hooks/lakefs', async (c) => {
    parseQuery(c, noQuery);
    const hook = parseInput(lakeFsWebhookSchema, await jsonBody(c), 'lakeFS webhook body');
    const commit = commitFromWebhook(hook);
    if (commit === undefined) {
      return c.json({
        accepted: false,
        reason: `Event type ${hook.event_type} does not move a branch; ignored.`,
      });
    }
    if (daemon === undefined) {
      throw new LakeloopError(
        'UNAVAILABLE',
        'No daemon runs in this server; start it with `lakeloop dev` to react to webhooks.',
      );
    }
    const sensors = daemon.wake(dataCommitWakeKey(commit));
    return c.json({ accepted: true, sensors }, 202);
  });

  registerDataRoutes(app, { instance, ...(options.data === undefined ? {} : { data: options.data }) });

  // ------------------------------------------------------------------ index
  // Built from the registered routes, so it cannot drift from them.
  const routeIndex = (): { method: string; path: string }[] => {
    const seen = new Set<string>();
    return app.routes
      .filter((route) => route.method !== 'ALL' && route.path.startsWith('/api'))
      .map((route) => ({ method: route.method, path: route.path }))
      .filter((route) => {
        const key = `${route.method} ${route.path}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  };
  app.get('/api', (c) => {
    parseQuery(c, noQuery);
    return c.json({ name: 'lakeloop', docs: 'docs/automation.md#rest-api', routes: routeIndex() });
  });
  app.get('/', (c) => c.json({ name: 'lakeloop', api: '/api', health: '/api/health' }));

  return app;
}
