/**
 * `useApi(path)`: GETs an API path when the component mounts, and again when the path changes,
 * when a live frame of the given topics arrives (at most once per `LIVE_REFETCH_MS`, always after
 * the last frame), or every `refreshMs`. It keeps the last answer while refetching, so views do not
 * flicker.
 */
import { useEffect, useRef, useState } from 'react';
import { apiGet } from './api-client.js';
import { useLiveFrames } from './live-stream.js';
import type { LiveFrame, LiveTopic } from './live-stream.js';

/** Least time between two refetches caused by live frames. */
export const LIVE_REFETCH_MS = 300;

/** What {@link useApi} returns. */
export interface ApiState<TBody> {
  data: TBody | undefined;
  error: Error | undefined;
  loading: boolean;
  /** Fetches again now (after an action). */
  reload: () => void;
}

/** Options of {@link useApi}. */
export interface UseApiOptions {
  /** Fetch again this often. Default: never. */
  refreshMs?: number;
  /** Bump to fetch again at once (e.g. after a token was entered). Default 0. */
  generation?: number;
  /** Fetch again when a frame of these topics arrives (and `liveFilter` accepts it). */
  live?: readonly LiveTopic[];
  /** Which frames of `live` matter. Default: all. */
  liveFilter?: (frame: LiveFrame) => boolean;
}

const NO_TOPICS: readonly LiveTopic[] = [];

/** Fetches `path` and keeps its answer; `undefined` fetches nothing. */
export function useApi<TBody>(path: string | undefined, options: UseApiOptions = {}): ApiState<TBody> {
  const { refreshMs, generation = 0, live = NO_TOPICS, liveFilter } = options;
  const [state, setState] = useState<Omit<ApiState<TBody>, 'reload'>>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [bump, setBump] = useState(0);
  const throttle = useRef<{ timer: number | undefined; last: number }>({ timer: undefined, last: 0 });

  useEffect(() => {
    if (path === undefined) return;
    const controller = new AbortController();
    const load = (): void => {
      apiGet<TBody>(path, controller.signal).then(
        (data) => {
          setState({ data, error: undefined, loading: false });
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          setState((previous) => ({ ...previous, error: error as Error, loading: false }));
        },
      );
    };
    load();
    const timer = refreshMs === undefined ? undefined : window.setInterval(load, refreshMs);
    return () => {
      controller.abort();
      if (timer !== undefined) window.clearInterval(timer);
    };
  }, [path, refreshMs, generation, bump]);

  useEffect(
    () => () => {
      window.clearTimeout(throttle.current.timer);
    },
    [],
  );

  useLiveFrames(path === undefined ? NO_TOPICS : live, (frame) => {
    if (liveFilter !== undefined && !liveFilter(frame)) return;
    const t = throttle.current;
    if (t.timer !== undefined) return;
    const wait = Math.max(0, t.last + LIVE_REFETCH_MS - Date.now());
    t.timer = window.setTimeout(() => {
      t.timer = undefined;
      t.last = Date.now();
      setBump((b) => b + 1);
    }, wait);
  });

  return {
    ...state,
    reload: () => {
      setBump((b) => b + 1);
    },
  };
}
