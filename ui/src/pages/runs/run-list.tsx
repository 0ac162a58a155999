/**
 * The run list: every run newest first, filtered by the query string (run-filters.tsx), paged
 * with `after=` as the table scrolls, and refreshed from the live stream's `run` frames (new runs
 * come first, statuses change in place).
 */
import { useMemo } from 'react';
import { ErrorNote, StatusBadge } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { duration, timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import { useLocationSearch } from '../../router.js';
import { filtersOf, RunFilters, runsPath } from './run-filters.js';
import { shortId, userTags } from './run-format.js';
import { DATA_COMMIT_TAG } from './types.js';
import type { Run, RunsPage } from './types.js';
import { usePagedList } from './use-paged-list.js';

const PAGE_SIZE = 100;

const columns: readonly Column<Run>[] = [
  {
    id: 'run',
    header: 'Run',
    width: '8rem',
    cell: (run) => (
      <Link to={`/runs/${encodeURIComponent(run.runId)}`} className="mono">
        {shortId(run.runId)}
      </Link>
    ),
  },
  { id: 'status', header: 'Status', width: '8rem', cell: (run) => <StatusBadge status={run.status} /> },
  { id: 'job', header: 'Job', cell: (run) => run.jobName },
  { id: 'partition', header: 'Partition', width: '7rem', cell: (run) => run.partition ?? '' },
  {
    id: 'commit',
    header: 'Data commit',
    width: '8rem',
    className: 'mono',
    cell: (run) => shortId(run.tags[DATA_COMMIT_TAG] ?? ''),
  },
  { id: 'created', header: 'Created', width: '9rem', cell: (run) => timeAgo(run.createdAt) },
  { id: 'duration', header: 'Duration', width: '6rem', cell: (run) => duration(run.startedAt, run.endedAt) },
  {
    id: 'tags',
    header: 'Tags',
    cell: (run) =>
      userTags(run.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
  },
];

const readRuns = (answer: unknown) => {
  const page = answer as RunsPage;
  return { rows: page.runs, hasMore: page.hasMore };
};

/** The list view. */
export function RunList() {
  const search = useLocationSearch();
  const filters = useMemo(() => filtersOf(search), [search]);
  const path = runsPath(filters, PAGE_SIZE);
  const list = usePagedList<Run>(path, {
    read: readRuns,
    rowKey: (run) => run.runId,
    cursorOf: (run) => run.runId,
    live: { topics: ['runs'], accept: () => true, mode: 'head' },
  });
  const jobs = [...new Set(list.rows.map((r) => r.jobName))].sort();
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Runs</h2>
      <RunFilters key={search} filters={filters} jobs={jobs} />
      {list.error !== undefined && <ErrorNote error={list.error} />}
      <p className="muted" aria-live="polite">
        {list.loading && list.rows.length === 0
          ? 'Loading…'
          : `${list.rows.length}${list.hasMore ? '+' : ''} run${list.rows.length === 1 ? '' : 's'}`}
      </p>
      <VirtualTable
        rows={list.rows}
        columns={columns}
        rowKey={(run) => run.runId}
        label="Runs"
        height="65vh"
        onEndReached={list.loadMore}
        footer={list.hasMore ? <p className="muted table-footer">Loading more…</p> : undefined}
      />
    </section>
  );
}
