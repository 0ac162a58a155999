/**
 * A typed client of the MLflow REST API 2.0 (`/api/2.0/mlflow/...`) and the artifact proxy
 * (`/api/2.0/mlflow-artifacts/artifacts/...`), built on {@link HttpClient} (retries on 429/5xx and
 * network errors only). Authentication: a bearer token or basic credentials, sent as a header and
 * never logged or put in error messages (server text is redacted of them before it goes into one).
 *
 * MLflow uses POST for reads (`runs/search`) and for writes of every kind, so each POST says
 * whether it may be retried: `idempotent` (reads, `log-batch`, `set-tag`, `update`...), or a
 * `recover` lookup that finds what an earlier attempt created (`runs/create`,
 * `model-versions/create`); any other POST is not retried once it may have reached the server.
 *
 * @example
 * ```ts
 * const client = new MlflowRestClient({ url: 'http://127.0.0.1:5000' });
 * const body = await client.get('experiments/get-by-name', { experiment_name: 'demo' }, z.object({ experiment: ExperimentSchema }));
 * ```
 */
import type { z } from 'zod';
import { LakeloopError } from '../../errors.js';
import { HttpClient, HttpError } from '../../util/http-client.js';
import type { FetchFunction } from '../../util/http-client.js';

/** Credentials for an MLflow server (from `MLFLOW_TRACKING_TOKEN` or `..._USERNAME`/`..._PASSWORD`). */
export type MlflowAuth = { token: string } | { username: string; password: string };

/** Options of {@link MlflowRestClient}. */
export interface MlflowRestClientOptions {
  /** The tracking server, e.g. `http://127.0.0.1:5000` (a path prefix is kept). */
  url: string;
  auth?: MlflowAuth;
  /** Default: the global fetch. */
  fetch?: FetchFunction;
  /** Retries on 429/5xx/network errors. Default 5 (about 6 s of backoff in total). */
  maxRetries?: number;
  /** Default 200 ms. */
  retryBaseDelayMs?: number;
  /** Injectable wait between retries. */
  sleep?: (ms: number) => Promise<void>;
}

/** How a POST may be retried (see {@link MlflowRestClient.post}). */
export interface PostRetry {
  /** Sending it twice does what sending it once does (a read, a set-like write). */
  idempotent?: boolean;
  /**
   * Looks up what an earlier attempt created: the body the endpoint would have answered (it is
   * validated with the same schema), or undefined when nothing was created.
   */
  recover?: () => Promise<unknown>;
}

/**
 * The tag a create carries so that, after an unanswered attempt, the client can find what that
 * attempt created instead of creating it twice.
 */
export const REQUEST_ID_TAG = 'lakeloop.request_id';

const API = '/api/2.0/mlflow/';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';

/** The typed MLflow REST client. */
export class MlflowRestClient {
  readonly url: string;
  readonly #http: HttpClient;

  constructor(options: MlflowRestClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    const headers: Record<string, string> = {};
    if (options.auth !== undefined) {
      headers.authorization =
        'token' in options.auth
          ? `Bearer ${options.auth.token}`
          : `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
    }
    this.#http = new HttpClient({
      baseUrl: this.url,
      headers,
      serviceName: 'MLflow',
      maxRetries: options.maxRetries ?? 5,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.retryBaseDelayMs === undefined ? {} : { retryBaseDelayMs: options.retryBaseDelayMs }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
  }

  /** GET an endpoint (relative to `/api/2.0/mlflow/`), validating the answer with `schema`. */
  async get<TSchema extends z.ZodType>(
    endpoint: string,
    query: Record<string, string | number | undefined>,
    schema: TSchema,
  ): Promise<z.infer<TSchema>> {
    return this.#call({ method: 'GET', endpoint, query, schema });
  }

  /**
   * POST a JSON body to an endpoint, validating the answer with `schema`. Retried after an
   * uncertain failure only with `retry.idempotent` or `retry.recover` (see the module comment).
   */
  async post<TSchema extends z.ZodType>(
    endpoint: string,
    body: unknown,
    schema: TSchema,
    retry: PostRetry = {},
  ): Promise<z.infer<TSchema>> {
    return this.#call({ method: 'POST', endpoint, body, schema, ...retry });
  }

  /** DELETE with a JSON body (MLflow reads DELETE parameters from the body). */
  async delete<TSchema extends z.ZodType>(
    endpoint: string,
    body: unknown,
    schema: TSchema,
  ): Promise<z.infer<TSchema>> {
    return this.#call({ method: 'DELETE', endpoint, body, schema });
  }

  /** Uploads bytes to the artifact proxy at `path` (relative to the artifact root). */
  async putArtifact(path: string, bytes: Uint8Array): Promise<void> {
    await this.#wrap(`PUT ${path}`, () =>
      this.#http.request({
        method: 'PUT',
        path: `${ARTIFACTS}/${encodePath(path)}`,
        body: bytes,
        headers: { 'content-type': 'application/octet-stream' },
      }),
    );
  }

  /** Downloads one artifact file from the proxy. */
  async getArtifact(path: string): Promise<Uint8Array> {
    const response = await this.#wrap(`GET ${path}`, () =>
      this.#http.request({ method: 'GET', path: `${ARTIFACTS}/${encodePath(path)}`, raw: true }),
    );
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Lists a folder of the artifact proxy. */
  async listArtifacts<TSchema extends z.ZodType>(path: string, schema: TSchema): Promise<z.infer<TSchema>> {
    const body = await this.#wrap(`list ${path}`, () =>
      this.#http.request<unknown>({ method: 'GET', path: ARTIFACTS, query: { path } }),
    );
    return parse(schema, body, 'mlflow-artifacts/artifacts');
  }

  async #call<TSchema extends z.ZodType>(options: {
    method: 'GET' | 'POST' | 'DELETE';
    endpoint: string;
    query?: Record<string, string | number | undefined>;
    body?: unknown;
    schema: TSchema;
    idempotent?: boolean;
    recover?: () => Promise<unknown>;
  }): Promise<z.infer<TSchema>> {
    const body = await this.#wrap(options.endpoint, () =>
      this.#http.request<unknown>({
        method: options.method,
        path: API + options.endpoint,
        ...(options.query === undefined ? {} : { query: options.query }),
        ...(options.body === undefined ? {} : { json: options.body }),
        ...(options.idempotent === undefined ? {} : { idempotent: options.idempotent }),
        ...(options.recover === undefined ? {} : { recover: options.recover }),
      }),
    );
    return parse(options.schema, body, options.endpoint);
  }

  async #wrap<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw remapError(error, what);
    }
  }
}

function parse<TSchema extends z.ZodType>(
  schema: TSchema,
  body: unknown,
  endpoint: string,
): z.infer<TSchema> {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new LakeloopError(
      'INTERNAL',
      `MLflow answered ${endpoint} with an unexpected body; check that the server speaks the MLflow REST API 2.0.`,
      { cause: result.error },
    );
  }
  return result.data;
}

/** The MLflow `error_code` of an HTTP error, when the body carries one. */
export function mlflowErrorCode(error: unknown): string | undefined {
  if (!(error instanceof HttpError)) return undefined;
  try {
    const body = JSON.parse(error.body) as { error_code?: unknown };
    return typeof body.error_code === 'string' ? body.error_code : undefined;
  } catch {
    return undefined;
  }
}

/** Maps MLflow's error codes onto lakeloop's (already-exists, not-found, param conflicts). */
function remapError(error: unknown, what: string): unknown {
  if (!(error instanceof HttpError)) return error;
  const code = mlflowErrorCode(error);
  if (code === 'RESOURCE_ALREADY_EXISTS') {
    return new LakeloopError('ALREADY_EXISTS', error.message, { cause: error, details: { endpoint: what } });
  }
  if (code === 'RESOURCE_DOES_NOT_EXIST' || code === 'NOT_FOUND') {
    return new LakeloopError('NOT_FOUND', error.message, { cause: error, details: { endpoint: what } });
  }
  if (error.body.includes('Changing param values is not allowed')) {
    return new LakeloopError(
      'CONFLICT',
      `${error.message} Params are immutable: log the value under another key or start a new run.`,
      { cause: error },
    );
  }
  return error;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
