/**
 * The UI's one way to call the lakeloop API: same origin, JSON, with the bearer token the user gave
 * (kept in sessionStorage, so it leaves with the tab) when the server asks for one.
 */

const TOKEN_KEY = 'lakeloop.token';

/** An API answer that is not 2xx, with the server's `{ error: { code, message } }` when it sent one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The token the user gave for this tab, if any. */
export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Remembers (or, with '', forgets) the token for this tab. */
export function storeToken(token: string): void {
  if (token === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** GET `path` (e.g. `/api/runs?limit=20`) and parse its JSON. */
export function apiGet<TBody>(path: string, signal?: AbortSignal): Promise<TBody> {
  return apiRequest<TBody>('GET', path, undefined, signal);
}

/** POST `body` as JSON to `path` (an action: trigger, promote, merge…) and parse the answer. */
export function apiPost<TBody>(path: string, body: unknown = {}): Promise<TBody> {
  return apiRequest<TBody>('POST', path, body);
}

async function apiRequest<TBody>(
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<TBody> {
  const token = storedToken();
  const response = await fetch(path, {
    method,
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal === undefined ? {} : { signal }),
  });
  if (!response.ok) {
    const answer = (await response.json().catch(() => undefined)) as
      { error?: { code?: string; message?: string } } | undefined;
    throw new ApiError(
      response.status,
      answer?.error?.code ?? 'HTTP_ERROR',
      answer?.error?.message ?? `${method} ${path} answered ${response.status}`,
    );
  }
  return (await response.json()) as TBody;
}
