/**
 * Lineage and why: the chain data commit → sensor tick → pipeline run → training run → model
 * version → gate → alias moves around one thing, as a left-to-right graph, with the notes on what
 * the stores lack; for a model version also why it was (not) promoted. In the URL, exactly one of
 * `?modelVersion=NAME/3`, `?run=<pipeline run id>`, `?commit=<id>&repository=<repo>`, and
 * `&alias=` for the why (default champion).
 */
import { useId, useState } from 'react';
import { Loaded } from '../../components/loaded.js';
import { navigate, useQueryParam } from '../../router.js';
import { useApi } from '../../use-api.js';
import type { PageProps } from '../page-props.js';
import { LineageGraph } from './lineage-graph.js';
import type { LineageAnswer } from './types.js';
import { WhyPanel } from './why-panel.js';
import '../experiments/experiments.css';
import './lineage.css';

/** What the lineage is around, from the URL (the first of the three that is set). */
function useFocus():
  { query: string; title: string; modelVersion?: { name: string; version: string } } | undefined {
  const [modelVersion] = useQueryParam('modelVersion');
  const [run] = useQueryParam('run');
  const [commit] = useQueryParam('commit');
  const [repository] = useQueryParam('repository');
  if (modelVersion !== '') {
    const slash = modelVersion.lastIndexOf('/');
    const parsed =
      slash > 0 ? { name: modelVersion.slice(0, slash), version: modelVersion.slice(slash + 1) } : undefined;
    return {
      query: `modelVersion=${encodeURIComponent(modelVersion)}`,
      title: parsed === undefined ? modelVersion : `${parsed.name} v${parsed.version}`,
      ...(parsed === undefined ? {} : { modelVersion: parsed }),
    };
  }
  if (run !== '')
    return { query: `run=${encodeURIComponent(run)}`, title: `pipeline run ${run.slice(0, 8)}` };
  if (commit !== '')
    return {
      query: `commit=${encodeURIComponent(commit)}${repository === '' ? '' : `&repository=${encodeURIComponent(repository)}`}`,
      title: `data commit ${repository === '' ? '' : `${repository}@`}${commit.slice(0, 12)}`,
    };
  return undefined;
}

/** The page. */
export function LineagePage(_props: PageProps) {
  const focus = useFocus();
  const [alias] = useQueryParam('alias', 'champion');
  return (
    <div className="lineage">
      <h2 id="page-title">Lineage{focus === undefined ? '' : ` of ${focus.title}`}</h2>
      <FocusForm />
      {focus === undefined ? (
        <p className="muted">
          Name a model version (NAME/VERSION), a pipeline run or a data commit to follow.
        </p>
      ) : (
        <Lineage query={focus.query} />
      )}
      {focus?.modelVersion !== undefined && (
        <WhyPanel name={focus.modelVersion.name} version={focus.modelVersion.version} alias={alias} />
      )}
    </div>
  );
}

function Lineage({ query }: { query: string }) {
  // new ticks, runs and versions extend the chain: follow them
  const state = useApi<LineageAnswer>(`/api/lineage?${query}`, { live: ['runs', 'ticks', 'models'] });
  return (
    <section aria-label="Lineage">
      <Loaded state={state}>
        {(lineage) => (
          <>
            <LineageGraph lineage={lineage} />
            {lineage.notes.length > 0 && (
              <ul className="notes" aria-label="Notes">
                {lineage.notes.map((note) => (
                  <li key={note}>{note}</li>
                ))}
              </ul>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

const KINDS = {
  modelVersion: 'Model version (NAME/VERSION)',
  run: 'Pipeline run id',
  commit: 'Data commit id',
};
type Kind = keyof typeof KINDS;

/** Pick what to follow. */
function FocusForm() {
  const ids = { kind: useId(), value: useId(), repo: useId() };
  const [kind, setKind] = useState<Kind>('modelVersion');
  const [value, setValue] = useState('');
  const [repository, setRepository] = useState('');
  return (
    <form
      className="filter-form"
      onSubmit={(e) => {
        e.preventDefault();
        const params = new URLSearchParams({ [kind]: value.trim() });
        if (kind === 'commit' && repository.trim() !== '') params.set('repository', repository.trim());
        navigate(`/lineage?${params.toString()}`);
      }}
    >
      <label htmlFor={ids.kind}>Follow</label>
      <select
        id={ids.kind}
        value={kind}
        onChange={(e) => {
          setKind(e.target.value as Kind);
        }}
      >
        {Object.entries(KINDS).map(([k, title]) => (
          <option key={k} value={k}>
            {title}
          </option>
        ))}
      </select>
      <label htmlFor={ids.value} className="visually-hidden">
        {KINDS[kind]}
      </label>
      <input
        id={ids.value}
        className="mono"
        required
        value={value}
        placeholder={kind === 'modelVersion' ? 'flight-delays/3' : ''}
        onChange={(e) => {
          setValue(e.target.value);
        }}
      />
      {kind === 'commit' && (
        <>
          <label htmlFor={ids.repo}>Repository</label>
          <input
            id={ids.repo}
            value={repository}
            onChange={(e) => {
              setRepository(e.target.value);
            }}
          />
        </>
      )}
      <button type="submit">Show</button>
    </form>
  );
}
