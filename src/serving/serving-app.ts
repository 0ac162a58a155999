/**
 * The model server's HTTP app (Hono). Routes:
 *
 * - `POST /invocations` (MLflow's path; also `/predict`): rows in, `{"predictions": [...]}` out,
 *   with `x-model-name` / `x-model-version` naming the version that answered. JSON rows by
 *   feature name, a raw float32 body (`application/octet-stream`) or Arrow IPC
 *   (`application/vnd.apache.arrow.stream`); at most 10,000 rows and 2 MiB (413 beyond).
 * - `GET /health` (no token): ok, name and version.
 * - `GET /model`: the served version, its signature and metrics, the alias and where it points,
 *   whether the server is rolled back, the previous version, the last swap error.
 * - `POST /rollback` (`promote` scope): serve the previous version until the alias moves again.
 *
 * Tokens and scopes are the API's (`apiAuth`, bearer-token.ts): with no token configured every
 * caller is local, which the server allows on loopback only.
 *
 * @example
 * ```ts
 * const app = createServingApp({ slot, describe: () => ({ alias: 'champion', aliasVersion: '3' }) });
 * const res = await app.request('/invocations', { method: 'POST', body: '{"inputs": {"hour": 7}}' });
 * ```
 */
import type { IncomingMessage } from 'node:http';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { LakeloopError } from '../errors.js';
import { errorResponse } from '../server/api-errors.js';
import { callerOf } from '../server/api-tokens.js';
import type { ApiScope, ApiTokenFile } from '../server/api-tokens.js';
import { apiAuth } from '../server/bearer-token.js';
import { decodeArrowRequest } from './arrow-ipc-reader.js';
import type { ModelSlot } from './model-slot.js';
import { decodeFloat32Request, decodeJsonRequest, MAX_BODY_BYTES } from './request-body.js';
import type { DecodedRequest } from './request-body.js';
import type { ServedModel } from './served-model.js';

/** What `GET /model` adds about following the alias (the follower knows it). */
export interface FollowState {
  /** The alias followed; undefined when serving a fixed version. */
  alias?: string;
  /** The version the alias points at (as last read). */
  aliasVersion?: string;
  lastSwapError?: { version: string; message: string; at: number };
}

/** Options of {@link createServingApp}. */
export interface ServingAppOptions {
  slot: ModelSlot;
  /** The follower's state, read on each `GET /model`. Default: a fixed version. */
  followState?: () => FollowState;
  /** Rolls back (default: the slot's rollback); a cluster worker asks every worker to. */
  rollback?: () => Promise<ServedModel>;
  /** Receives every answered batch, after the response is built (the prediction log). */
  onPredictions?: (entry: {
    model: ServedModel;
    matrix: Float32Array;
    rows: number;
    predictions: Float64Array;
  }) => void;
  /** More fields of `GET /model` (e.g. the prediction log's counts). */
  extraState?: () => Record<string, unknown>;
  /** One token with every scope. */
  token?: string;
  /** Scoped tokens (the instance's token file). */
  tokens?: ApiTokenFile;
}

const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** Builds the serving app (see the module comment). */
export function createServingApp(options: ServingAppOptions): Hono {
  const app = new Hono();
  const { slot } = options;
  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) =>
    errorResponse(
      c,
      new LakeloopError(
        'NOT_FOUND',
        `No route ${c.req.method} ${c.req.path}; the model server has POST /invocations, GET /health, GET /model and POST /rollback.`,
      ),
    ),
  );
  app.get('/health', (c) => {
    const { name, version } = slot.current.info;
    return c.json({ status: 'ok', name, version });
  });
  app.use(
    '*',
    apiAuth({
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
    }),
  );
  app.get('/model', (c) => {
    requireScope(c, 'read');
    const current = slot.current;
    const follow = options.followState?.() ?? {};
    return c.json({
      ...current.info,
      signature: { inputs: current.info.inputs, outputs: [{ type: 'tensor', name: 'probability' }] },
      alias: follow.alias ?? null,
      aliasVersion: follow.aliasVersion ?? null,
      // Rolled back: the previous version serves until the alias moves again.
      rolledBack: slot.rolledBack,
      previousVersion: slot.previous?.info.version ?? null,
      lastSwapError: follow.lastSwapError ?? null,
      trainingProfile: current.profile !== undefined,
      ...options.extraState?.(),
    });
  });
  const invoke = async (c: Context): Promise<Response> => {
    requireScope(c, 'read');
    const type = (header(c, 'content-type') ?? 'application/json').split(';')[0]?.trim().toLowerCase();
    const bytes = await readBody(c);
    if (bytes === undefined) return tooLarge(c);
    const model = slot.lease();
    try {
      const request = decodeRequest(bytes, type ?? '', header(c, 'x-columns'), model);
      const predictions = await model.predict(request.matrix, request.rows);
      const body = `{"predictions":[${predictions.join(',')}]}`;
      options.onPredictions?.({ model, matrix: request.matrix, rows: request.rows, predictions });
      return c.body(body, 200, {
        'content-type': 'application/json',
        'x-model-name': model.info.name,
        'x-model-version': model.info.version,
      });
    } finally {
      model.release();
    }
  };
  app.post('/invocations', invoke);
  app.post('/predict', invoke);
  app.post('/rollback', async (c) => {
    requireScope(c, 'promote');
    const from = slot.current.info.version;
    const to = await (options.rollback ?? (() => Promise.resolve(slot.rollback())))();
    return c.json({ name: to.info.name, version: to.info.version, from });
  });
  return app;
}

/** A request header, read from Node's own header object when there is one (Hono's Headers cost a copy). */
function header(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * The body, or undefined when it is larger than {@link MAX_BODY_BYTES}: refused from its
 * content-length before reading, or while streaming a chunked one. Hono's bodyLimit middleware
 * is not used: touching `c.req.raw.body` turns the request into a web stream and costs ~0.2 ms.
 */
async function readBody(c: Context): Promise<Uint8Array | undefined> {
  const length = header(c, 'content-length');
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (length !== undefined || incoming === undefined) {
    if (Number(length ?? 0) > MAX_BODY_BYTES) return undefined;
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    return bytes.byteLength > MAX_BODY_BYTES ? undefined : bytes;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  const joined = Buffer.concat(chunks);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}

function tooLarge(c: Context): Response {
  return c.json(
    {
      error: {
        code: 'INVALID_ARGUMENT',
        message: `The request body is larger than ${MAX_BODY_BYTES} bytes; split the batch (at most 10,000 rows).`,
      },
    },
    413,
    // The unread rest of the body would be taken for the next request on this connection.
    { connection: 'close' },
  );
}

const utf8 = new TextDecoder();

function decodeRequest(
  bytes: Uint8Array,
  type: string,
  columns: string | undefined,
  model: ServedModel,
): DecodedRequest {
  switch (type) {
    case 'application/octet-stream':
      return decodeFloat32Request(bytes, model, columns);
    case ARROW_STREAM:
      return decodeArrowRequest(bytes, model);
    // fetch sends a string as text/plain and curl -d as a form: both are JSON here.
    case 'application/json':
    case 'text/plain':
    case 'application/x-www-form-urlencoded':
    case '': {
      let body: unknown;
      try {
        body = JSON.parse(utf8.decode(bytes));
      } catch (cause) {
        throw new LakeloopError('INVALID_ARGUMENT', `The body is not JSON (${(cause as Error).message}).`, {
          cause,
        });
      }
      return decodeJsonRequest(body, model);
    }
    default:
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Unsupported content-type "${type}"; send application/json, application/octet-stream (float32 rows) or ${ARROW_STREAM}.`,
      );
  }
}

function requireScope(c: Context, scope: ApiScope): void {
  const caller = callerOf(c);
  if (!caller.scopes.has(scope) && !caller.scopes.has('admin')) {
    throw new LakeloopError(
      'FORBIDDEN',
      `${c.req.method} ${c.req.path} needs a token with the "${scope}" scope; token "${caller.name}" has ${[...caller.scopes].join(', ') || 'none'}.`,
    );
  }
}
