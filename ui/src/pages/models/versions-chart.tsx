/**
 * The metrics across a model's versions: x = version number, one series per metric the user picks
 * (`?metrics=auc,log_loss`; default auc, else the first). A point opens its version.
 */
import { useMemo } from 'react';
import { LineChart } from '../../components/line-chart.js';
import type { ChartSeries } from '../../components/line-chart.js';
import { navigate, useQueryParam, withQuery } from '../../router.js';
import { plottable } from '../experiments/metric-values.js';
import type { ModelVersion } from './types.js';

/** Which metrics to chart (those in the URL that exist, else auc or the first key). */
export function useChartedMetrics(keys: readonly string[]): [string[], (keys: string[]) => void] {
  const [param, setParam] = useQueryParam('metrics');
  const asked = param === '' ? [] : param.split(',').filter((k) => keys.includes(k));
  const fallback = keys.includes('auc') ? ['auc'] : keys.slice(0, 1);
  return [
    asked.length > 0 ? asked : fallback,
    (next) => {
      setParam(next.join(','));
    },
  ];
}

/** Props of {@link VersionsChart}. */
export interface VersionsChartProps {
  versions: readonly ModelVersion[];
  keys: readonly string[];
}

/** The chart with the metric checkboxes. */
export function VersionsChart({ versions, keys }: VersionsChartProps) {
  const [charted, setCharted] = useChartedMetrics(keys);
  const series = useMemo<ChartSeries[]>(
    () =>
      charted.map((key) => ({
        label: key,
        points: versions
          .flatMap((v) => {
            const y = v.metrics?.[key] === undefined ? undefined : plottable(v.metrics[key]);
            const x = Number(v.version);
            return y === undefined || !Number.isFinite(x) ? [] : [{ x, y }];
          })
          .sort((a, b) => a.x - b.x),
      })),
    [versions, charted],
  );
  if (keys.length === 0) return <p className="muted">No version has metrics (no training run recorded).</p>;
  const chosen = new Set(charted);
  return (
    <figure className="metric-chart">
      <fieldset className="metric-picker">
        <legend>Metrics to chart</legend>
        {keys.map((key) => (
          <label key={key}>
            <input
              type="checkbox"
              checked={chosen.has(key)}
              onChange={(e) => {
                setCharted(e.target.checked ? [...charted, key] : charted.filter((k) => k !== key));
              }}
            />{' '}
            {key}
          </label>
        ))}
      </fieldset>
      <LineChart
        series={series}
        label={`${charted.join(', ')} by model version`}
        xLabel="version"
        points
        integerX
        onPointClick={({ x }) => {
          navigate(withQuery({ version: String(x) }));
        }}
      />
      <figcaption className="muted">
        {versions.length} version{versions.length === 1 ? '' : 's'} loaded (the table pages in more). Click a
        point to open its version.
      </figcaption>
    </figure>
  );
}
