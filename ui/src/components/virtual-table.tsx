/**
 * A table that renders only the rows in view (TanStack Table for the model, TanStack Virtual for
 * the window), so 10k+ rows stay smooth. Columns are plain `{ id, header, cell, width }`; when the
 * user scrolls near the end and `onEndReached` is given, the page asks for more rows (the API's
 * `after=<nextOffset>` paging).
 */
import { useEffect, useMemo, useRef } from 'react';
import type { ReactNode } from 'react';
import { createColumnHelper, tableFeatures, useTable } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';

/** One column of a {@link VirtualTable}. */
export interface Column<TRow> {
  id: string;
  header: string;
  cell: (row: TRow) => ReactNode;
  /** CSS width (e.g. `8rem`, `20%`). Default: shares the rest. */
  width?: string;
  className?: string;
}

/** Props of {@link VirtualTable}. */
export interface VirtualTableProps<TRow extends object> {
  rows: readonly TRow[];
  columns: readonly Column<TRow>[];
  rowKey: (row: TRow) => string;
  /** What the table is, for screen readers. */
  label: string;
  /** Height of the scrolling area. Default `60vh`. */
  height?: string;
  /** Row height estimate in px. Default 34. */
  rowHeight?: number;
  /** Called when the last rows come into view (load the next page). */
  onEndReached?: () => void;
  /** Shown under the rows (e.g. "loading more…"). */
  footer?: ReactNode;
}

const features = tableFeatures({});

/** The table. */
export function VirtualTable<TRow extends object>({
  rows,
  columns,
  rowKey,
  label,
  height = '60vh',
  rowHeight = 34,
  onEndReached,
  footer,
}: VirtualTableProps<TRow>) {
  const helper = useMemo(() => createColumnHelper<typeof features, TRow>(), []);
  const tableColumns = useMemo(
    () =>
      helper.columns(
        columns.map((column) =>
          helper.display({ id: column.id, header: column.header, cell: (c) => column.cell(c.row.original) }),
        ),
      ),
    [helper, columns],
  );
  const data = useMemo(() => [...rows], [rows]);
  const table = useTable({ features, columns: tableColumns, data, getRowId: (row) => rowKey(row) });
  const tableRows = table.getRowModel().rows;
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: tableRows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    getItemKey: (index) => tableRows[index]?.id ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];
  const atEnd = last !== undefined && last.index >= tableRows.length - 5;
  // An effect, not a call in render: it runs again when the callback changes (the page that was
  // loading has come), so a table scrolled to its end while a page was loading still asks for more.
  useEffect(() => {
    if (atEnd) onEndReached?.();
  }, [atEnd, onEndReached, tableRows.length]);
  const top = items[0]?.start ?? 0;
  const bottom = virtualizer.getTotalSize() - (last?.end ?? 0);
  const widths = columns.map((c) => c.width);
  return (
    <div
      className="virtual-table"
      ref={scroller}
      style={{ maxHeight: height }}
      tabIndex={0}
      aria-label={label}
      role="region"
    >
      <table aria-label={label} aria-rowcount={tableRows.length + 1}>
        <colgroup>
          {widths.map((width, i) => (
            <col key={i} style={width === undefined ? {} : { width }} />
          ))}
        </colgroup>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id} scope="col">
                  {header.isPlaceholder ? null : <table.FlexRender header={header} />}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {top > 0 && (
            <tr aria-hidden="true">
              <td colSpan={columns.length} style={{ height: top, padding: 0, border: 0 }} />
            </tr>
          )}
          {items.map((item) => {
            const row = tableRows[item.index];
            if (row === undefined) return null;
            return (
              <tr key={row.id} data-index={item.index} aria-rowindex={item.index + 2}>
                {row.getAllCells().map((cell, i) => (
                  <td key={cell.id} className={columns[i]?.className}>
                    <table.FlexRender cell={cell} />
                  </td>
                ))}
              </tr>
            );
          })}
          {bottom > 0 && (
            <tr aria-hidden="true">
              <td colSpan={columns.length} style={{ height: bottom, padding: 0, border: 0 }} />
            </tr>
          )}
        </tbody>
      </table>
      {footer}
    </div>
  );
}
