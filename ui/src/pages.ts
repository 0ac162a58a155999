/**
 * The UI's pages (issue #15), in navigation order: the first path segment picks one. Each page but
 * Home is its own chunk (loaded on first visit), so the first page stays small whatever the others
 * need (the graph and chart libraries).
 */
import { lazy } from 'react';
import type { ComponentType } from 'react';
import { HomePage } from './pages/home-page.js';
import type { PageProps } from './pages/page-props.js';

/** One page: its id, where it lives, its title in the navigation, and its component. */
export interface Page {
  id: string;
  path: string;
  title: string;
  component: ComponentType<PageProps>;
}

const page = (id: string, title: string, load: () => Promise<ComponentType<PageProps>>): Page => ({
  id,
  path: id === 'home' ? '/' : `/${id}`,
  title,
  component: lazy(async () => ({ default: await load() })),
});

/** Every page. */
export const PAGES: readonly Page[] = [
  // Home is in the first chunk: it is the landing page, and a lazy chunk would cost a round trip.
  { id: 'home', path: '/', title: 'Home', component: HomePage },
  page('assets', 'Assets', async () => (await import('./pages/assets/assets-page.js')).AssetsPage),
  page('runs', 'Runs', async () => (await import('./pages/runs/runs-page.js')).RunsPage),
  page(
    'automation',
    'Automation',
    async () => (await import('./pages/automation/automation-page.js')).AutomationPage,
  ),
  page('data', 'Data', async () => (await import('./pages/data/data-page.js')).DataPage),
  page(
    'experiments',
    'Experiments',
    async () => (await import('./pages/experiments/experiments-page.js')).ExperimentsPage,
  ),
  page('models', 'Models', async () => (await import('./pages/models/models-page.js')).ModelsPage),
  page('lineage', 'Lineage', async () => (await import('./pages/lineage/lineage-page.js')).LineagePage),
];

/** The page a path belongs to (`/runs/abc` → Runs), or undefined for an unknown path. */
export function pageOf(path: string): Page | undefined {
  const first = path.split('/')[1] ?? '';
  return PAGES.find((p) => p.path === `/${first}`);
}
