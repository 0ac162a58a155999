/**
 * `lakefs://<repository>/<ref>/<path>` URIs, the address of data for both backends.
 *
 * @example
 * ```ts
 * const uri = parseDataUri('lakefs://flights/main/months/2001-01.parquet');
 * // { repository: 'flights', ref: 'main', path: 'months/2001-01.parquet' }
 * formatDataUri({ ...uri, ref: '4f3a…' }); // 'lakefs://flights/4f3a…/months/2001-01.parquet'
 * ```
 */
import { LakeloopError } from '../errors.js';
import { checkObjectPath, checkRef, checkRepositoryName } from './data-names.js';

/** The parts of a data URI. `path` is `''` for `lakefs://repo/ref` and `lakefs://repo/ref/`. */
export interface DataUri {
  repository: string;
  ref: string;
  path: string;
}

/** The URI scheme (lakeFS's). */
export const DATA_URI_SCHEME = 'lakefs://';

/** True when `value` starts with `lakefs://`. */
export function isDataUri(value: string): boolean {
  return value.startsWith(DATA_URI_SCHEME);
}

/**
 * Parses `lakefs://<repository>/<ref>/<path>`; INVALID_ARGUMENT for anything else. The path may be
 * empty (a listing of the whole ref) or end with `/` (a prefix).
 */
export function parseDataUri(uri: string): DataUri {
  if (!isDataUri(uri)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid data URI ${JSON.stringify(uri)}: expected lakefs://<repository>/<ref>/<path>.`,
      { details: { uri } },
    );
  }
  const rest = uri.slice(DATA_URI_SCHEME.length);
  const [repository = '', ref = '', ...pathParts] = rest.split('/');
  if (repository === '' || ref === '') {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid data URI ${JSON.stringify(uri)}: it needs a repository and a ref, as in lakefs://flights/main/data.parquet.`,
      { details: { uri } },
    );
  }
  checkRepositoryName(repository);
  checkRef(ref);
  const path = pathParts.join('/');
  if (path !== '') checkObjectPath(path.endsWith('/') ? path.slice(0, -1) : path);
  return { repository, ref, path };
}

/** Formats a data URI from its parts. */
export function formatDataUri(parts: DataUri): string {
  return `${DATA_URI_SCHEME}${parts.repository}/${parts.ref}${parts.path === '' ? '' : `/${parts.path}`}`;
}
