/**
 * A run's actions: re-execute all, re-execute from failure (the steps that did not succeed, reusing
 * the values the passed ones stored), cancel. Each shows its result (the new run, linked) or its
 * error on one line, and asks the page to refetch.
 */
import { useState } from 'react';
import { apiPost } from '../../api-client.js';
import { ErrorNote } from '../../components/loaded.js';
import { Link } from '../../link.js';
import { shortId } from './run-format.js';
import type { Run } from './types.js';

const FINISHED = ['SUCCESS', 'FAILURE', 'CANCELED'];
const CANCELABLE = ['QUEUED', 'NOT_STARTED', 'STARTING', 'STARTED'];

type Outcome = { kind: 'run'; what: string; run: Run } | { kind: 'error'; error: Error } | undefined;

/** The buttons and the last one's outcome. */
export function RunActions({ run, onDone }: { run: Run; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  const act = (what: string, path: string, body: unknown): void => {
    setBusy(true);
    apiPost<{ run: Run }>(path, body).then(
      (answer) => {
        setOutcome({ kind: 'run', what, run: answer.run });
        setBusy(false);
        onDone();
      },
      (error: unknown) => {
        setOutcome({ kind: 'error', error: error as Error });
        setBusy(false);
        onDone();
      },
    );
  };
  const base = `/api/runs/${encodeURIComponent(run.runId)}`;
  const finished = FINISHED.includes(run.status);
  const failed = run.status === 'FAILURE' || run.status === 'CANCELED';
  return (
    <div className="run-actions">
      <button
        type="button"
        disabled={busy || !finished}
        onClick={() => {
          act('Re-execution (all steps)', `${base}/reexecute`, { fromFailure: false });
        }}
      >
        Re-execute all
      </button>
      <button
        type="button"
        disabled={busy || !failed}
        onClick={() => {
          act('Re-execution from failure', `${base}/reexecute`, { fromFailure: true });
        }}
      >
        Re-execute from failure
      </button>
      <button
        type="button"
        disabled={busy || !CANCELABLE.includes(run.status)}
        onClick={() => {
          act('Cancel', `${base}/cancel`, {});
        }}
      >
        Cancel
      </button>
      <span role="status" className="action-result">
        {outcome?.kind === 'run' &&
          (outcome.run.runId === run.runId ? (
            <span>
              {outcome.what}: run is {outcome.run.status}
            </span>
          ) : (
            <span>
              {outcome.what} queued as{' '}
              <Link to={`/runs/${encodeURIComponent(outcome.run.runId)}`} className="mono">
                {shortId(outcome.run.runId)}
              </Link>{' '}
              ({outcome.run.assetKeys.join(', ')})
            </span>
          ))}
      </span>
      {outcome?.kind === 'error' && <ErrorNote error={outcome.error} />}
    </div>
  );
}
