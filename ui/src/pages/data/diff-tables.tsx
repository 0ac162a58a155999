/**
 * A diff as the Compare and Uncommitted changes views show it: the per-prefix summary (counts and
 * bytes added, removed, changed) over the entries loaded, then the entries in a paged table.
 */
import { ErrorNote } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { bytes } from './data-format.js';
import { combinedSummary } from './diff-summary.js';
import { MoreFooter } from './more-footer.js';
import type { DiffAnswer, DiffEntry, DiffSummaryRow, DiffTotals } from './types.js';
import type { PagedState } from './use-paged.js';

const ENTRY_COLUMNS: Column<DiffEntry>[] = [
  {
    id: 'type',
    header: 'Change',
    width: '7rem',
    cell: (e) => <span className={`data-change data-change-${e.type}`}>{e.type}</span>,
  },
  { id: 'path', header: 'Path', cell: (e) => <span className="mono">{e.path}</span> },
  { id: 'size', header: 'Size', width: '7rem', cell: (e) => bytes(e.sizeBytes) },
];

function totals(t: DiffTotals): string {
  return t.count === 0 ? '—' : `${t.count} · ${bytes(t.bytes)}`;
}

function SummaryRow({ row, label }: { row: DiffSummaryRow; label: string }) {
  return (
    <tr>
      <th scope="row" className="mono">
        {label}
      </th>
      <td>{totals(row.added)}</td>
      <td>{totals(row.removed)}</td>
      <td>{totals(row.changed)}</td>
      <td>{row.conflicts === 0 ? '—' : row.conflicts}</td>
    </tr>
  );
}

/** The summary table and the entries of a paged diff. */
export function DiffView({
  diff,
  label,
  empty,
}: {
  diff: PagedState<DiffEntry, DiffAnswer>;
  label: string;
  /** What to say when there is no entry. */
  empty: string;
}) {
  if (diff.first === undefined)
    return diff.error === undefined ? <p className="muted">Loading…</p> : <ErrorNote error={diff.error} />;
  const summary = combinedSummary([diff.first, ...diff.more]);
  if (summary === undefined || diff.rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <>
      <section aria-labelledby="summary-title">
        <h4 id="summary-title">Summary by prefix</h4>
        {diff.hasMore && (
          <p className="muted">
            Of the {diff.rows.length} entries loaded so far; scroll the entries for more.
          </p>
        )}
        <table aria-label={`Summary of ${label}`} className="data-summary">
          <thead>
            <tr>
              <th scope="col">Prefix</th>
              <th scope="col">Added</th>
              <th scope="col">Removed</th>
              <th scope="col">Changed</th>
              <th scope="col">Conflicts</th>
            </tr>
          </thead>
          <tbody>
            {summary.rows.map((row) => (
              <SummaryRow key={row.prefix} row={row} label={row.prefix === '' ? '(top level)' : row.prefix} />
            ))}
            {summary.rows.length > 1 && <SummaryRow row={summary.total} label="total" />}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="entries-title">
        <h4 id="entries-title">Entries</h4>
        {diff.error !== undefined && <ErrorNote error={diff.error} />}
        <VirtualTable
          rows={diff.rows}
          columns={ENTRY_COLUMNS}
          rowKey={(e) => `${e.type}:${e.path}`}
          label={`Entries of ${label}`}
          height="45vh"
          onEndReached={diff.loadMore}
          footer={<MoreFooter state={diff} />}
        />
      </section>
    </>
  );
}
