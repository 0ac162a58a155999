/**
 * The Data page's writes (scope `trigger`): create a branch from a ref (`POST …/branches`), merge a
 * ref into a branch (`POST …/refs/:source/merge/:destination`). Each says its result or its error
 * (a conflict, uncommitted changes on the destination, a refusing hook…) in one line, then lets the
 * caller refetch.
 */
import { useState } from 'react';
import type { SyntheticEvent } from 'react';
import { apiPost } from '../../api-client.js';
import { ErrorNote } from '../../components/loaded.js';
import { Link } from '../../link.js';
import { shortId } from './data-format.js';
import { dataPath, repoApi } from './data-paths.js';
import { RefField } from './ref-input.js';
import type { MergeResult, RefInfo } from './types.js';

/** Where an action is: not sent, sending, answered, or refused. */
type ActionState<T> =
  { phase: 'idle' } | { phase: 'sending' } | { phase: 'done'; answer: T } | { phase: 'failed'; error: Error };

/** Runs one POST at a time and keeps its outcome. */
function useAction<T>(onDone: () => void) {
  const [state, setState] = useState<ActionState<T>>({ phase: 'idle' });
  const run = (send: () => Promise<T>) => (event: SyntheticEvent) => {
    event.preventDefault();
    setState({ phase: 'sending' });
    send().then(
      (answer) => {
        setState({ phase: 'done', answer });
        onDone();
      },
      (error: unknown) => {
        setState({ phase: 'failed', error: error as Error });
      },
    );
  };
  return [state, run] as const;
}

/** Create a branch `name` from `source`. */
export function CreateBranchForm({
  repo,
  defaultSource,
  refList,
  onDone,
}: {
  repo: string;
  defaultSource: string;
  refList: string;
  onDone: () => void;
}) {
  const [name, setName] = useState('');
  const [source, setSource] = useState(defaultSource);
  const [state, run] = useAction<RefInfo>(onDone);
  return (
    <form
      className="data-form"
      aria-label="Create branch"
      onSubmit={run(() =>
        apiPost<RefInfo>(repoApi(repo, '/branches'), { name: name.trim(), source: source.trim() }),
      )}
    >
      <label>
        New branch{' '}
        <input
          name="name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
          }}
          required
          spellCheck={false}
          autoComplete="off"
        />
      </label>
      <RefField label="from" name="source" value={source} onChange={setSource} refList={refList} />
      <button type="submit" disabled={state.phase === 'sending'}>
        Create branch
      </button>
      <span role="status" className="data-result">
        {state.phase === 'done' && (
          <span className="ok">
            Created{' '}
            <Link to={dataPath(repo, 'commits', { ref: state.answer.name })}>{state.answer.name}</Link> at{' '}
            <span className="mono">{shortId(state.answer.commitId)}</span>
          </span>
        )}
      </span>
      {state.phase === 'failed' && <ErrorNote error={state.error} />}
    </form>
  );
}

/** Merge `source` into `destination`, with a message. */
export function MergeForm({
  repo,
  defaultDestination,
  refList,
  onDone,
}: {
  repo: string;
  defaultDestination: string;
  refList: string;
  onDone: () => void;
}) {
  const [source, setSource] = useState('');
  const [destination, setDestination] = useState(defaultDestination);
  const [message, setMessage] = useState('');
  const [state, run] = useAction<MergeResult & { destination: string }>(onDone);
  const send = async () => {
    const into = destination.trim();
    const path = repoApi(
      repo,
      `/refs/${encodeURIComponent(source.trim())}/merge/${encodeURIComponent(into)}`,
    );
    const result = await apiPost<MergeResult>(path, message.trim() === '' ? {} : { message: message.trim() });
    return { ...result, destination: into };
  };
  return (
    <form className="data-form" aria-label="Merge" onSubmit={run(send)}>
      <RefField label="Merge" name="source" value={source} onChange={setSource} refList={refList} />
      <RefField
        label="into"
        name="destination"
        value={destination}
        onChange={setDestination}
        refList={refList}
      />
      <label>
        Message{' '}
        <input
          name="message"
          value={message}
          onChange={(e) => {
            setMessage(e.target.value);
          }}
          placeholder={`Merge '${source}' into '${destination}'`}
          size={36}
        />
      </label>
      <button type="submit" disabled={state.phase === 'sending'}>
        Merge
      </button>
      <span role="status" className="data-result">
        {state.phase === 'done' &&
          (state.answer.kind === 'merge' ? (
            <span className="ok">
              Merged: commit{' '}
              <Link to={dataPath(repo, 'commits', { ref: state.answer.destination })} className="mono">
                {shortId(state.answer.reference)}
              </Link>{' '}
              on {state.answer.destination}
            </span>
          ) : (
            <span className="muted">Nothing to merge: {state.answer.destination} already has it.</span>
          ))}
      </span>
      {state.phase === 'failed' && <ErrorNote error={state.error} />}
    </form>
  );
}
