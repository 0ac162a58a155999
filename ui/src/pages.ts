/** The UI's pages (issue #15), in navigation order: the first path segment picks one. */
export const PAGES = [
  { id: 'home', path: '/', title: 'Home', built: true },
  { id: 'assets', path: '/assets', title: 'Assets', built: false },
  { id: 'runs', path: '/runs', title: 'Runs', built: false },
  { id: 'automation', path: '/automation', title: 'Automation', built: false },
  { id: 'data', path: '/data', title: 'Data', built: false },
  { id: 'experiments', path: '/experiments', title: 'Experiments', built: false },
  { id: 'models', path: '/models', title: 'Models', built: false },
  { id: 'lineage', path: '/lineage', title: 'Lineage', built: false },
] as const;

/** One page of {@link PAGES}. */
export type Page = (typeof PAGES)[number];

/** The page a path belongs to (`/runs/abc` → Runs), or undefined for an unknown path. */
export function pageOf(path: string): Page | undefined {
  const first = path.split('/')[1] ?? '';
  return PAGES.find((page) => page.path === `/${first}`);
}
