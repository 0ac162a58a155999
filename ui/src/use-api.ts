/**
 * `useApi(path)`: GETs an API path when the component mounts (and again every `refreshMs`), with
 * the answer, the last error and whether the first answer is still awaited.
 */
import { useEffect, useState } from 'react';
import { apiGet } from './api-client.js';

/** What {@link useApi} returns. */
export interface ApiState<TBody> {
  data: TBody | undefined;
  error: Error | undefined;
  loading: boolean;
}

/** Options of {@link useApi}. */
export interface UseApiOptions {
  /** Fetch again this often. Default: once. */
  refreshMs?: number;
  /** Bump to fetch again at once (e.g. after a token was entered). Default 0. */
  generation?: number;
}

/** Fetches `path` and keeps its answer; `undefined` fetches nothing. */
export function useApi<TBody>(path: string | undefined, options: UseApiOptions = {}): ApiState<TBody> {
  const [state, setState] = useState<ApiState<TBody>>({ data: undefined, error: undefined, loading: true });
  const { refreshMs, generation = 0 } = options;
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
  }, [path, refreshMs, generation]);
  return state;
}
