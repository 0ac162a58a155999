/**
 * History routing without a library: the path is the view state (the server answers index.html for
 * every non-/api path, so a copied link opens the same page). `navigate` pushes a path and tells
 * every `useLocation` subscriber.
 */
import { useSyncExternalStore } from 'react';

const CHANGE = 'lakeloop:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

/** The current path (e.g. `/runs/abc`), re-rendering on navigation. */
export function useLocationPath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** Goes to `path` without reloading. */
export function navigate(path: string): void {
  if (path === window.location.pathname) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(CHANGE));
}
