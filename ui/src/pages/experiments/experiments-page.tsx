/**
 * Experiments: the experiments, the training runs of one (or all) matching an MLflow filter string,
 * a run's metric history (downsampled, refetched on zoom) and the comparison of 2+ runs. The view
 * is in the URL: `?experiment=<name>&filter=<MLflow filter>&children=1&run=<id>&compare=<id>,<id>
 * &metric=<key>&steps=<min>-<max>&allParams=1`.
 */
import { useCallback, useId, useState } from 'react';
import { ErrorNote, Loaded } from '../../components/loaded.js';
import { Link } from '../../link.js';
import { navigate, useQueryParam, withQuery } from '../../router.js';
import { useApi } from '../../use-api.js';
import type { PageProps } from '../page-props.js';
import { CompareRuns } from './compare-runs.js';
import { RunDetail } from './run-detail.js';
import { isChildRun } from './run-columns.js';
import { RunsTable } from './runs-table.js';
import type { PagedAnswer } from '../../components/use-paged-list.js';
import { usePagedList } from '../../components/use-paged-list.js';
import type { Experiment, TrainingRun } from './types.js';
import './experiments.css';

/** The page. */
export function ExperimentsPage(_props: PageProps) {
  const [experiment] = useQueryParam('experiment');
  const [filter] = useQueryParam('filter');
  const [runId] = useQueryParam('run');
  const [compare, setCompare] = useQueryParam('compare');
  const selected = compare === '' ? [] : compare.split(',');
  const toggle = useCallback(
    (id: string) => {
      const now = new Set(compare === '' ? [] : compare.split(','));
      if (now.has(id)) now.delete(id);
      else now.add(id);
      setCompare([...now].join(','));
    },
    [compare, setCompare],
  );
  return (
    <div className="experiments">
      <h2 id="page-title">Experiments</h2>
      <ExperimentList current={experiment} />
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Training runs{experiment === '' ? '' : ` of ${experiment}`}</h2>
        <FilterForm filter={filter} />
        <Runs
          experiment={experiment}
          filter={filter}
          selected={selected}
          onToggle={toggle}
          openRunId={runId}
        />
      </section>
      {selected.length >= 2 && <CompareRuns runIds={selected} />}
      {runId !== '' && <RunDetail key={runId} runId={runId} />}
    </div>
  );
}

function ExperimentList({ current }: { current: string }) {
  const state = useApi<PagedAnswer<Experiment>>('/api/experiments?limit=100');
  return (
    <nav aria-label="Experiments" className="experiment-list">
      <Loaded state={state}>
        {(answer) => (
          <ul>
            <li>
              <Link
                to={withQuery({ experiment: undefined, run: undefined, compare: undefined })}
                current={current === ''}
              >
                All experiments
              </Link>
            </li>
            {answer.results.map((e) => (
              <li key={e.experimentId}>
                <Link
                  to={withQuery({ experiment: e.name, run: undefined, compare: undefined })}
                  current={current === e.name || current === e.experimentId}
                >
                  {e.name}
                </Link>
              </li>
            ))}
            {answer.hasMore && <li className="muted">(first 100 shown)</li>}
          </ul>
        )}
      </Loaded>
    </nav>
  );
}

/** The MLflow filter box: applied on submit (a half-typed filter is not a valid one). */
function FilterForm({ filter }: { filter: string }) {
  const inputId = useId();
  const [text, setText] = useState(filter);
  return (
    <form
      className="filter-form"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(withQuery({ filter: text.trim() }));
      }}
    >
      <label htmlFor={inputId}>Filter</label>
      <input
        id={inputId}
        type="search"
        className="mono"
        value={text}
        placeholder="metrics.auc > 0.55 and params.model = 'gradient_boosting'"
        onChange={(e) => {
          setText(e.target.value);
        }}
      />
      <button type="submit">Apply</button>
    </form>
  );
}

interface RunsProps {
  experiment: string;
  filter: string;
  selected: readonly string[];
  onToggle: (runId: string) => void;
  openRunId: string;
}

function Runs({ experiment, filter, selected, onToggle, openRunId }: RunsProps) {
  const [children, setChildren] = useQueryParam('children');
  const childrenId = useId();
  const params = new URLSearchParams();
  if (experiment !== '') params.set('experiment', experiment);
  if (filter !== '') params.set('filter', filter);
  // new training runs come from pipeline runs: refetch when one ends
  const list = usePagedList<TrainingRun>(`/api/training-runs?${params.toString()}`, 100, ['runs']);
  const showChildren = children === '1';
  const shown = showChildren ? list.rows : list.rows.filter((r) => !isChildRun(r));
  const hidden = list.rows.length - shown.length;
  if (list.error !== undefined && list.rows.length === 0) return <ErrorNote error={list.error} />;
  if (list.loading) return <p className="muted">Loading…</p>;
  const footer = `${shown.length} run${shown.length === 1 ? '' : 's'}${
    hidden > 0 ? ` (${hidden} child run${hidden === 1 ? '' : 's'} hidden)` : ''
  }${list.hasMore ? ', more below' : ''}`;
  return (
    <>
      <p className="chart-controls">
        <input
          id={childrenId}
          type="checkbox"
          checked={showChildren}
          onChange={(e) => {
            setChildren(e.target.checked ? '1' : '');
          }}
        />
        <label htmlFor={childrenId}>Show child runs (e.g. baselines logged inside a training run)</label>
        {selected.length === 1 && <span className="muted">Tick one more run to compare.</span>}
      </p>
      {list.error !== undefined && <ErrorNote error={list.error} />}
      <RunsTable
        runs={shown}
        selected={selected}
        onToggle={onToggle}
        openRunId={openRunId}
        onEndReached={list.loadMore}
        footer={footer}
      />
    </>
  );
}
