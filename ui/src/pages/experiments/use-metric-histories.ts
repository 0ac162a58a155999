/**
 * The histories of one metric for some training runs, downsampled on the server to at most
 * `MAX_POINTS` each, over a step range when the user zoomed (so the zoomed view gets the detail).
 */
import { useEffect, useState } from 'react';
import { apiGet } from '../../api-client.js';
import type { MetricHistory } from './types.js';
import type { StepRange } from './metric-values.js';

/** Points asked per history: about one per pixel of the chart. */
export const MAX_POINTS = 1000;

/** The path of a run's metric history (a `/` in a key is encoded). */
export function metricHistoryPath(runId: string, key: string, maxPoints: number, range?: StepRange): string {
  const params = new URLSearchParams({ maxPoints: String(maxPoints) });
  if (range !== undefined) {
    params.set('minStep', String(range.min));
    params.set('maxStep', String(range.max));
  }
  return `/api/training-runs/${encodeURIComponent(runId)}/metrics/${encodeURIComponent(key)}?${params.toString()}`;
}

/** What {@link useMetricHistories} returns: one history per run id, in order, once all came. */
export interface HistoriesState {
  histories: MetricHistory[] | undefined;
  error: Error | undefined;
}

/** Fetches `key`'s history of every run in `runIds` over `range`. */
export function useMetricHistories(
  runIds: readonly string[],
  key: string | undefined,
  range: StepRange | undefined,
): HistoriesState {
  const [state, setState] = useState<HistoriesState>({ histories: undefined, error: undefined });
  const ids = runIds.join(',');
  const min = range?.min;
  const max = range?.max;
  useEffect(() => {
    if (key === undefined || ids === '') return;
    const controller = new AbortController();
    const zoom = min === undefined || max === undefined ? undefined : { min, max };
    Promise.all(
      ids
        .split(',')
        .map((id) => apiGet<MetricHistory>(metricHistoryPath(id, key, MAX_POINTS, zoom), controller.signal)),
    ).then(
      (histories) => {
        setState({ histories, error: undefined });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ ...s, error: error as Error }));
      },
    );
    return () => {
      controller.abort();
    };
  }, [ids, key, min, max]);
  return state;
}

/**
 * How many points each metric of a run has (a 4-point probe per key, at most `MAX_PROBED` keys),
 * so the chart opens on a metric with a history rather than a single final value.
 */
export function useMetricLengths(runId: string | undefined, keys: readonly string[]): Map<string, number> {
  const [lengths, setLengths] = useState(new Map<string, number>());
  const joined = keys.slice(0, MAX_PROBED).join('\u0000');
  useEffect(() => {
    if (runId === undefined || joined === '') return;
    const controller = new AbortController();
    const probed = joined.split('\u0000');
    Promise.all(
      probed.map((key) =>
        apiGet<MetricHistory>(metricHistoryPath(runId, key, 4), controller.signal).then(
          (h) => h.totalPoints,
          () => 0,
        ),
      ),
    ).then(
      (totals) => {
        if (!controller.signal.aborted) setLengths(new Map(probed.map((key, i) => [key, totals[i] ?? 0])));
      },
      () => undefined,
    );
    return () => {
      controller.abort();
    };
  }, [runId, joined]);
  return lengths;
}

const MAX_PROBED = 30;

/** The metric to chart first: the one with the longest history (ties: by name), else the first key. */
export function defaultMetric(keys: readonly string[], lengths: Map<string, number>): string | undefined {
  let best: string | undefined;
  for (const key of [...keys].sort()) {
    if (best === undefined || (lengths.get(key) ?? 0) > (lengths.get(best) ?? 0)) best = key;
  }
  return best;
}
