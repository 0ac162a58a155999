/**
 * History routing without a library: the path and the query string are the view state (the server
 * answers index.html for every non-/api path, so a copied link opens the same view). `navigate`
 * pushes (or replaces) a location and tells every subscriber; `useQueryParam` keeps one piece of a
 * page's state in the query string.
 */
import { useCallback, useSyncExternalStore } from 'react';

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

/** The current query string (e.g. `?status=FAILURE`), re-rendering on navigation. */
export function useLocationSearch(): string {
  return useSyncExternalStore(subscribe, () => window.location.search);
}

/** Options of {@link navigate}. */
export interface NavigateOptions {
  /** Replace the current history entry (filters typed in a box) instead of adding one. */
  replace?: boolean;
}

/** Goes to `to` (a path with an optional query) without reloading. */
export function navigate(to: string, options: NavigateOptions = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (options.replace === true) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

/** The current location with `changes` applied to its query ('' or undefined removes a key). */
export function withQuery(changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') params.delete(key);
    else params.set(key, value);
  }
  const query = params.toString();
  return window.location.pathname + (query === '' ? '' : `?${query}`);
}

/**
 * One query parameter as state: `[value, setValue]`, `fallback` when absent. Setting it replaces
 * the history entry unless `push` is asked for (so typing in a filter does not flood Back).
 */
export function useQueryParam(
  key: string,
  fallback = '',
): [string, (value: string, options?: { push?: boolean }) => void] {
  const search = useLocationSearch();
  const value = new URLSearchParams(search).get(key) ?? fallback;
  const setValue = useCallback(
    (next: string, options: { push?: boolean } = {}) => {
      navigate(withQuery({ [key]: next === fallback ? undefined : next }), {
        replace: options.push !== true,
      });
    },
    [key, fallback],
  );
  return [value, setValue];
}
