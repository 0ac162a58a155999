/**
 * Promote (point an alias at a version) and roll back (send an alias back to where it pointed
 * before its last move). Both need a reason, which the alias history keeps; each shows the
 * server's answer (or its error) and then refetches the model, its versions and the history.
 */
import { useId, useState } from 'react';
import type { SyntheticEvent } from 'react';
import { apiPost } from '../../api-client.js';
import { ErrorNote } from '../../components/loaded.js';
import { moveText } from './alias-history.js';
import type { PromoteAnswer, RollbackAnswer } from './types.js';

/** What an action came to: the sentence to show, or the error. */
type Outcome = { ok: string } | { error: Error } | undefined;

const aliasPath = (model: string, alias: string): string =>
  `/api/models/${encodeURIComponent(model)}/aliases/${encodeURIComponent(alias)}`;

/** Props of {@link PromoteForm}. */
export interface PromoteFormProps {
  model: string;
  /** Versions to choose from, newest first. */
  versions: readonly string[];
  /** The version picked first (the one open on the page). */
  initialVersion: string | undefined;
  aliases: Record<string, string>;
  onDone: () => void;
}

/** Point an alias (champion by default) at a version, with a reason. */
export function PromoteForm({ model, versions, initialVersion, aliases, onDone }: PromoteFormProps) {
  const ids = { version: useId(), alias: useId(), reason: useId(), list: useId() };
  const [version, setVersion] = useState(initialVersion ?? versions[0] ?? '');
  const [alias, setAlias] = useState('champion');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  const submit = (event: SyntheticEvent): void => {
    event.preventDefault();
    setBusy(true);
    apiPost<PromoteAnswer>(aliasPath(model, alias.trim()), { version, reason: reason.trim() })
      .then(
        (answer) => {
          setOutcome({
            ok: answer.moved
              ? `${alias}: ${moveText({ from: answer.from, to: answer.to })}.`
              : `${alias} already pointed at v${answer.to}: nothing moved.`,
          });
          setReason('');
        },
        (error: unknown) => {
          setOutcome({ error: error as Error });
        },
      )
      .finally(() => {
        setBusy(false);
        onDone();
      });
  };
  const pickable = versions.includes(version) || version === '' ? versions : [version, ...versions];
  return (
    <form className="alias-form" onSubmit={submit} aria-labelledby="promote-title">
      <h3 id="promote-title">Promote</h3>
      <label htmlFor={ids.version}>Version</label>
      <select
        id={ids.version}
        value={version}
        onChange={(e) => {
          setVersion(e.target.value);
        }}
      >
        {pickable.map((v) => (
          <option key={v} value={v}>
            v{v}
            {Object.entries(aliases)
              .filter(([, to]) => to === v)
              .map(([a]) => ` (${a})`)
              .join('')}
          </option>
        ))}
      </select>
      <label htmlFor={ids.alias}>Alias</label>
      <input
        id={ids.alias}
        list={ids.list}
        value={alias}
        required
        onChange={(e) => {
          setAlias(e.target.value);
        }}
      />
      <datalist id={ids.list}>
        {[...new Set(['champion', ...Object.keys(aliases)])].map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      <label htmlFor={ids.reason}>Reason</label>
      <input
        id={ids.reason}
        value={reason}
        required
        placeholder="why (kept in the alias history)"
        onChange={(e) => {
          setReason(e.target.value);
        }}
      />
      <button type="submit" disabled={busy || version === '' || alias.trim() === '' || reason.trim() === ''}>
        Promote
      </button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}

/** Props of {@link RollbackForm}. */
export interface RollbackFormProps {
  model: string;
  aliases: Record<string, string>;
  onDone: () => void;
}

/** Send an alias back to the version it pointed at before its last move, with a reason. */
export function RollbackForm({ model, aliases, onDone }: RollbackFormProps) {
  const ids = { alias: useId(), reason: useId() };
  const names = Object.keys(aliases).sort((a, b) =>
    a === 'champion' ? -1 : b === 'champion' ? 1 : a.localeCompare(b),
  );
  const [alias, setAlias] = useState(names[0] ?? '');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  if (names.length === 0) return null;
  const submit = (event: SyntheticEvent): void => {
    event.preventDefault();
    setBusy(true);
    apiPost<RollbackAnswer>(`${aliasPath(model, alias)}/rollback`, { reason: reason.trim() })
      .then(
        (answer) => {
          setOutcome({ ok: `${answer.alias} rolled back: ${moveText(answer)}.` });
          setReason('');
        },
        (error: unknown) => {
          setOutcome({ error: error as Error });
        },
      )
      .finally(() => {
        setBusy(false);
        onDone();
      });
  };
  return (
    <form className="alias-form" onSubmit={submit} aria-labelledby="rollback-title">
      <h3 id="rollback-title">Roll back</h3>
      <label htmlFor={ids.alias}>Alias</label>
      <select
        id={ids.alias}
        value={alias}
        onChange={(e) => {
          setAlias(e.target.value);
        }}
      >
        {names.map((a) => (
          <option key={a} value={a}>
            {a} (now v{aliases[a]})
          </option>
        ))}
      </select>
      <label htmlFor={ids.reason}>Reason</label>
      <input
        id={ids.reason}
        value={reason}
        required
        placeholder="why (kept in the alias history)"
        onChange={(e) => {
          setReason(e.target.value);
        }}
      />
      <button type="submit" disabled={busy || alias === '' || reason.trim() === ''}>
        Roll back
      </button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}

function OutcomeLine({ outcome }: { outcome: Outcome }) {
  if (outcome === undefined) return null;
  if ('error' in outcome) return <ErrorNote error={outcome.error} />;
  return (
    <p className="ok outcome" role="status">
      {outcome.ok}
    </p>
  );
}
