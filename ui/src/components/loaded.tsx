/** What every view shows around an API answer: the answer, "Loading…", or the error in its way. */
import type { ReactNode } from 'react';
import { ApiError } from '../api-client.js';
import type { ApiState } from '../use-api.js';

/** Shows `children(answer)`, or what is in the way (loading, a missing part, an error). */
export function Loaded<TBody>({
  state,
  children,
}: {
  state: Pick<ApiState<TBody>, 'data' | 'error'>;
  children: (data: TBody) => ReactNode;
}) {
  if (state.data !== undefined) return <>{children(state.data)}</>;
  if (state.error !== undefined) return <ErrorNote error={state.error} />;
  return <p className="muted">Loading…</p>;
}

/** An API error as one line: a 401 asks for the token, a 503 says which part the server lacks. */
export function ErrorNote({ error }: { error: Error }) {
  if (error instanceof ApiError && error.status === 401)
    return (
      <p className="bad" role="alert">
        Needs an API token (above).
      </p>
    );
  if (error instanceof ApiError && error.status === 503) return <p className="muted">{error.message}</p>;
  return (
    <p className="bad" role="alert">
      {error.message}
    </p>
  );
}

/** A status as a colored badge (run statuses, tick statuses, FRESH/STALE/MISSING). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status.toLowerCase()}`}>{status}</span>;
}
