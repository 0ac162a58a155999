/**
 * Line charts with uPlot (canvas; 100k points stay smooth). Series are drawn on one shared x axis
 * (the union of their x values, gaps where a series has none). Drag to zoom: `onZoom` gets the new
 * x range (e.g. to refetch a finer downsampling); double-click resets. `onPointClick` gets the
 * series and the x of the nearest point (e.g. to open the run behind it).
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One series: its name and its points, x ascending. */
export interface ChartSeries {
  label: string;
  points: readonly { x: number; y: number }[];
}

/** Props of {@link LineChart}. */
export interface LineChartProps {
  series: readonly ChartSeries[];
  /** What the chart shows, for screen readers (the canvas has no text). */
  label: string;
  xLabel?: string;
  /** x values are epoch milliseconds (time axis). Default false. */
  timeAxis?: boolean;
  height?: number;
  /** Draw points as well as lines (few points, e.g. one per model version). Default: auto. */
  points?: boolean;
  /** x values are whole numbers (model versions): ticks only on them. Default false. */
  integerX?: boolean;
  onZoom?: (range: { min: number; max: number } | undefined) => void;
  onPointClick?: (point: { series: number; x: number }) => void;
}

const COLORS = ['#2563eb', '#db2777', '#15803d', '#ea580c', '#7c3aed', '#0891b2', '#854d0e', '#4b5563'];

/** Tick spacings of an integer x axis (no 1.5 between versions 1 and 2). */
const INTEGER_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

/** Aligns the series on the sorted union of their x values. */
export function alignSeries(series: readonly ChartSeries[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((s) => {
    const column: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (const p of s.points) column[index.get(p.x) ?? 0] = p.y;
    return column;
  });
  return [xs, ...columns];
}

/** The chart. */
export function LineChart({
  series,
  label,
  xLabel,
  timeAxis = false,
  height = 260,
  points,
  integerX = false,
  onZoom,
  onPointClick,
}: LineChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | undefined>(undefined);
  const handlers = useRef({ onZoom, onPointClick });
  handlers.current = { onZoom, onPointClick };
  const shape = series.map((s) => s.label).join('\u0000');

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const showPoints = points ?? series.every((s) => s.points.length <= 60);
    let zoomedByUser = false;
    const plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height,
        scales: { x: { time: timeAxis } },
        axes: [{ label: xLabel, ...(integerX ? { incrs: INTEGER_INCREMENTS } : {}) }, {}],
        cursor: { drag: { x: true, y: false } },
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length] ?? '#2563eb',
            width: 1.5,
            spanGaps: true,
            points: { show: showPoints },
          })),
        ],
        hooks: {
          setSelect: [
            () => {
              zoomedByUser = true;
            },
          ],
          setScale: [
            (u, key) => {
              if (key !== 'x' || !zoomedByUser) return;
              zoomedByUser = false;
              const { min, max } = u.scales.x ?? {};
              if (min !== undefined && max !== undefined) handlers.current.onZoom?.({ min, max });
            },
          ],
        },
      },
      alignSeries(series),
      element,
    );
    chart.current = plot;
    const onClick = (): void => {
      const idx = plot.cursor.idx;
      if (idx === null || idx === undefined) return;
      const x = plot.data[0][idx];
      if (x === undefined) return;
      const nearest = plot.series.findIndex((_, i) => i > 0 && plot.data[i]?.[idx] != null);
      handlers.current.onPointClick?.({ series: Math.max(0, nearest - 1), x });
    };
    const onDoubleClick = (): void => {
      handlers.current.onZoom?.(undefined);
    };
    plot.over.addEventListener('click', onClick);
    plot.over.addEventListener('dblclick', onDoubleClick);
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(200, element.clientWidth), height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
      chart.current = undefined;
    };
    // the chart is rebuilt when the set of series changes; new data alone goes through setData
  }, [shape, height, timeAxis, xLabel, integerX]);

  useEffect(() => {
    chart.current?.setData(alignSeries(series));
  }, [series]);

  return <div className="line-chart" ref={container} role="img" aria-label={label} />;
}
