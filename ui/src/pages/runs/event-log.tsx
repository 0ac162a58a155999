/**
 * A run's event log, fetched in windows: the first page, the next as the table scrolls
 * (`after=<last id>`), and, once the end is loaded, what the live stream says was appended. Only
 * the rows in view are in the DOM (VirtualTable), so 100k events stay smooth. Filters (`type`,
 * `step`) are the caller's, from the URL.
 */
import { ErrorNote } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import type { LiveFrame } from '../../live-stream.js';
import { clockTime } from './run-format.js';
import type { EventFrame, EventsPage, RunEvent } from './types.js';
import { usePagedList } from './use-paged-list.js';

const PAGE_SIZE = 500;

const readEvents = (answer: unknown) => {
  const page = answer as EventsPage;
  return { rows: page.events, hasMore: page.hasMore };
};

/** The events of `runId` matching the filters (`''`: any). */
export function useRunEvents(runId: string, filters: { type: string; step: string }) {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filters.type !== '') params.set('type', filters.type);
  if (filters.step !== '') params.set('step', filters.step);
  return usePagedList<RunEvent>(`/api/runs/${encodeURIComponent(runId)}/events?${params.toString()}`, {
    read: readEvents,
    rowKey: (event) => String(event.id),
    cursorOf: (event) => String(event.id),
    live: {
      topics: ['events'],
      accept: (frame: LiveFrame) => (frame.data as EventFrame).runId === runId,
      mode: 'tail',
    },
  });
}

/** One line of what an event says: its message, and an error's. */
function said(event: RunEvent): string {
  const error = event.error === undefined ? '' : ` — ${event.error.name}: ${event.error.message}`;
  return `${event.message}${error}`;
}

const columns: readonly Column<RunEvent>[] = [
  { id: 'id', header: '#', width: '5rem', className: 'mono muted', cell: (e) => e.id },
  { id: 'time', header: 'Time', width: '7.5rem', className: 'mono', cell: (e) => clockTime(e.timestamp) },
  { id: 'step', header: 'Step', width: '10rem', className: 'mono ellipsis', cell: (e) => e.stepKey ?? '' },
  {
    id: 'type',
    header: 'Type',
    width: '13rem',
    className: 'mono',
    cell: (e) => <span className={`event-type type-${e.type.toLowerCase()}`}>{e.type}</span>,
  },
  {
    id: 'message',
    header: 'Message',
    className: 'ellipsis',
    cell: (e) => (
      <span title={said(e)} className={e.level === 'ERROR' || e.error !== undefined ? 'bad' : ''}>
        {e.level !== undefined && e.level !== 'INFO' ? `[${e.level}] ` : ''}
        {said(e)}
      </span>
    ),
  },
];

/** The table of events. */
export function EventTable({
  events,
  label,
  height = '50vh',
}: {
  events: ReturnType<typeof useRunEvents>;
  label: string;
  height?: string;
}) {
  return (
    <>
      {events.error !== undefined && <ErrorNote error={events.error} />}
      <p className="muted" aria-live="polite">
        {events.loading && events.rows.length === 0
          ? 'Loading…'
          : `${events.rows.length}${events.hasMore ? '+' : ''} event${events.rows.length === 1 ? '' : 's'} loaded`}
      </p>
      <VirtualTable
        rows={events.rows}
        columns={columns}
        rowKey={(e) => String(e.id)}
        label={label}
        height={height}
        rowHeight={31}
        onEndReached={events.loadMore}
        footer={events.hasMore ? <p className="muted table-footer">Loading more…</p> : undefined}
      />
    </>
  );
}
