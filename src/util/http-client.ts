/**
 * The HTTP plumbing shared by the lakeFS and MLflow clients: an injectable `fetch`, a base URL,
 * retries with exponential backoff and jitter on 429 and 5xx (and network errors) only.
 *
 * @example
 * ```ts
 * const http = new HttpClient({ baseUrl: 'http://127.0.0.1:5000', headers: { authorization: 'Bearer …' } });
 * const body = await http.request<{ experiment: unknown }>({ method: 'GET', path: '/api/2.0/mlflow/experiments/get', query: { experiment_id: '0' } });
 * ```
 */
import { LakeloopError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** The `fetch` signature the clients use, so tests and callers can inject their own. */
export type FetchFunction = typeof fetch;

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  /** Base URL such as `http://127.0.0.1:8000`; request paths are appended to it. */
  baseUrl: string;
  /** Headers sent with every request (authorization goes here; it is never logged). */
  headers?: Record<string, string>;
  /** Default: the global `fetch`. */
  fetch?: FetchFunction;
  /** Attempts after the first one, on 429/5xx/network errors. Default 4. */
  maxRetries?: number;
  /** First backoff delay; doubles each attempt, with jitter. Default 200 ms. */
  retryBaseDelayMs?: number;
  /** Per-request timeout. Default 60 000 ms. */
  timeoutMs?: number;
  /** Name of the service in error messages, e.g. `'lakeFS'`. */
  serviceName: string;
  /** Waits between retries; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/** One request. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body (serialized) or raw bytes/stream. */
  json?: unknown;
  body?: RequestInit['body'];
  headers?: Record<string, string>;
  /** Return the raw response instead of parsing JSON. */
  raw?: boolean;
  /** Raw streaming bodies cannot be replayed: disable retries for them. */
  retry?: boolean;
}

/** An HTTP error answered by the server, mapped to a lakeloop code. */
export class HttpError extends LakeloopError {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly body: string;

  constructor(options: { code: ErrorCode; message: string; status: number; body: string; cause?: unknown }) {
    super(options.code, options.message, { cause: options.cause, details: { status: options.status } });
    this.status = options.status;
    this.body = options.body;
  }
}

/** Maps an HTTP status to the lakeloop error code that the embedded backends use. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 422) return 'INVALID_ARGUMENT';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 412) return 'PRECONDITION_FAILED';
  if (status === 429 || status >= 500) return 'UNAVAILABLE';
  return 'INTERNAL';
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A small JSON-over-HTTP client with retries; used by every REST backend. */
export class HttpClient {
  readonly baseUrl: string;
  readonly #options: HttpClientOptions;
  readonly #fetch: FetchFunction;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Sends a request, retrying on 429/5xx/network errors; throws {@link HttpError} otherwise. */
  async request(request: HttpRequest & { raw: true }): Promise<Response>;
  async request<T>(request: HttpRequest): Promise<T>;
  async request<T>(request: HttpRequest): Promise<T | Response> {
    const url = this.#url(request);
    const maxRetries = request.retry === false ? 0 : (this.#options.maxRetries ?? 4);
    const sleep = this.#options.sleep ?? defaultSleep;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        const init: RequestInit & { duplex?: 'half' } = {
          method: request.method,
          headers: {
            ...this.#options.headers,
            ...(request.json === undefined ? {} : { 'content-type': 'application/json' }),
            ...request.headers,
          },
          body: request.json === undefined ? request.body : JSON.stringify(request.json),
          signal: AbortSignal.timeout(this.#options.timeoutMs ?? 60_000),
          ...(request.body instanceof ReadableStream ? { duplex: 'half' } : {}),
        };
        response = await this.#fetch(url, init);
      } catch (cause) {
        if (attempt < maxRetries) {
          await sleep(this.#backoff(attempt));
          continue;
        }
        throw new LakeloopError(
          'UNAVAILABLE',
          `${this.#options.serviceName} at ${this.baseUrl} did not answer ${request.method} ${request.path}; check that it is running and reachable.`,
          { cause },
        );
      }
      if (response.ok) {
        if (request.raw === true) return response;
        const text = await response.text();
        return (text === '' ? {} : JSON.parse(text)) as T;
      }
      const retryable = response.status === 429 || response.status >= 500;
      const body = await response.text().catch(() => '');
      if (retryable && attempt < maxRetries) {
        await sleep(this.#retryAfter(response) ?? this.#backoff(attempt));
        continue;
      }
      throw new HttpError({
        code: codeForStatus(response.status),
        status: response.status,
        body,
        message: `${this.#options.serviceName} answered ${response.status} to ${request.method} ${request.path}: ${serverMessage(body)}`,
      });
    }
  }

  #url(request: HttpRequest): string {
    const url = new URL(this.baseUrl + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  #backoff(attempt: number): number {
    const base = (this.#options.retryBaseDelayMs ?? 200) * 2 ** attempt;
    return base / 2 + Math.random() * (base / 2);
  }

  #retryAfter(response: Response): number | undefined {
    const header = response.headers.get('retry-after');
    const seconds = header === null ? Number.NaN : Number(header);
    return Number.isFinite(seconds) ? Math.min(seconds * 1000, 30_000) : undefined;
  }
}

/** Extracts a server's error message from a JSON body (lakeFS `message`, MLflow `message`), or the raw text. */
function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error_code?: unknown };
    if (typeof parsed.message === 'string') {
      return typeof parsed.error_code === 'string'
        ? `${parsed.error_code}: ${parsed.message}`
        : parsed.message;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 300) || '(empty body)';
}
