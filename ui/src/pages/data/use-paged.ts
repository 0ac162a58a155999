/**
 * `usePaged(path)`: a list route read page by page (`after=<nextOffset>`). The first page is a
 * `useApi` answer (so it refetches on live frames, keeping the last rows meanwhile); `loadMore`
 * appends the next page, once per cursor. A new first page (another path, a live frame, `reload`)
 * drops the pages loaded after it, so the rows never mix two versions of the list.
 */
import { useCallback, useRef, useState } from 'react';
import { apiGet } from '../../api-client.js';
import { useApi } from '../../use-api.js';
import type { UseApiOptions } from '../../use-api.js';
import type { DataPage } from './types.js';

/** What {@link usePaged} returns. */
export interface PagedState<T, TPage extends DataPage<T>> {
  /** Every row loaded so far, in the route's order. */
  rows: T[];
  /** The first page as answered (for fields besides `results`, e.g. a diff's summary). */
  first: TPage | undefined;
  /** The pages loaded after the first. */
  more: TPage[];
  hasMore: boolean;
  error: Error | undefined;
  loadingMore: boolean;
  /** Loads the next page (nothing when there is none or it is already coming). */
  loadMore: () => void;
  reload: () => void;
}

interface MorePages<TPage> {
  /** The first page these follow. */
  base: TPage | undefined;
  pages: TPage[];
  error: Error | undefined;
}

/** Reads `path` page by page; `undefined` reads nothing. */
export function usePaged<T, TPage extends DataPage<T> = DataPage<T>>(
  path: string | undefined,
  options: UseApiOptions = {},
): PagedState<T, TPage> {
  const first = useApi<TPage>(path, options);
  const [more, setMore] = useState<MorePages<TPage>>({ base: undefined, pages: [], error: undefined });
  // the cursor being fetched: a ref to refuse a second call at once, a state to show it
  const asking = useRef<string | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const current = more.base === first.data ? more : { base: first.data, pages: [], error: undefined };
  const last = current.pages.at(-1) ?? first.data;
  const cursor = last?.hasMore === true ? last.nextOffset : undefined;

  const loadMore = useCallback(() => {
    // after a failed page, only reload() tries again (the table would call this on every render)
    if (
      path === undefined ||
      cursor === undefined ||
      asking.current === cursor ||
      current.error !== undefined
    )
      return;
    asking.current = cursor;
    setLoadingMore(true);
    const base = first.data;
    const separator = path.includes('?') ? '&' : '?';
    apiGet<TPage>(`${path}${separator}after=${encodeURIComponent(cursor)}`).then(
      (page) => {
        setMore((previous) => {
          const pages = previous.base === base ? previous.pages : [];
          return { base, pages: [...pages, page], error: undefined };
        });
        asking.current = undefined;
        setLoadingMore(false);
      },
      (error: unknown) => {
        setMore((previous) => ({
          base,
          pages: previous.base === base ? previous.pages : [],
          error: error as Error,
        }));
        asking.current = undefined;
        setLoadingMore(false);
      },
    );
  }, [path, cursor, first.data, current.error]);

  const rows = first.data === undefined ? [] : [first.data, ...current.pages].flatMap((p) => p.results);
  return {
    rows,
    first: first.data,
    more: current.pages,
    hasMore: cursor !== undefined,
    error: first.error ?? current.error,
    loadingMore,
    loadMore,
    reload: first.reload,
  };
}
