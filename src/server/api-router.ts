/**
 * The API's route table: every route is declared once with its method, path, scope, summary and
 * zod schemas for query and body. The router validates the query (each parameter once, unknown
 * ones refused) and the JSON body before the handler runs, refuses callers without the route's
 * scope (403), and keeps the declarations, from which `GET /api` (the index) and
 * `GET /api/openapi.json` are generated — so neither can drift from the routes.
 *
 * @example
 * ```ts
 * const api = new ApiRouter(app);
 * api.route(
 *   { method: 'GET', path: '/api/runs', scope: 'read', tag: 'runs', summary: 'List runs', query: listRunsQuery },
 *   async (c, { query }) => c.json({ runs: await instance.runs.listRuns(query) }),
 * );
 * ```
 */
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { LakeloopError } from '../errors.js';
import { parseInput } from './api-errors.js';
import { noQuery, parseQuery } from './api-input.js';
import { callerOf } from './api-tokens.js';
import type { ApiCaller, ApiScope } from './api-tokens.js';

/** HTTP methods the API uses. */
export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** The declaration of one route. */
export interface RouteSpec<TQuery extends z.ZodType = z.ZodType, TBody extends z.ZodType = z.ZodType> {
  method: ApiMethod;
  /** Hono path, e.g. `/api/runs/:id`. */
  path: string;
  /** What a token needs to call it (`public`: no token, e.g. the health check). */
  scope: ApiScope | 'public';
  /** The group in the index and the OpenAPI document, e.g. `'runs'`. */
  tag: string;
  /** One line on what it does. */
  summary: string;
  /** Query parameters (a strict object). Default: none accepted. */
  query?: TQuery;
  /** JSON request body. Default: none read. */
  body?: TBody;
  /** What the body is, for error messages. Default `'request body'`. */
  bodyName?: string;
  /** The response is `text/event-stream` or a file, not JSON. */
  produces?: 'text/event-stream' | 'application/octet-stream';
}

/** What a handler gets besides the context: its validated input and who calls. */
export interface RouteInput<TQuery, TBody> {
  query: TQuery;
  body: TBody;
  caller: ApiCaller;
}

type Handler<TQuery extends z.ZodType, TBody extends z.ZodType> = (
  c: Context,
  input: RouteInput<z.output<TQuery>, z.output<TBody>>,
) => Response | Promise<Response>;

/** Reads a JSON body (an empty body is `{}`); INVALID_ARGUMENT when it is not JSON. */
export async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The request body is not JSON: ${(cause as Error).message}.`,
      {
        cause,
      },
    );
  }
}

/** Registers declared routes on a hono app and keeps their declarations. */
export class ApiRouter {
  readonly #app: Hono;
  readonly #specs: RouteSpec[] = [];

  constructor(app: Hono) {
    this.#app = app;
  }

  /** Every declared route, in declaration order. */
  get specs(): readonly RouteSpec[] {
    return this.#specs;
  }

  /** Declares a route and registers its handler. */
  route<TQuery extends z.ZodType = z.ZodType, TBody extends z.ZodType = z.ZodType>(
    spec: RouteSpec<TQuery, TBody>,
    handler: Handler<TQuery, TBody>,
  ): void {
    this.#specs.push(spec);
    const method = spec.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    this.#app[method](spec.path, async (c) => {
      const caller = callerOf(c);
      if (spec.scope !== 'public' && !caller.scopes.has(spec.scope) && !caller.scopes.has('admin')) {
        throw new LakeloopError(
          'FORBIDDEN',
          `${spec.method} ${spec.path} needs a token with the "${spec.scope}" scope; token "${caller.name}" has ${[...caller.scopes].join(', ') || 'none'}. Create one with \`lakeloop tokens create NAME --scope ${spec.scope}\`.`,
        );
      }
      const query = parseQuery(c, spec.query ?? noQuery) as z.output<TQuery>;
      const body = (
        spec.body === undefined
          ? undefined
          : parseInput(spec.body, await jsonBody(c), spec.bodyName ?? 'request body')
      ) as z.output<TBody>;
      return handler(c, { query, body, caller });
    });
  }
}

/** The path parameter `name` of the route (declared in its path, so always there). */
export function pathParam(c: Context, name: string): string {
  const value = (c.req.param() as Record<string, string | undefined>)[name];
  if (value === undefined)
    throw new LakeloopError('INTERNAL', `Route ${c.req.path} has no path parameter "${name}".`);
  return value;
}
