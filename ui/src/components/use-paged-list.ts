/**
 * `usePagedList(path)`: the rows of an `after=` paged list route (`{ results, hasMore, nextOffset }`),
 * one page at a time: `loadMore` appends the next page (a VirtualTable's `onEndReached`), `reload`
 * fetches again as many rows as are shown (after an action or a live frame), so a refresh keeps the
 * user's place. A new `path` starts over.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { apiGet } from '../api-client.js';
import { useLiveFrames } from '../live-stream.js';
import type { LiveTopic } from '../live-stream.js';
import { LIVE_REFETCH_MS } from '../use-api.js';

/** One page of a list route. */
export interface PagedAnswer<TRow> {
  results: TRow[];
  hasMore: boolean;
  nextOffset: string;
}

/** What {@link usePagedList} returns. */
export interface PagedList<TRow> {
  rows: TRow[];
  hasMore: boolean;
  /** The first page has not come yet. */
  loading: boolean;
  error: Error | undefined;
  loadMore: () => void;
  reload: () => void;
}

/** The API's largest page. */
const MAX_LIMIT = 1000;
const NO_TOPICS: readonly LiveTopic[] = [];

const withParams = (path: string, params: Record<string, string>): string => {
  const query = new URLSearchParams(params).toString();
  return path + (path.includes('?') ? '&' : '?') + query;
};

/** Pages through `path` (`undefined`: nothing), `pageSize` rows at a time. */
export function usePagedList<TRow>(
  path: string | undefined,
  pageSize = 100,
  live: readonly LiveTopic[] = NO_TOPICS,
): PagedList<TRow> {
  const [state, setState] = useState<{
    rows: TRow[];
    hasMore: boolean;
    next: string;
    loading: boolean;
    error: Error | undefined;
  }>({ rows: [], hasMore: false, next: '', loading: true, error: undefined });
  // the request in flight (one at a time), and the path it belongs to (answers of an old path are dropped)
  const inFlight = useRef<AbortController | undefined>(undefined);
  const current = useRef(path);
  current.current = path;

  const fetchPage = useCallback(
    (after: string, limit: number, replace: boolean) => {
      if (path === undefined) return;
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      const params: Record<string, string> = { limit: String(limit) };
      if (after !== '') params['after'] = after;
      apiGet<PagedAnswer<TRow>>(withParams(path, params), controller.signal).then(
        (answer) => {
          if (current.current !== path) return;
          inFlight.current = undefined;
          setState((previous) => ({
            rows: replace ? answer.results : [...previous.rows, ...answer.results],
            hasMore: answer.hasMore,
            next: answer.nextOffset,
            loading: false,
            error: undefined,
          }));
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          inFlight.current = undefined;
          setState((previous) => ({ ...previous, loading: false, error: error as Error }));
        },
      );
    },
    [path],
  );

  useEffect(() => {
    setState({ rows: [], hasMore: false, next: '', loading: true, error: undefined });
    fetchPage('', pageSize, true);
    return () => inFlight.current?.abort();
  }, [fetchPage, pageSize]);

  const shown = useRef(0);
  shown.current = state.rows.length;
  const reload = useCallback(() => {
    fetchPage('', Math.min(MAX_LIMIT, Math.max(pageSize, shown.current)), true);
  }, [fetchPage, pageSize]);

  // a burst of frames (a run's steps) refetches once, after the burst
  const liveTimer = useRef<number | undefined>(undefined);
  useLiveFrames(path === undefined ? NO_TOPICS : live, () => {
    if (liveTimer.current !== undefined) return;
    liveTimer.current = window.setTimeout(() => {
      liveTimer.current = undefined;
      reload();
    }, LIVE_REFETCH_MS);
  });
  useEffect(
    () => () => {
      window.clearTimeout(liveTimer.current);
    },
    [],
  );

  const { hasMore, next } = state;
  const loadMore = useCallback(() => {
    if (!hasMore || inFlight.current !== undefined) return;
    fetchPage(next, pageSize, false);
  }, [fetchPage, hasMore, next, pageSize]);

  return {
    rows: state.rows,
    hasMore: state.hasMore,
    loading: state.loading,
    error: state.error,
    loadMore,
    reload,
  };
}
