/**
 * One training run (`?run=`): its status and where it came from (the pipeline run, the data commit,
 * its parent run), its metrics and params, and the chart of a metric's history.
 */
import { useMemo } from 'react';
import { Loaded, StatusBadge } from '../../components/loaded.js';
import { duration, timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import { withQuery } from '../../router.js';
import { useApi } from '../../use-api.js';
import { MetricChart } from './metric-chart.js';
import { metricText } from './metric-values.js';
import type { TrainingRun, TrainingRunAnswer } from './types.js';

/** The run's panel. */
export function RunDetail({ runId }: { runId: string }) {
  const state = useApi<TrainingRunAnswer>(`/api/training-runs/${encodeURIComponent(runId)}`);
  return (
    <section aria-labelledby="run-title" className="panel">
      <Loaded state={state}>{(answer) => <RunBody run={answer.run} />}</Loaded>
    </section>
  );
}

function RunBody({ run }: { run: TrainingRun }) {
  const keys = useMemo(() => Object.keys(run.metrics).sort(), [run]);
  const chartRuns = useMemo(() => [{ runId: run.info.runId, label: run.info.runName }], [run]);
  const pipelineRun = run.tags['lakeloop.pipeline_run_id'];
  const parent = run.tags['mlflow.parentRunId'];
  const commit = run.tags['lakeloop.data_commit'];
  return (
    <>
      <h2 id="run-title">
        Training run {run.info.runName} <StatusBadge status={run.info.status} />
      </h2>
      <p className="muted">
        <span className="mono">{run.info.runId}</span> · started {timeAgo(run.info.startTime)}
        {run.info.endTime === undefined ? '' : ` · took ${duration(run.info.startTime, run.info.endTime)}`}
      </p>
      <ul className="links">
        {pipelineRun !== undefined && (
          <li>
            Pipeline run{' '}
            <Link to={`/runs/${encodeURIComponent(pipelineRun)}`}>{pipelineRun.slice(0, 8)}</Link>
          </li>
        )}
        {pipelineRun !== undefined && (
          <li>
            <Link to={`/lineage?run=${encodeURIComponent(pipelineRun)}`}>Lineage of its pipeline run</Link>
          </li>
        )}
        {commit !== undefined && (
          <li>
            Data commit <span className="mono">{commit.slice(0, 12)}</span>
          </li>
        )}
        {parent !== undefined && (
          <li>
            Child of <Link to={withQuery({ run: parent })}>{parent.slice(0, 8)}</Link>
          </li>
        )}
      </ul>
      <h3>Metric history</h3>
      <MetricChart runs={chartRuns} keys={keys} title={`Run ${run.info.runName}`} />
      <div className="two-columns">
        <KeyValues title="Metrics (latest)" entries={keys.map((k) => [k, metricText(run.metrics[k])])} />
        <KeyValues
          title="Params"
          entries={Object.keys(run.params)
            .sort()
            .map((k) => [k, run.params[k] ?? ''])}
        />
      </div>
    </>
  );
}

function KeyValues({ title, entries }: { title: string; entries: [string, string][] }) {
  return (
    <table className="key-values">
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.length === 0 && (
          <tr>
            <td colSpan={2} className="muted">
              none
            </td>
          </tr>
        )}
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td className="mono wrap">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
