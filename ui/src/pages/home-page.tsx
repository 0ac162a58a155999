/**
 * Home: the daemon's health, the sensors, each model's champion with its metrics, and the latest
 * runs, and the timeline of the loop (home-timeline.tsx), updated from the live stream.
 */
import type {
  HealthAnswer,
  ModelsAnswer,
  ModelVersionAnswer,
  RegisteredModel,
  RunsAnswer,
  SensorsAnswer,
} from '../api-types.js';
import { Loaded } from '../components/loaded.js';
import { HomeTimeline } from './home-timeline.js';
import { duration, metric, timeAgo } from '../format.js';
import { Link } from '../link.js';
import { useApi } from '../use-api.js';

const HEALTH_REFRESH_MS = 5000;

/** The Home page. */
export function HomePage() {
  // the daemon's heartbeat has no frame: health is polled; the rest follows the live stream
  const health = useApi<HealthAnswer>('/api/health', { refreshMs: HEALTH_REFRESH_MS });
  const sensors = useApi<SensorsAnswer>('/api/sensors', { live: ['ticks'] });
  const models = useApi<ModelsAnswer>('/api/models', { live: ['models'] });
  const runs = useApi<RunsAnswer>('/api/runs?limit=20', { live: ['runs'] });
  return (
    <div className="home">
      <section aria-labelledby="health-title">
        <h2 id="health-title">Health</h2>
        <Loaded state={health}>
          {(answer) => (
            <p className={answer.daemon.healthy ? 'ok' : 'bad'}>
              Server {answer.status}; daemon{' '}
              {answer.daemon.healthy ? 'healthy (heartbeat recent)' : 'not running'}
            </p>
          )}
        </Loaded>
      </section>
      <section aria-labelledby="sensors-title">
        <h2 id="sensors-title">Sensors</h2>
        <Loaded state={sensors}>{(answer) => <SensorTable sensors={answer.sensors} />}</Loaded>
      </section>
      <section aria-labelledby="models-title">
        <h2 id="models-title">Champions</h2>
        <Loaded state={models}>{(answer) => <ModelTable models={answer.results} />}</Loaded>
      </section>
      <HomeTimeline />
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Recent runs</h2>
        <Loaded state={runs}>{(answer) => <RunTable runs={answer.runs} />}</Loaded>
      </section>
    </div>
  );
}

function SensorTable({ sensors }: { sensors: SensorsAnswer['sensors'] }) {
  if (sensors.length === 0) return <p className="muted">No sensors defined.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Sensor</th>
          <th>Job</th>
          <th>Status</th>
          <th>Last tick</th>
          <th>Cursor</th>
        </tr>
      </thead>
      <tbody>
        {sensors.map((sensor) => (
          <tr key={sensor.name}>
            <td>{sensor.name}</td>
            <td>{sensor.jobName}</td>
            <td>
              <span className={`badge ${sensor.status === 'RUNNING' ? 'ok' : 'muted'}`}>{sensor.status}</span>
            </td>
            <td>
              {sensor.lastTick === undefined
                ? '—'
                : `${sensor.lastTick.status} ${timeAgo(sensor.lastTick.timestamp)}${
                    sensor.lastTick.skipReason === undefined ? '' : ` (${sensor.lastTick.skipReason})`
                  }`}
            </td>
            <td className="mono">{sensor.cursor ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ModelTable({ models }: { models: RegisteredModel[] }) {
  if (models.length === 0) return <p className="muted">No registered models yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Model</th>
          <th>Champion</th>
          <th>Latest</th>
          <th>Champion metrics</th>
        </tr>
      </thead>
      <tbody>
        {models.map((model) => (
          <tr key={model.name}>
            <td>{model.name}</td>
            <td>{model.aliases.champion === undefined ? '—' : `v${model.aliases.champion}`}</td>
            <td>{model.latestVersion === undefined ? '—' : `v${model.latestVersion}`}</td>
            <td>
              {model.aliases.champion === undefined ? (
                '—'
              ) : (
                <ChampionMetrics name={model.name} version={model.aliases.champion} />
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ChampionMetrics({ name, version }: { name: string; version: string }) {
  const state = useApi<ModelVersionAnswer>(
    `/api/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`,
  );
  if (state.error !== undefined) return <span className="bad">{state.error.message}</span>;
  const metrics = state.data?.version.metrics;
  if (metrics === undefined) return <span className="muted">…</span>;
  if (metrics === null) return <span className="muted">no training run</span>;
  return (
    <span className="mono">
      {Object.entries(metrics)
        .map(([key, value]) => `${key} ${metric(value)}`)
        .join(' · ')}
    </span>
  );
}

function RunTable({ runs }: { runs: RunsAnswer['runs'] }) {
  if (runs.length === 0) return <p className="muted">No runs yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Run</th>
          <th>Job</th>
          <th>Status</th>
          <th>Created</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.runId}>
            <td className="mono">
              <Link to={`/runs/${encodeURIComponent(run.runId)}`}>{run.runId.slice(0, 8)}</Link>
            </td>
            <td>{run.jobName}</td>
            <td>
              <span className={`badge status-${run.status.toLowerCase()}`}>{run.status}</span>
            </td>
            <td>{timeAgo(run.createdAt)}</td>
            <td>{duration(run.startedAt, run.endedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
