/**
 * The Data page's addresses. UI: `/data` (repositories), `/data/<repo>` (overview: branches, tags,
 * create branch, merge), `/data/<repo>/commits?ref=`, `/data/<repo>/objects?ref=&prefix=&path=`,
 * `/data/<repo>/compare?left=&right=`, `/data/<repo>/changes?branch=`. API: the data routes.
 */

/** The views of one repository, in tab order. */
export const REPOSITORY_VIEWS = [
  { id: 'overview', title: 'Overview' },
  { id: 'commits', title: 'Commits' },
  { id: 'objects', title: 'Objects' },
  { id: 'compare', title: 'Compare' },
  { id: 'changes', title: 'Uncommitted changes' },
] as const;

/** One view of a repository. */
export type RepositoryView = (typeof REPOSITORY_VIEWS)[number]['id'];

/** What a `/data…` path names: no repository (the list), or a repository and one of its views. */
export type DataLocation =
  | { repo: undefined }
  | { repo: string; view: RepositoryView }
  | { repo: string; view: undefined; unknown: string };

/** Reads `/data/<repo>/<view>`. */
export function parseDataPath(path: string): DataLocation {
  const [, , repoPart, viewPart] = path.split('/');
  if (repoPart === undefined || repoPart === '') return { repo: undefined };
  const repo = decodeURIComponent(repoPart);
  if (viewPart === undefined || viewPart === '') return { repo, view: 'overview' };
  const view = REPOSITORY_VIEWS.find((v) => v.id === viewPart);
  return view === undefined ? { repo, view: undefined, unknown: viewPart } : { repo, view: view.id };
}

/** A query string from fields ('' and undefined left out), with its `?` when not empty. */
export function queryString(fields: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The UI path of a repository's view, e.g. `dataPath('flights', 'commits', { ref: 'main' })`. */
export function dataPath(
  repo: string,
  view: RepositoryView = 'overview',
  query: Record<string, string | undefined> = {},
): string {
  const base = `/data/${encodeURIComponent(repo)}`;
  return (view === 'overview' ? base : `${base}/${view}`) + queryString(query);
}

/** The API path under a repository, e.g. `repoApi('flights', '/commits')`. */
export function repoApi(repo: string, rest = ''): string {
  return `/api/data/repositories/${encodeURIComponent(repo)}${rest}`;
}
