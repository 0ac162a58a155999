/**
 * The asset catalog: every asset (or those of `?select=`, the same selection syntax as runs:
 * `train_model+`, `+x`, `group:ingest`, `*`) as a table or, with `?view=graph`, as the graph laid
 * out on the server; and "Materialize" for the selection (a queued run, linked). Live: statuses
 * follow the runs.
 */
import { useEffect, useState } from 'react';
import type { ComponentType } from 'react';
import { apiPost } from '../../api-client.js';
import { ErrorNote, Loaded, StatusBadge } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import { useQueryParam } from '../../router.js';
import { useApi } from '../../use-api.js';
import { assetPath } from './assets-page.js';
import type { CatalogAsset } from './types.js';

type GraphView = ComponentType<{ select: string }>;
let graphView: GraphView | undefined;

/**
 * The graph view's module, loaded on first use (its library, @xyflow/react, only when the graph is
 * shown); by hand rather than React.lazy, whose Suspense reveal waits up to 300 ms.
 */
function useGraphView(wanted: boolean): GraphView | undefined {
  const [view, setView] = useState(() => graphView);
  useEffect(() => {
    if (!wanted || view !== undefined) return;
    void import('./asset-graph-view.js').then((module) => {
      graphView = module.AssetGraphView;
      setView(() => module.AssetGraphView);
    });
  }, [wanted, view]);
  return view;
}

/** The status of a catalog row: of the asset, or summed over its partitions. */
function summary(asset: CatalogAsset): { status: string; detail: string } {
  if (!asset.partitioned) {
    const s = asset.statuses[0];
    return { status: s?.status ?? 'MISSING', detail: (s?.reasons ?? []).map((r) => r.kind).join(', ') };
  }
  const count = (status: string) => asset.statuses.filter((s) => s.status === status).length;
  const fresh = count('FRESH');
  const missing = count('MISSING');
  const total = asset.statuses.length;
  const status = fresh === total ? 'FRESH' : missing === total ? 'MISSING' : 'STALE';
  return { status, detail: `${fresh}/${total} partitions fresh` };
}

const COLUMNS: Column<CatalogAsset>[] = [
  {
    id: 'key',
    header: 'Asset',
    cell: (a) => (
      <Link to={assetPath(a.key)} className="mono">
        {a.key}
      </Link>
    ),
  },
  { id: 'group', header: 'Group', width: '9rem', cell: (a) => a.group },
  {
    id: 'status',
    header: 'Status',
    width: '16rem',
    cell: (a) => {
      const { status, detail } = summary(a);
      return (
        <span title={detail}>
          <StatusBadge status={status} /> <span className="muted">{detail}</span>
        </span>
      );
    },
  },
  {
    id: 'last',
    header: 'Last materialization',
    width: '13rem',
    cell: (a) => {
      const last = a.statuses
        .map((s) => s.lastMaterialization)
        .filter((m) => m !== undefined)
        .sort((x, y) => y.timestamp - x.timestamp)[0];
      return last === undefined ? (
        <span className="muted">never</span>
      ) : (
        <Link to={`/runs/${encodeURIComponent(last.runId)}`}>
          {timeAgo(last.timestamp)} · <span className="mono">{last.runId.slice(0, 8)}</span>
        </Link>
      );
    },
  },
  { id: 'checks', header: 'Checks', width: '12rem', cell: (a) => a.checks.join(', ') },
];

/** The catalog. */
export function AssetCatalog() {
  const [select, setSelect] = useQueryParam('select');
  const [view, setView] = useQueryParam('view', 'table');
  const [draft, setDraft] = useState(select);
  const query = select === '' ? '' : `?select=${encodeURIComponent(select)}`;
  const assets = useApi<{ assets: CatalogAsset[] }>(`/api/assets${query}`, { live: ['runs'] });
  const Graph = useGraphView(view === 'graph');
  return (
    <section aria-labelledby="page-title" className="assets">
      <h2 id="page-title">Assets</h2>
      <form
        className="asset-filter"
        onSubmit={(event) => {
          event.preventDefault();
          setSelect(draft.trim(), { push: true });
        }}
      >
        <label>
          Selection{' '}
          <input
            value={draft}
            onChange={(e) => {
              setDraft(e.target.value);
            }}
            placeholder="e.g. train_model+  +evaluate_model  group:ingest  *"
            size={36}
          />
        </label>
        <button type="submit">Filter</button>
        <fieldset className="view-toggle">
          <legend className="visually-hidden">View</legend>
          {(['table', 'graph'] as const).map((v) => (
            <label key={v}>
              <input
                type="radio"
                name="view"
                checked={view === v}
                onChange={() => {
                  setView(v, { push: true });
                }}
              />{' '}
              {v === 'table' ? 'Table' : 'Graph'}
            </label>
          ))}
        </fieldset>
      </form>
      <MaterializeButton select={select} />
      <Loaded state={assets}>
        {({ assets: rows }) =>
          view === 'graph' ? (
            Graph === undefined ? (
              <p className="muted">Loading…</p>
            ) : (
              <Graph select={select} />
            )
          ) : (
            <>
              <p className="muted">
                {rows.length} asset{rows.length === 1 ? '' : 's'}
                {select === '' ? '' : ` in ${select}`}
              </p>
              <VirtualTable rows={rows} columns={COLUMNS} rowKey={(a) => a.key} label="Asset catalog" />
            </>
          )
        }
      </Loaded>
    </section>
  );
}

/** Queues a run of the selection (every asset when none is given) and links it. */
function MaterializeButton({ select }: { select: string }) {
  const [outcome, setOutcome] = useState<{ runId: string } | Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <div className="asset-actions">
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          apiPost<{ run: { runId: string } }>('/api/runs', { select: select === '' ? '*' : select }).then(
            ({ run }) => {
              setOutcome({ runId: run.runId });
              setBusy(false);
            },
            (error: unknown) => {
              setOutcome(error as Error);
              setBusy(false);
            },
          );
        }}
      >
        Materialize {select === '' ? 'all' : 'selection'}
      </button>
      {outcome instanceof Error ? (
        <ErrorNote error={outcome} />
      ) : outcome === undefined ? null : (
        <span className="action-result">
          Queued run{' '}
          <Link to={`/runs/${encodeURIComponent(outcome.runId)}`}>
            <span className="mono">{outcome.runId.slice(0, 8)}</span>
          </Link>
        </span>
      )}
    </div>
  );
}
