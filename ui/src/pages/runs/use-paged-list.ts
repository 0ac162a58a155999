/**
 * A list read page by page with the API's `after=<cursor>` paging, kept as it grows: the first page
 * when the path changes, the next one on `loadMore` (the table's end was reached). Live frames
 * either refresh the head (`'head'`: newest-first lists such as runs, whose new rows come first) or
 * fetch what follows the last row (`'tail'`: oldest-first logs, once their end was reached). Only
 * pages are fetched, never the whole list.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { apiGet } from '../../api-client.js';
import { useLiveFrames } from '../../live-stream.js';
import type { LiveFrame, LiveTopic } from '../../live-stream.js';

/** One page, as the caller reads it from the answer. */
export interface Page<TRow> {
  rows: TRow[];
  hasMore: boolean;
}

/** Options of {@link usePagedList}. */
export interface PagedListOptions<TRow> {
  /** Reads the rows out of an answer. */
  read: (answer: unknown) => Page<TRow>;
  rowKey: (row: TRow) => string;
  /** The `after=` cursor of the page that follows `row`. */
  cursorOf: (row: TRow) => string;
  live?: { topics: readonly LiveTopic[]; accept: (frame: LiveFrame) => boolean; mode: 'head' | 'tail' };
}

/** What {@link usePagedList} returns. */
export interface PagedList<TRow> {
  rows: readonly TRow[];
  hasMore: boolean;
  loading: boolean;
  error: Error | undefined;
  loadMore: () => void;
  /** Fetches the head again (after an action). */
  refresh: () => void;
}

const LIVE_WAIT_MS = 300;

const withAfter = (path: string, cursor: string): string =>
  `${path}${path.includes('?') ? '&' : '?'}after=${encodeURIComponent(cursor)}`;

/** The list at `path` (which holds the filters and `limit`); undefined fetches nothing. */
export function usePagedList<TRow>(
  path: string | undefined,
  options: PagedListOptions<TRow>,
): PagedList<TRow> {
  const [rows, setRows] = useState<readonly TRow[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | undefined>(undefined);
  const opts = useRef(options);
  opts.current = options;
  // What the async callbacks read: the latest state, and the path it belongs to.
  const state = useRef({
    path,
    rows,
    hasMore,
    busy: false,
    generation: 0,
    timer: undefined as number | undefined,
  });
  state.current.rows = rows;
  state.current.hasMore = hasMore;

  const fetchPage = useCallback(async (cursor: string | undefined): Promise<Page<TRow> | undefined> => {
    const at = state.current.path;
    if (at === undefined) return undefined;
    const answer = await apiGet<unknown>(cursor === undefined ? at : withAfter(at, cursor));
    // an answer for a path we left is dropped
    return state.current.path === at ? opts.current.read(answer) : undefined;
  }, []);

  const run = useCallback((work: () => Promise<void>) => {
    if (state.current.busy) return;
    const generation = state.current.generation;
    state.current.busy = true;
    setLoading(true);
    work()
      .then(() => {
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (state.current.generation === generation) setError(e as Error);
      })
      .finally(() => {
        // a fetch for a path we left does not free the new path's
        if (state.current.generation !== generation) return;
        state.current.busy = false;
        setLoading(false);
      });
  }, []);

  const refresh = useCallback(() => {
    run(async () => {
      const page = await fetchPage(undefined);
      if (page === undefined) return;
      const { rowKey } = opts.current;
      const fresh = new Set(page.rows.map(rowKey));
      setRows((previous) =>
        previous.length === 0 ? page.rows : [...page.rows, ...previous.filter((r) => !fresh.has(rowKey(r)))],
      );
      if (state.current.rows.length <= page.rows.length) setHasMore(page.hasMore);
    });
  }, [run, fetchPage]);

  const loadMore = useCallback(() => {
    const last = state.current.rows.at(-1);
    if (!state.current.hasMore || last === undefined) return;
    run(async () => {
      const page = await fetchPage(opts.current.cursorOf(last));
      if (page === undefined) return;
      setRows((previous) => [...previous, ...page.rows]);
      setHasMore(page.hasMore);
    });
  }, [run, fetchPage]);

  const followTail = useCallback(() => {
    const last = state.current.rows.at(-1);
    if (state.current.hasMore) return; // the end is not loaded yet: scrolling gets there
    if (last === undefined) {
      refresh();
      return;
    }
    run(async () => {
      const page = await fetchPage(opts.current.cursorOf(last));
      if (page === undefined) return;
      setRows((previous) => [...previous, ...page.rows]);
      setHasMore(page.hasMore);
    });
  }, [run, fetchPage, refresh]);

  useEffect(() => {
    state.current.path = path;
    state.current.generation += 1;
    state.current.busy = false;
    setRows([]);
    setHasMore(false);
    setError(undefined);
    if (path === undefined) return;
    state.current.rows = [];
    refresh();
  }, [path, refresh]);

  useEffect(
    () => () => {
      window.clearTimeout(state.current.timer);
    },
    [],
  );

  useLiveFrames(path === undefined ? [] : (options.live?.topics ?? []), (frame) => {
    const live = opts.current.live;
    if (live === undefined || !live.accept(frame) || state.current.timer !== undefined) return;
    // many frames (a busy run's logs) make one fetch, after the one in flight
    const fire = (): void => {
      state.current.timer = undefined;
      if (state.current.busy) {
        state.current.timer = window.setTimeout(fire, LIVE_WAIT_MS);
        return;
      }
      if (live.mode === 'head') refresh();
      else followTail();
    };
    state.current.timer = window.setTimeout(fire, LIVE_WAIT_MS);
  });

  return { rows, hasMore, loading, error, loadMore, refresh };
}
