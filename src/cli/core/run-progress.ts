/**
 * Live step progress of a run for the terminal: one line per step event (start, success with
 * duration, failure with the error, skip, retry, check results).
 *
 * @example
 * ```ts
 * await materialize(defs, { select: '*', instance, onEvent: progressPrinter(process.stderr) });
 * ```
 */
import type { EventRecord } from '../../core/events/event-types.js';

/** Returns an `onEvent` listener that writes progress lines to `out`. */
export function progressPrinter(out: NodeJS.WritableStream): (event: EventRecord) => void {
  return (event) => {
    const step = event.stepKey ?? '';
    let line: string | undefined;
    switch (event.type) {
      case 'RUN_START':
        line = `run ${event.runId}`;
        break;
      case 'STEP_START':
        line = `  > ${step} started${typeof event.data?.['attempt'] === 'number' && event.data['attempt'] > 1 ? ` (attempt ${event.data['attempt']})` : ''}`;
        break;
      case 'STEP_SUCCESS':
        line = `  ok ${step} (${typeof event.data?.['durationMs'] === 'number' ? event.data['durationMs'].toFixed(1) : '?'} ms)`;
        break;
      case 'STEP_FAILURE':
        line = `  FAILED ${step}: ${event.error?.message ?? event.message}`;
        break;
      case 'STEP_SKIPPED':
        line = `  skipped ${step}: ${event.message}`;
        break;
      case 'STEP_UP_FOR_RETRY':
        line = `  retry ${step}: ${event.message}`;
        break;
      case 'ASSET_CHECK_EVALUATION':
        if (event.checkEvaluation?.passed === false)
          line = `  check ${event.checkEvaluation.checkName} on ${step} FAILED (${event.checkEvaluation.severity})`;
        break;
      case 'LOG':
        line = `    ${step}: ${event.message}`;
        break;
      case 'RUN_SUCCESS':
      case 'RUN_FAILURE':
      case 'RUN_CANCELED':
        line = event.message;
        break;
      case 'RUN_ENQUEUED':
      case 'RUN_STARTING':
      case 'RUN_CANCELING':
      case 'STEP_OUTPUT':
      case 'ASSET_MATERIALIZATION':
        break;
    }
    if (line !== undefined) out.write(`${line}\n`);
  };
}
