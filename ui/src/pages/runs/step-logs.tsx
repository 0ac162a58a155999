/**
 * The logs of one step: its LOG events (what the asset's `ctx.log` wrote), fetched in windows and
 * followed live like the event log, and its error with the stack when it failed.
 */
import { EventTable, useRunEvents } from './event-log.js';
import type { StepSummary } from './types.js';

/** The panel of the selected step. */
export function StepLogs({
  runId,
  stepKey,
  step,
}: {
  runId: string;
  stepKey: string;
  step: StepSummary | undefined;
}) {
  const logs = useRunEvents(runId, { type: 'LOG', step: stepKey });
  return (
    <section aria-labelledby="step-logs-title" className="step-logs">
      <h3 id="step-logs-title">
        Logs of <span className="mono">{stepKey}</span>
      </h3>
      {step?.error !== undefined && (
        <pre className="step-error bad">
          {step.error.stack ?? `${step.error.name}: ${step.error.message}`}
        </pre>
      )}
      <EventTable events={logs} label={`Log lines of ${stepKey}`} height="30vh" />
    </section>
  );
}
