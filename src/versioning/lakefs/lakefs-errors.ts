/**
 * Turns lakeFS's terse error answers ("branch not found", "error authenticating request") into
 * messages that say what is missing and what to do, like the embedded backend's. The error stays
 * an `HttpError` with the same code, status and body (callers match on those), caused by the raw
 * answer (lakeFS's own words).
 *
 * @example
 * ```ts
 * explainLakeFsError(error, { method: 'GET', path: '/api/v1/repositories/flights/branches/dev' }, endpoint);
 * // Unknown branch "dev" in lakeFS repository "flights"; list branches with `lakeloop data branch list flights`.
 * ```
 */
import { HttpError } from '../../util/http-client.js';
import type { HttpRequest } from '../../util/http-client.js';

/** What a request path names: `/api/v1/repositories/{repository}[/branches|refs|tags/{name}]…`. */
interface Target {
  repository?: string;
  branch?: string;
  ref?: string;
  tag?: string;
  objectPath?: string;
}

function targetOf(request: Pick<HttpRequest, 'path' | 'query'>): Target {
  const parts = request.path.split('/').map((part) => decodeURIComponent(part));
  const at = parts.indexOf('repositories');
  const target: Target = {};
  if (at < 0 || parts[at + 1] === undefined || parts[at + 1] === '') return target;
  target.repository = parts[at + 1];
  const [kind, name] = [parts[at + 2], parts[at + 3]];
  if (kind === 'branches' && name !== undefined) target.branch = name;
  if (kind === 'refs' && name !== undefined) target.ref = name;
  if (kind === 'tags' && name !== undefined) target.tag = name;
  const objectPath = request.query?.['path'];
  if (typeof objectPath === 'string' && parts.includes('objects')) target.objectPath = objectPath;
  return target;
}

/** lakeFS's own message from an error body (`{"message": …}`), else the body. */
function lakeFsSaid(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message.trim();
  } catch {
    // not JSON: the text itself
  }
  return body.trim().slice(0, 200);
}

function notFound(target: Target, said: string, request: Pick<HttpRequest, 'method'>): string | undefined {
  const { repository } = target;
  if (repository === undefined) return undefined;
  // lakeFS names an unknown source ref in its message ("source reference 'x': not found",
  // "get commit from ref x: not found", "get commit by ref x: not found").
  const named = /reference '([^']+)'|\bref ([^\s:]+): not found/.exec(said);
  const namedRef = named?.[1] ?? named?.[2];
  if (namedRef !== undefined) return unknownRef(namedRef, repository);
  if (/repository not found/i.test(said) || (target.branch ?? target.ref ?? target.tag) === undefined) {
    return `Unknown lakeFS repository "${repository}"; create it with \`lakeloop data repo create ${repository}\`, or check that LAKEFS_ENDPOINT names the right server.`;
  }
  if (target.tag !== undefined) {
    return `Unknown tag "${target.tag}" in lakeFS repository "${repository}"; list tags with \`lakeloop data tag list ${repository}\`.`;
  }
  // Reads go through refs/…; a 404 under branches/{name} (a write, a commit, a branch lookup) is the branch.
  if (target.branch !== undefined) {
    return `Unknown branch "${target.branch}" in lakeFS repository "${repository}"; list branches with \`lakeloop data branch list ${repository}\`.`;
  }
  const ref = target.ref ?? target.branch;
  if (target.objectPath !== undefined && ref !== undefined && request.method !== 'POST') {
    return `No object "${target.objectPath}" at ref "${ref}" of lakeFS repository "${repository}" (or no such ref); list objects with \`lakeloop data ls lakefs://${repository}/${ref}/\`.`;
  }
  return ref === undefined ? undefined : unknownRef(ref, repository);
}

function unknownRef(ref: string, repository: string): string {
  return `Unknown ref "${ref}" in lakeFS repository "${repository}": no branch, tag or commit has that name; see \`lakeloop data branch list ${repository}\` and \`lakeloop data log ${repository} main\`.`;
}

/**
 * The same error with a message that says what to do (401, 403, 404, 409), or the error itself
 * when there is nothing better to say.
 */
export function explainLakeFsError(
  error: HttpError,
  request: Pick<HttpRequest, 'method' | 'path' | 'query'>,
  endpoint: string,
): HttpError {
  const said = lakeFsSaid(error.body);
  const target = targetOf(request);
  let message: string | undefined;
  if (error.status === 401) {
    message = `lakeFS at ${endpoint} refused the credentials: check LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY (an access key of a lakeFS user).`;
  } else if (error.status === 403) {
    message = `lakeFS at ${endpoint} does not allow this user to ${request.method} ${request.path}: ask a lakeFS admin to grant the permission (a policy on the user or its group), or use other credentials.`;
  } else if (error.status === 404) {
    message = notFound(target, said, request);
  } else if (error.status === 409 && /already exists|not unique/i.test(said)) {
    const name = target.repository ?? 'it';
    message =
      request.path.endsWith('/repositories') || request.path.endsWith('/repositories/')
        ? `A lakeFS repository of that name exists (or was deleted moments ago: lakeFS keeps the name for a few seconds); pick another name, or retry shortly.`
        : `That name is taken in lakeFS repository "${name}"; pick another or delete the existing one first.`;
  }
  if (message === undefined) return error;
  return new HttpError({
    code: error.code,
    status: error.status,
    body: error.body,
    message,
    cause: error, // lakeFS's own answer, which the CLI prints after the message
  });
}
