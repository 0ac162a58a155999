/**
 * One run: its header (status, job, tags, timing, partition, data commit, parent), its actions,
 * the Gantt chart of its steps, the logs of the selected step and the event log, all following
 * the live stream. The URL holds the selected step (`step`, which also filters the event log) and
 * the event log's type filter (`type`).
 */
import { useEffect, useState } from 'react';
import { Loaded, StatusBadge } from '../../components/loaded.js';
import type { LiveFrame } from '../../live-stream.js';
import { duration } from '../../format.js';
import { Link } from '../../link.js';
import { useQueryParam } from '../../router.js';
import { useApi } from '../../use-api.js';
import { EventTable, useRunEvents } from './event-log.js';
import { RunActions } from './run-actions.js';
import { userTags } from './run-format.js';
import { StepGantt } from './step-gantt.js';
import { StepLogs } from './step-logs.js';
import { DATA_COMMIT_TAG, DATA_REPOSITORY_TAG, EVENT_TYPES } from './types.js';
import type { EventFrame, Run, RunDetail } from './types.js';

const FINISHED = ['SUCCESS', 'FAILURE', 'CANCELED'];
const CLOCK_MS = 500;

/** The current time, ticking while `running` (so running bars grow). */
function useNow(running: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => {
      setNow(Date.now());
    }, CLOCK_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, [running]);
  return now;
}

/** The run page. */
export function RunView({ runId }: { runId: string }) {
  const [step, setStep] = useQueryParam('step');
  const [type, setType] = useQueryParam('type');
  const detail = useApi<RunDetail>(`/api/runs/${encodeURIComponent(runId)}`, {
    live: ['runs', 'events'],
    // run status changes, and step starts and ends (not every log line)
    liveFilter: (frame: LiveFrame) =>
      (frame.data as EventFrame).runId === runId &&
      (frame.event === 'run' || (frame.data as { type?: string }).type?.startsWith('STEP_') === true),
  });
  const events = useRunEvents(runId, { type, step });
  const running = detail.data !== undefined && !FINISHED.includes(detail.data.run.status);
  const now = useNow(running);
  return (
    <section aria-labelledby="page-title" className="run-view">
      <p>
        <Link to="/runs">← Runs</Link>
      </p>
      <h2 id="page-title">
        Run <span className="mono">{runId}</span>
      </h2>
      <Loaded state={detail}>
        {({ run, steps }) => (
          <>
            <RunHeader run={run} now={now} />
            <RunActions run={run} onDone={detail.reload} />
            <section aria-labelledby="steps-title">
              <h3 id="steps-title">Steps</h3>
              <StepGantt
                run={run}
                steps={steps}
                now={now}
                selected={step}
                onSelect={(key) => {
                  setStep(key);
                }}
              />
            </section>
            {step !== '' && (
              <StepLogs runId={runId} step={steps.find((s) => s.stepKey === step)} stepKey={step} />
            )}
          </>
        )}
      </Loaded>
      <section aria-labelledby="events-title">
        <h3 id="events-title">Event log</h3>
        <div className="event-filters">
          <label>
            Type
            <select
              value={type}
              onChange={(e) => {
                setType(e.target.value);
              }}
            >
              <option value="">every type</option>
              {EVENT_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Step
            <select
              value={step}
              onChange={(e) => {
                setStep(e.target.value);
              }}
            >
              <option value="">every step</option>
              {(detail.data?.run.assetKeys ?? (step === '' ? [] : [step])).map((key) => (
                <option key={key} value={key}>
                  {key}
                </option>
              ))}
            </select>
          </label>
        </div>
        <EventTable events={events} label="Events" />
      </section>
    </section>
  );
}

function RunHeader({ run, now }: { run: Run; now: number }) {
  const commit = run.tags[DATA_COMMIT_TAG];
  const repository = run.tags[DATA_REPOSITORY_TAG];
  const tags = userTags(run.tags);
  return (
    <dl className="run-header">
      <dt>Status</dt>
      <dd>
        <StatusBadge status={run.status} />
        {run.error !== undefined && <span className="bad"> {run.error.message}</span>}
      </dd>
      <dt>Job</dt>
      <dd>
        <Link to={`/runs?job=${encodeURIComponent(run.jobName)}`}>{run.jobName}</Link>
      </dd>
      <dt>Created</dt>
      <dd>{new Date(run.createdAt).toLocaleString()}</dd>
      <dt>Started</dt>
      <dd>{run.startedAt === undefined ? '—' : new Date(run.startedAt).toLocaleString()}</dd>
      <dt>Duration</dt>
      <dd>{run.startedAt === undefined ? '—' : duration(run.startedAt, run.endedAt ?? now)}</dd>
      {run.partition !== undefined && (
        <>
          <dt>Partition</dt>
          <dd className="mono">{run.partition}</dd>
        </>
      )}
      {commit !== undefined && (
        <>
          <dt>Data commit</dt>
          <dd>
            <Link to={`/runs?commit=${encodeURIComponent(commit)}`} className="mono">
              {repository === undefined ? '' : `${repository}@`}
              {commit}
            </Link>
          </dd>
        </>
      )}
      {run.parentRunId !== undefined && (
        <>
          <dt>Re-executes</dt>
          <dd>
            <Link to={`/runs/${encodeURIComponent(run.parentRunId)}`} className="mono">
              {run.parentRunId}
            </Link>
          </dd>
        </>
      )}
      <dt>Tags</dt>
      <dd>
        {tags.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          tags.map(([k, v]) => (
            <Link key={k} to={`/runs?tag=${encodeURIComponent(`${k}=${v}`)}`} className="tag">
              {k}={v}
            </Link>
          ))
        )}
      </dd>
    </dl>
  );
}
