/**
 * Compare training runs (`?compare=id1,id2`, 2 to `MAX_COMPARED`): params side by side, only the
 * ones that differ unless the user asks for all (`?allParams=1`), metrics side by side, and one
 * metric's histories overlaid on one chart.
 */
import { useEffect, useId, useMemo, useState } from 'react';
import { apiGet } from '../../api-client.js';
import { ErrorNote } from '../../components/loaded.js';
import { Link } from '../../link.js';
import { useQueryParam, withQuery } from '../../router.js';
import { MetricChart } from './metric-chart.js';
import { metricText } from './metric-values.js';
import { differingKeys } from './run-columns.js';
import type { TrainingRun, TrainingRunAnswer } from './types.js';

/** At most this many runs side by side. */
export const MAX_COMPARED = 8;

/** The comparison of the runs `runIds`. */
export function CompareRuns({ runIds }: { runIds: readonly string[] }) {
  const [runs, setRuns] = useState<TrainingRun[] | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const ids = runIds.slice(0, MAX_COMPARED).join(',');
  useEffect(() => {
    const controller = new AbortController();
    Promise.all(
      ids
        .split(',')
        .map((id) =>
          apiGet<TrainingRunAnswer>(`/api/training-runs/${encodeURIComponent(id)}`, controller.signal),
        ),
    ).then(
      (answers) => {
        setRuns(answers.map((a) => a.run));
        setError(undefined);
      },
      (e: unknown) => {
        if (!controller.signal.aborted) setError(e as Error);
      },
    );
    return () => {
      controller.abort();
    };
  }, [ids]);
  return (
    <section aria-labelledby="compare-title" className="panel">
      <h2 id="compare-title">Compare {runIds.length} runs</h2>
      <p>
        <Link to={withQuery({ compare: undefined, allParams: undefined })}>Clear the comparison</Link>
        {runIds.length > MAX_COMPARED && <span className="muted"> (showing the first {MAX_COMPARED})</span>}
      </p>
      {error !== undefined && <ErrorNote error={error} />}
      {runs === undefined ? (
        error === undefined && <p className="muted">Loading…</p>
      ) : (
        <Comparison runs={runs} />
      )}
    </section>
  );
}

function Comparison({ runs }: { runs: TrainingRun[] }) {
  const toggleId = useId();
  const [allParams, setAllParams] = useQueryParam('allParams');
  const showAll = allParams === '1';
  const params = useMemo(() => runs.map((r) => r.params), [runs]);
  const differing = useMemo(() => differingKeys(params), [params]);
  const allKeys = useMemo(() => [...new Set(params.flatMap((p) => Object.keys(p)))].sort(), [params]);
  const paramKeys = showAll ? allKeys : differing;
  const metricKeys = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort(), [runs]);
  const chartRuns = useMemo(() => runs.map((r) => ({ runId: r.info.runId, label: r.info.runName })), [runs]);
  const differs = new Set(differing);
  return (
    <>
      <h3>Params</h3>
      <p className="chart-controls">
        <input
          id={toggleId}
          type="checkbox"
          checked={showAll}
          onChange={(e) => {
            setAllParams(e.target.checked ? '1' : '');
          }}
        />
        <label htmlFor={toggleId}>
          Show all {allKeys.length} params (not only the {differing.length} that differ)
        </label>
      </p>
      <SideBySide
        label="Params of the compared runs"
        runs={runs}
        keys={paramKeys}
        value={(run, key) => run.params[key] ?? '—'}
        highlight={(key) => showAll && differs.has(key)}
        empty="Every param is the same in these runs."
      />
      <h3>Metrics</h3>
      <SideBySide
        label="Metrics of the compared runs"
        runs={runs}
        keys={metricKeys}
        value={(run, key) => metricText(run.metrics[key])}
        highlight={() => false}
        empty="No metrics logged."
      />
      <h3>Metric histories</h3>
      <MetricChart runs={chartRuns} keys={metricKeys} title="Compared runs" />
    </>
  );
}

interface SideBySideProps {
  label: string;
  runs: TrainingRun[];
  keys: readonly string[];
  value: (run: TrainingRun, key: string) => string;
  highlight: (key: string) => boolean;
  empty: string;
}

/** Keys down, runs across. */
function SideBySide({ label, runs, keys, value, highlight, empty }: SideBySideProps) {
  if (keys.length === 0) return <p className="muted">{empty}</p>;
  return (
    <div className="scroll-x" role="region" aria-label={label} tabIndex={0}>
      <table aria-label={label} className="side-by-side">
        <thead>
          <tr>
            <th scope="col">Key</th>
            {runs.map((run) => (
              <th key={run.info.runId} scope="col">
                <Link to={withQuery({ run: run.info.runId })}>{run.info.runName}</Link>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key} className={highlight(key) ? 'differs' : undefined}>
              <th scope="row">{key}</th>
              {runs.map((run) => (
                <td key={run.info.runId} className="mono wrap">
                  {value(run, key)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
