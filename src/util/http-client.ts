/**
 * The HTTP plumbing shared by the lakeFS and MLflow clients: an injectable `fetch`, a base URL,
 * retries with exponential backoff and jitter on 429 and 5xx (and network errors) only.
 *
 * Only requests that are safe to send twice are retried after an attempt whose outcome is unknown
 * (network error, timeout, 5xx): GET, HEAD, PUT and DELETE, POSTs marked `idempotent`, and
 * requests with a `recover` lookup that finds what an earlier attempt created. Any other request
 * is retried only when it surely did not take effect (429, connection refused).
 *
 * Text a server supplies (error bodies and messages) has every configured secret removed before
 * it goes into an error (see `redact-secrets.ts`): the `Authorization` header's token or Basic
 * credentials, and any `secrets` given.
 *
 * @example
 * ```ts
 * const http = new HttpClient({ baseUrl: 'http://127.0.0.1:5000', headers: { authorization: 'Bearer …' } });
 * const body = await http.request<{ experiment: unknown }>({ method: 'GET', path: '/api/2.0/mlflow/experiments/get', query: { experiment_id: '0' } });
 * ```
 */
import { LakeloopError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { redactSecrets, secretVariants, secretsOfAuthorization } from './redact-secrets.js';

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
  /** More secrets to remove from server text (the `authorization` header's are always removed). */
  secrets?: readonly string[];
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
  /**
   * Sending it twice has the effect of sending it once (reads sent as POST, set-like writes).
   * Default: true for GET, HEAD, PUT and DELETE, false for POST and PATCH.
   */
  idempotent?: boolean;
  /**
   * Makes a non-idempotent request (a create) safe to retry: after an attempt whose outcome is
   * unknown, called before sending it again. Returns what the request would have answered when an
   * earlier attempt took effect (found, e.g., by a client-generated id), or undefined to send again.
   */
  recover?: () => Promise<unknown>;
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

const IDEMPOTENT_METHODS: ReadonlySet<HttpRequest['method']> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/** True when a fetch failure means the request never reached the server (safe to send again). */
function connectionRefused(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return true;
    if (current instanceof AggregateError && current.errors.some((e) => connectionRefused(e))) return true;
    current = current.cause;
  }
  return false;
}

/**
 * Refuses a URL carrying credentials (`http://user:secret@host`): they would end up in messages
 * and logs. The message never repeats the URL. `what` names it (`'The MLflow URL'`); `hint` says
 * where the credentials go instead.
 */
export function refuseCredentialsInUrl(url: string, what: string, hint: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return; // not a URL: the caller's validation says so
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${what} contains credentials (user:password@host); remove them from it and ${hint}.`,
    );
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A small JSON-over-HTTP client with retries; used by every REST backend. */
export class HttpClient {
  readonly baseUrl: string;
  readonly #options: HttpClientOptions;
  readonly #fetch: FetchFunction;

  readonly #secrets: string[];

  constructor(options: HttpClientOptions) {
    refuseCredentialsInUrl(
      options.baseUrl,
      `The ${options.serviceName} URL`,
      "pass them as the client's credentials (they are sent in the Authorization header)",
    );
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    const authorization = Object.entries(options.headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'authorization',
    )?.[1];
    this.#secrets = [
      ...secretsOfAuthorization(authorization),
      ...(options.secrets ?? []).flatMap(secretVariants),
    ];
  }

  /**
   * Sends a request, retrying on 429/5xx/network errors when that is safe (see the module
   * comment); throws {@link HttpError} otherwise.
   */
  async request(request: HttpRequest & { raw: true }): Promise<Response>;
  async request<T>(request: HttpRequest): Promise<T>;
  async request<T>(request: HttpRequest): Promise<T | Response> {
    const url = this.#url(request);
    const maxRetries = request.retry === false ? 0 : (this.#options.maxRetries ?? 4);
    const sleep = this.#options.sleep ?? defaultSleep;
    const replayable =
      (request.idempotent ?? IDEMPOTENT_METHODS.has(request.method)) || request.recover !== undefined;
    // True while an attempt may have taken effect and `recover` has not looked since.
    let outcomeUnknown = false;
    for (let attempt = 0; ; attempt++) {
      if (outcomeUnknown && request.recover !== undefined) {
        const recovered = await request.recover();
        if (recovered !== undefined) return recovered as T;
        outcomeUnknown = false;
      }
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
        const neverSent = connectionRefused(cause);
        if (attempt < maxRetries && (replayable || neverSent)) {
          outcomeUnknown ||= !neverSent;
          await sleep(this.#backoff(attempt));
          continue;
        }
        const unsure =
          !replayable && !neverSent
            ? ' It was not retried because it may have taken effect: check before repeating it.'
            : '';
        throw new LakeloopError(
          'UNAVAILABLE',
          `${this.#options.serviceName} at ${this.baseUrl} did not answer ${request.method} ${request.path}; check that it is running and reachable.${unsure}`,
          { cause: this.#redactError(cause) },
        );
      }
      if (response.ok) {
        if (request.raw === true) return response;
        const text = await response.text();
        return this.#parseJson(text, request) as T;
      }
      const body = this.#redact(await response.text().catch(() => ''));
      const retryable = response.status === 429 || (response.status >= 500 && replayable);
      if (retryable && attempt < maxRetries) {
        outcomeUnknown ||= response.status !== 429;
        await sleep(this.#retryAfter(response) ?? this.#backoff(attempt));
        continue;
      }
      const unsure =
        response.status >= 500 && !replayable
          ? ' It was not retried because it may have taken effect: check before repeating it.'
          : '';
      throw new HttpError({
        code: codeForStatus(response.status),
        status: response.status,
        body,
        message: `${this.#options.serviceName} answered ${response.status} to ${request.method} ${request.path}: ${serverMessage(body)}${unsure}`,
      });
    }
  }

  /** `text` without any configured secret (see `redact-secrets.ts`). */
  redact(text: string): string {
    return this.#redact(text);
  }

  #redact(text: string): string {
    return redactSecrets(text, this.#secrets);
  }

  /** A network error's messages may quote what the server sent: keep the error, redacted. */
  #redactError(cause: unknown): unknown {
    if (!(cause instanceof Error)) return cause;
    const message = this.#redact(cause.message);
    if (message === cause.message) return cause;
    const copy = new Error(message);
    copy.name = cause.name;
    return copy;
  }

  #parseJson(text: string, request: HttpRequest): unknown {
    if (text === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // JSON.parse's message quotes the text: never let server text through unredacted.
      throw new LakeloopError(
        'INTERNAL',
        `${this.#options.serviceName} answered ${request.method} ${request.path} with a body that is not JSON (${this.#redact(text.slice(0, 200))}); check the server URL.`,
      );
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
