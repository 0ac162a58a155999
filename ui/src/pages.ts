/**
 * The UI's pages (issue #15), in navigation order: the first path segment picks one. Each page but
 * Home is its own chunk, so the first page stays small whatever the others need (the graph and
 * chart libraries). Chunks are loaded by hand rather than with React.lazy: a suspended lazy page
 * is revealed on React's Suspense throttle (300 ms), which doubled a deep link's first render.
 * main.tsx loads the page of the URL before the first render and the others once the browser is
 * idle, so navigating rarely waits.
 */
import { useEffect, useState } from 'react';
import type { ComponentType } from 'react';
import { HomePage } from './pages/home-page.js';
import type { PageProps } from './pages/page-props.js';

/** One page: its id, where it lives, its title in the navigation, and how to load its component. */
export interface Page {
  id: string;
  path: string;
  title: string;
  load: () => Promise<ComponentType<PageProps>>;
}

const page = (id: string, title: string, load: () => Promise<ComponentType<PageProps>>): Page => ({
  id,
  path: `/${id}`,
  title,
  load,
});

const loaded = new Map<string, ComponentType<PageProps>>();

/** Loads a page's chunk (once) and remembers its component. */
export async function loadPage(target: Page): Promise<ComponentType<PageProps>> {
  const component = loaded.get(target.id) ?? (await target.load());
  loaded.set(target.id, component);
  return component;
}

/** The page's component, or undefined while its chunk loads (then re-renders). */
export function usePageComponent(target: Page | undefined): ComponentType<PageProps> | undefined {
  const [, setGeneration] = useState(0);
  const component = target === undefined ? undefined : loaded.get(target.id);
  useEffect(() => {
    if (target === undefined || component !== undefined) return;
    void loadPage(target).then(() => {
      setGeneration((g) => g + 1);
    });
  }, [target, component]);
  return component;
}

/** Every page. */
export const PAGES: readonly Page[] = [
  // Home is in the first chunk: it is the landing page, and a lazy chunk would cost a round trip.
  { id: 'home', path: '/', title: 'Home', load: () => Promise.resolve(HomePage) },
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
