/**
 * The steps of a run on one time axis (CSS, no chart library): a bar per step from its start to
 * its end (to now while it runs, so running bars grow), colored by status, with ticks every "nice"
 * interval. Each row is a button that selects the step (its logs, and the event log's filter).
 */
import { span } from './run-format.js';
import type { Run, StepSummary } from './types.js';

/** Props of {@link StepGantt}. */
export interface StepGanttProps {
  run: Run;
  steps: readonly StepSummary[];
  /** The current time (ticks while the run goes). */
  now: number;
  selected: string;
  onSelect: (stepKey: string) => void;
}

const NICE_STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
  600_000, 1_800_000, 3_600_000,
];

/** Tick positions (ms from the start) for a span: about `count` of them at a round interval. */
export function axisTicks(totalMs: number, count = 6): number[] {
  const wanted = totalMs / count;
  const step = NICE_STEPS_MS.find((s) => s >= wanted) ?? Math.ceil(wanted / 3_600_000) * 3_600_000;
  const ticks: number[] = [];
  for (let t = 0; t <= totalMs; t += step) ticks.push(t);
  return ticks;
}

/** The chart. */
export function StepGantt({ run, steps, now, selected, onSelect }: StepGanttProps) {
  const started = steps.flatMap((s) => (s.startedAt === undefined ? [] : [s.startedAt]));
  const origin = run.startedAt ?? Math.min(run.createdAt, ...started);
  const finished = run.endedAt !== undefined;
  const end = Math.max(
    origin + 1,
    run.endedAt ?? now,
    ...steps.flatMap((s) => (s.endedAt === undefined ? [] : [s.endedAt])),
  );
  const total = end - origin;
  const pct = (t: number): string => `${(((t - origin) / total) * 100).toFixed(3)}%`;
  return (
    <div className="gantt" aria-label="Steps over time">
      <div className="gantt-axis" aria-hidden="true">
        <span className="gantt-label" />
        <div className="gantt-track">
          {axisTicks(total).map((t) => (
            <span key={t} className="gantt-tick" style={{ left: pct(origin + t) }}>
              {span(t)}
            </span>
          ))}
        </div>
      </div>
      {steps.map((step) => {
        const barEnd = step.endedAt ?? (finished ? (run.endedAt ?? now) : now);
        const state = step.status.toLowerCase().replace('_', '-');
        const length = step.startedAt === undefined ? undefined : barEnd - step.startedAt;
        const said = `${step.stepKey}: ${step.status}${length === undefined ? '' : `, ${span(length)}`}`;
        return (
          <button
            key={step.stepKey}
            type="button"
            className="gantt-row"
            aria-pressed={selected === step.stepKey}
            aria-label={said}
            title={said}
            onClick={() => {
              onSelect(selected === step.stepKey ? '' : step.stepKey);
            }}
          >
            <span className="gantt-label mono">{step.stepKey}</span>
            <span className="gantt-track">
              {step.startedAt === undefined ? (
                <span className="gantt-none muted">
                  {step.status === 'SKIPPED' ? 'skipped' : 'not started'}
                </span>
              ) : (
                <span
                  className={`gantt-bar step-${state}`}
                  data-step={step.stepKey}
                  style={{
                    left: pct(step.startedAt),
                    width: `max(3px, ${pct(origin + Math.max(0, barEnd - step.startedAt))})`,
                  }}
                />
              )}
            </span>
          </button>
        );
      })}
    </div>
  );
}
