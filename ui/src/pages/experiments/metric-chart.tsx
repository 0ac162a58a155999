/**
 * A metric's history for one run or several overlaid (compare): a metric picker (`?metric=`), the
 * uPlot chart with step on x, and zoom kept in the URL (`?steps=10-30`); each zoom refetches the
 * range downsampled on the server, so zooming in shows the points a full view had merged.
 */
import { useId, useMemo } from 'react';
import { LineChart } from '../../components/line-chart.js';
import type { ChartSeries } from '../../components/line-chart.js';
import { ErrorNote } from '../../components/loaded.js';
import { useQueryParam } from '../../router.js';
import { parseSteps, plottable, stepsText } from './metric-values.js';
import { defaultMetric, useMetricHistories, useMetricLengths } from './use-metric-histories.js';

/** A run to draw: its id and its name in the legend. */
export interface ChartRun {
  runId: string;
  label: string;
}

/** Props of {@link MetricChart}. */
export interface MetricChartProps {
  runs: readonly ChartRun[];
  /** The metric keys to offer. */
  keys: readonly string[];
  title: string;
}

/** The chart with its metric picker. */
export function MetricChart({ runs, keys, title }: MetricChartProps) {
  const pickerId = useId();
  const [chosen, setChosen] = useQueryParam('metric');
  const [stepsParam, setSteps] = useQueryParam('steps');
  const lengths = useMetricLengths(runs[0]?.runId, keys);
  const key = keys.includes(chosen) ? chosen : defaultMetric(keys, lengths);
  const range = parseSteps(stepsParam);
  const runIds = useMemo(() => runs.map((r) => r.runId), [runs]);
  const { histories, error } = useMetricHistories(runIds, key, range);

  const series = useMemo<ChartSeries[]>(
    () =>
      (histories ?? []).map((history, i) => ({
        label: runs[i]?.label ?? history.key,
        points: history.points.flatMap((p) => {
          const y = plottable(p.value);
          return y === undefined ? [] : [{ x: p.step, y }];
        }),
      })),
    [histories, runs],
  );

  if (keys.length === 0) return <p className="muted">No metrics logged.</p>;
  const shown = histories?.reduce((n, h) => n + h.points.length, 0) ?? 0;
  const total = histories?.reduce((n, h) => n + h.totalPoints, 0) ?? 0;
  return (
    <figure className="metric-chart">
      <div className="chart-controls">
        <label htmlFor={pickerId}>Metric</label>
        <select
          id={pickerId}
          value={key}
          onChange={(e) => {
            setChosen(e.target.value);
            setSteps('');
          }}
        >
          {keys.map((k) => (
            <option key={k} value={k}>
              {k}
              {lengths.has(k) ? ` (${pointsText(lengths.get(k) ?? 0)})` : ''}
            </option>
          ))}
        </select>
        {range !== undefined && (
          <button
            type="button"
            onClick={() => {
              setSteps('');
            }}
          >
            Reset zoom (steps {range.min}–{range.max})
          </button>
        )}
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      {histories !== undefined && (
        <LineChart
          series={series}
          label={`${title}: ${key ?? ''} by step`}
          xLabel="step"
          integerX
          onZoom={(zoom) => {
            setSteps(zoom === undefined ? '' : stepsText(zoom));
          }}
        />
      )}
      <figcaption className="muted">
        {histories === undefined
          ? 'Loading…'
          : `${shown} of ${total} points${histories.some((h) => h.downsampled) ? ' (downsampled on the server)' : ''}${
              range === undefined ? '' : `, steps ${range.min}–${range.max}`
            }. Drag across the chart to zoom in, double-click to zoom out.`}
      </figcaption>
    </figure>
  );
}

const pointsText = (n: number): string => `${n} point${n === 1 ? '' : 's'}`;
