/**
 * One asset (`/assets/<key>`): its definition and status; its materializations, newest first and
 * paged, with data and code versions and metadata; a plot of any numeric metadata over the
 * materializations (`?metadata=<key>`; a point opens its run); its checks with their history; and
 * for a partitioned asset its partitions (paged, virtualized: 10k+ stay smooth). Live on runs.
 */
import { useMemo } from 'react';
import { LineChart } from '../../components/line-chart.js';
import { ErrorNote, Loaded, StatusBadge } from '../../components/loaded.js';
import { usePagedList } from '../../components/use-paged-list.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import { navigate, useQueryParam } from '../../router.js';
import { useApi } from '../../use-api.js';
import { assetPath } from './assets-page.js';
import type { AssetAnswer, CheckEvaluationRow, MaterializationRow, PartitionRow } from './types.js';

const runLink = (runId: string) => (
  <Link to={`/runs/${encodeURIComponent(runId)}`} className="mono">
    {runId.slice(0, 8)}
  </Link>
);
const short = (value: string | null) => (value === null ? '—' : value.slice(0, 12));
const metadataText = (metadata: Record<string, unknown>) =>
  Object.entries(metadata)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? String(Number(v.toPrecision(6))) : JSON.stringify(v)}`)
    .join(' · ');

const MATERIALIZATION_COLUMNS: Column<MaterializationRow>[] = [
  {
    id: 'when',
    header: 'When',
    width: '8rem',
    cell: (m) => <span title={new Date(m.timestamp).toISOString()}>{timeAgo(m.timestamp)}</span>,
  },
  { id: 'run', header: 'Run', width: '7rem', cell: (m) => runLink(m.runId) },
  { id: 'partition', header: 'Partition', width: '8rem', cell: (m) => m.partition ?? '—' },
  { id: 'data', header: 'Data version', width: '9rem', className: 'mono', cell: (m) => short(m.dataVersion) },
  { id: 'code', header: 'Code version', width: '9rem', className: 'mono', cell: (m) => short(m.codeVersion) },
  {
    id: 'metadata',
    header: 'Metadata',
    className: 'mono ellipsis',
    cell: (m) => <span title={metadataText(m.metadata)}>{metadataText(m.metadata)}</span>,
  },
];

const CHECK_COLUMNS: Column<CheckEvaluationRow>[] = [
  { id: 'when', header: 'When', width: '8rem', cell: (e) => timeAgo(e.timestamp) },
  { id: 'check', header: 'Check', width: '14rem', cell: (e) => e.checkName },
  {
    id: 'result',
    header: 'Result',
    width: '7rem',
    cell: (e) => <StatusBadge status={e.passed ? 'PASSED' : 'FAILED'} />,
  },
  {
    id: 'severity',
    header: 'Severity',
    width: '8rem',
    cell: (e) => `${e.severity}${e.blocking ? ', blocking' : ''}`,
  },
  { id: 'run', header: 'Run', width: '7rem', cell: (e) => runLink(e.runId) },
  { id: 'metadata', header: 'Metadata', className: 'mono ellipsis', cell: (e) => metadataText(e.metadata) },
];

const PARTITION_COLUMNS: Column<PartitionRow>[] = [
  { id: 'partition', header: 'Partition', width: '12rem', className: 'mono', cell: (p) => p.partition },
  { id: 'status', header: 'Status', width: '8rem', cell: (p) => <StatusBadge status={p.status} /> },
  { id: 'why', header: 'Why', className: 'ellipsis', cell: (p) => p.reasons.join('; ') },
  {
    id: 'last',
    header: 'Last materialization',
    width: '12rem',
    cell: (p) =>
      p.lastMaterialization === null ? (
        <span className="muted">never</span>
      ) : (
        <>
          {timeAgo(p.lastMaterialization.timestamp)} · {runLink(p.lastMaterialization.runId)}
        </>
      ),
  },
];

/** The asset page. */
export function AssetDetail({ assetKey }: { assetKey: string }) {
  const base = `/api/assets/${encodeURIComponent(assetKey)}`;
  const asset = useApi<AssetAnswer>(base, { live: ['runs'] });
  return (
    <section aria-labelledby="page-title" className="asset-detail">
      <h2 id="page-title">
        <Link to="/assets">Assets</Link> / <span className="mono">{assetKey}</span>
      </h2>
      <Loaded state={asset}>
        {(answer) => (
          <>
            <AssetHeader answer={answer} />
            <Materializations base={base} />
            <Checks base={base} />
            {answer.asset.partitioned && <Partitions base={base} />}
          </>
        )}
      </Loaded>
    </section>
  );
}

function AssetHeader({ answer }: { answer: AssetAnswer }) {
  const { asset, status } = answer;
  const links = (keys: string[]) =>
    keys.length === 0 ? (
      <span className="muted">none</span>
    ) : (
      keys.map((k) => (
        <Link key={k} to={assetPath(k)} className="mono asset-link">
          {k}
        </Link>
      ))
    );
  return (
    <dl className="asset-facts">
      <dt>Status</dt>
      <dd>
        {'status' in status ? (
          <>
            <StatusBadge status={status.status} /> {status.reasons.join('; ')}
          </>
        ) : (
          `${String(status.partitions.FRESH)} fresh, ${String(status.partitions.STALE)} stale, ${String(status.partitions.MISSING)} missing partitions`
        )}
      </dd>
      <dt>Group</dt>
      <dd>{asset.group}</dd>
      {asset.description !== null && (
        <>
          <dt>Description</dt>
          <dd>{asset.description}</dd>
        </>
      )}
      <dt>Upstream</dt>
      <dd>{links(asset.deps)}</dd>
      <dt>Downstream</dt>
      <dd>{links(asset.dependents)}</dd>
      <dt>Checks</dt>
      <dd>
        {asset.checks.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          asset.checks.map((c) => `${c.name}${c.blocking ? ' (blocking)' : ''}`).join(', ')
        )}
      </dd>
    </dl>
  );
}

function Materializations({ base }: { base: string }) {
  const list = usePagedList<MaterializationRow>(`${base}/materializations`, 100, ['runs']);
  const [metadataKey, setMetadataKey] = useQueryParam('metadata');
  const numericKeys = useMemo(
    () =>
      [
        ...new Set(
          list.rows.flatMap((m) =>
            Object.entries(m.metadata)
              .filter(([, v]) => typeof v === 'number')
              .map(([k]) => k),
          ),
        ),
      ].sort(),
    [list.rows],
  );
  const plotted = metadataKey !== '' ? metadataKey : (numericKeys[0] ?? '');
  const series = useMemo(() => {
    const points = list.rows
      .filter((m) => typeof m.metadata[plotted] === 'number')
      .map((m) => ({ x: m.timestamp, y: m.metadata[plotted] as number }))
      .sort((a, b) => a.x - b.x);
    return [{ label: plotted, points }];
  }, [list.rows, plotted]);
  return (
    <section aria-labelledby="materializations-title">
      <h3 id="materializations-title">Materializations</h3>
      {list.error !== undefined && <ErrorNote error={list.error} />}
      {list.loading ? (
        <p className="muted">Loading…</p>
      ) : list.rows.length === 0 ? (
        <p className="muted">Never materialized.</p>
      ) : (
        <>
          {numericKeys.length > 0 && (
            <div className="metadata-plot">
              <label>
                Plot metadata{' '}
                <select
                  value={plotted}
                  onChange={(e) => {
                    setMetadataKey(e.target.value, { push: true });
                  }}
                >
                  {numericKeys.map((k) => (
                    <option key={k}>{k}</option>
                  ))}
                </select>
              </label>
              <LineChart
                series={series}
                label={`${plotted} over the materializations loaded`}
                timeAxis
                height={220}
                onPointClick={({ x }) => {
                  const hit = list.rows.find((m) => m.timestamp === x);
                  if (hit !== undefined) navigate(`/runs/${encodeURIComponent(hit.runId)}`);
                }}
              />
              <p className="muted">Click a point to open its run.</p>
            </div>
          )}
          <VirtualTable
            rows={list.rows}
            columns={MATERIALIZATION_COLUMNS}
            rowKey={(m) => String(m.eventId)}
            label="Materializations"
            height="40vh"
            {...(list.hasMore ? { onEndReached: list.loadMore } : {})}
          />
        </>
      )}
    </section>
  );
}

function Checks({ base }: { base: string }) {
  const list = usePagedList<CheckEvaluationRow>(`${base}/checks`, 100, ['runs']);
  return (
    <section aria-labelledby="checks-title">
      <h3 id="checks-title">Check history</h3>
      {list.error !== undefined && <ErrorNote error={list.error} />}
      {list.loading ? (
        <p className="muted">Loading…</p>
      ) : list.rows.length === 0 ? (
        <p className="muted">No check evaluations.</p>
      ) : (
        <VirtualTable
          rows={list.rows}
          columns={CHECK_COLUMNS}
          rowKey={(e) => String(e.eventId)}
          label="Check history"
          height="30vh"
          {...(list.hasMore ? { onEndReached: list.loadMore } : {})}
        />
      )}
    </section>
  );
}

function Partitions({ base }: { base: string }) {
  const list = usePagedList<PartitionRow>(`${base}/partitions`, 500, ['runs']);
  return (
    <section aria-labelledby="partitions-title">
      <h3 id="partitions-title">Partitions</h3>
      {list.error !== undefined && <ErrorNote error={list.error} />}
      {list.loading ? (
        <p className="muted">Loading…</p>
      ) : (
        <VirtualTable
          rows={list.rows}
          columns={PARTITION_COLUMNS}
          rowKey={(p) => p.partition}
          label="Partitions"
          height="40vh"
          {...(list.hasMore ? { onEndReached: list.loadMore } : {})}
        />
      )}
    </section>
  );
}
