/**
 * One version (`?version=`): where it came from (its training run, its pipeline run, its data
 * commit, its lineage and why), its aliases, metrics and params.
 */
import { Loaded, StatusBadge } from '../../components/loaded.js';
import { timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import { useApi } from '../../use-api.js';
import { metricText } from '../experiments/metric-values.js';
import { lineagePath, pipelineRunPath, trainingRunPath } from './model-paths.js';
import type { ModelVersion, ModelVersionAnswer } from './types.js';

/** The version's panel. */
export function VersionDetail({ model, version }: { model: string; version: string }) {
  const state = useApi<ModelVersionAnswer>(
    `/api/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}`,
    { live: ['models'] },
  );
  return (
    <section aria-labelledby="version-title" className="panel">
      <h3 id="version-title">
        {model} v{version}
      </h3>
      <Loaded state={state}>{(answer) => <VersionBody version={answer.version} />}</Loaded>
    </section>
  );
}

function VersionBody({ version }: { version: ModelVersion }) {
  const trainingRun = version.trainingRun?.runId ?? version.runId;
  const pipelineRun = version.tags['lakeloop.pipeline_run_id'];
  const commit = version.tags['lakeloop.data_commit'];
  return (
    <>
      <p>
        {version.status !== undefined && <StatusBadge status={version.status} />}{' '}
        {version.aliases.map((a) => (
          <span key={a} className={`badge alias${a === 'champion' ? ' champion' : ''}`}>
            {a}
          </span>
        ))}{' '}
        <span className="muted">registered {timeAgo(version.creationTimestamp)}</span>
      </p>
      {version.description !== undefined && version.description !== '' && <p>{version.description}</p>}
      <ul className="links">
        {trainingRun !== undefined && (
          <li>
            <Link to={trainingRunPath(trainingRun)}>
              Training run {version.trainingRun?.runName ?? trainingRun.slice(0, 8)}
            </Link>
          </li>
        )}
        {pipelineRun !== undefined && (
          <li>
            <Link to={pipelineRunPath(pipelineRun)}>Pipeline run {pipelineRun.slice(0, 8)}</Link>
          </li>
        )}
        <li>
          <Link to={lineagePath(version.name, version.version)}>Lineage and why</Link>
        </li>
        {commit !== undefined && (
          <li>
            Data commit <span className="mono">{commit.slice(0, 12)}</span>
          </li>
        )}
      </ul>
      {version.metrics === null ? (
        <p className="muted">No training run recorded for this version, so no metrics or params.</p>
      ) : (
        <div className="two-columns">
          <Pairs
            title="Metrics"
            entries={Object.entries(version.metrics).map(([k, v]) => [k, metricText(v)])}
          />
          <Pairs title="Params" entries={Object.entries(version.params ?? {})} />
        </div>
      )}
    </>
  );
}

function Pairs({ title, entries }: { title: string; entries: [string, string][] }) {
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
        {[...entries]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, value]) => (
            <tr key={key}>
              <th scope="row">{key}</th>
              <td className="mono wrap">{value}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
