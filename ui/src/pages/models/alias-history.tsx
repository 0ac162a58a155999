/** Every move of a model's aliases, newest first (`GET /api/models/:name/history`), live. */
import type { ApiState } from '../../use-api.js';
import { Loaded } from '../../components/loaded.js';
import { timeAgo } from '../../format.js';
import type { AliasHistoryAnswer, AliasMove } from './types.js';

/** How many moves the page asks for. */
export const HISTORY_LIMIT = 100;

const versionText = (v: string | null): string => (v === null ? '—' : `v${v}`);

/** A move as `v3 → v2` (`new → v1`, `v2 → deleted`). */
export function moveText(move: Pick<AliasMove, 'from' | 'to'>): string {
  return `${move.from === null ? 'new' : versionText(move.from)} → ${move.to === null ? 'deleted' : versionText(move.to)}`;
}

/** The history table. */
export function AliasHistory({ state }: { state: ApiState<AliasHistoryAnswer> }) {
  return (
    <section aria-labelledby="history-title">
      <h3 id="history-title">Alias history</h3>
      <Loaded state={state}>
        {(answer) =>
          answer.moves.length === 0 ? (
            <p className="muted">No alias has moved yet.</p>
          ) : (
            <table aria-label="Alias history">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Alias</th>
                  <th scope="col">Move</th>
                  <th scope="col">By</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {answer.moves.map((move) => (
                  <tr key={`${move.alias}:${move.timestamp}:${move.from ?? ''}:${move.to ?? ''}`}>
                    <td title={move.when}>{timeAgo(move.timestamp)}</td>
                    <td>{move.alias}</td>
                    <td className="mono">{moveText(move)}</td>
                    <td className="wrap">{move.by}</td>
                    <td className="wrap">{move.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      {state.data !== undefined && state.data.moves.length >= HISTORY_LIMIT && (
        <p className="muted">The newest {HISTORY_LIMIT} moves.</p>
      )}
    </section>
  );
}
