/**
 * One sensor or schedule: start / stop / tick now (sensors), each showing its result, and the tick
 * history: time, status, the cursor before and after each tick, the runs it requested (linked),
 * its skip reason and error. The history is the newest {@link TICK_LIMIT} ticks (the API's ticks
 * route is not paged), refetched on the live stream's `tick` frames of this instigator.
 */
import { useState } from 'react';
import { apiPost } from '../../api-client.js';
import { ErrorNote, Loaded, StatusBadge } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import type { LiveFrame } from '../../live-stream.js';
import { useApi } from '../../use-api.js';
import type { Instigator, InstigatorKind, Tick, TickFrame, TicksAnswer } from './types.js';

/** How many ticks the history shows. */
export const TICK_LIMIT = 200;

/** A tick with the cursor it started from (the previous tick's cursor after). */
interface TickRow extends Tick {
  cursorBefore: string | undefined;
  /** False for the oldest tick fetched: what came before it is not known here. */
  beforeKnown: boolean;
}

/** Pairs each tick (newest first) with the cursor of the one before it. */
export function withCursorsBefore(ticks: readonly Tick[], limit: number): TickRow[] {
  return ticks.slice(0, limit).map((tick, i) => {
    const older = ticks[i + 1];
    return {
      ...tick,
      cursorBefore: older?.cursor,
      beforeKnown: older !== undefined || ticks.length <= limit,
    };
  });
}

const cursorCell = (cursor: string | undefined) =>
  cursor === undefined ? <span className="muted">none</span> : <span title={cursor}>{cursor}</span>;

const columns: readonly Column<TickRow>[] = [
  {
    id: 'time',
    header: 'Time',
    width: '11rem',
    cell: (t) => (
      <span title={new Date(t.timestamp).toISOString()}>
        {new Date(t.timestamp).toLocaleString()}
        {t.count !== undefined && t.count > 1 ? ` (×${t.count})` : ''}
      </span>
    ),
  },
  { id: 'status', header: 'Status', width: '6.5rem', cell: (t) => <StatusBadge status={t.status} /> },
  {
    id: 'before',
    header: 'Cursor before',
    className: 'mono ellipsis',
    cell: (t) => (t.beforeKnown ? cursorCell(t.cursorBefore) : <span className="muted">…</span>),
  },
  { id: 'after', header: 'Cursor after', className: 'mono ellipsis', cell: (t) => cursorCell(t.cursor) },
  {
    id: 'runs',
    header: 'Run requests',
    width: '12rem',
    cell: (t) =>
      t.runIds.length === 0 ? (
        <span className="muted">none</span>
      ) : (
        t.runIds.map((id) => (
          <Link key={id} to={`/runs/${encodeURIComponent(id)}`} className="mono tick-run">
            {id.slice(0, 8)}
          </Link>
        ))
      ),
  },
  {
    id: 'why',
    header: 'Skip reason / error',
    className: 'ellipsis',
    cell: (t) =>
      t.error !== undefined ? (
        <span className="bad" title={t.error}>
          {t.error}
        </span>
      ) : (
        <span title={t.skipReason}>{t.skipReason ?? ''}</span>
      ),
  },
];

type Outcome = { ok: true; text: string } | { ok: false; error: Error } | undefined;

/** The panel. */
export function InstigatorPanel({
  kind,
  name,
  instigator,
  onChanged,
}: {
  kind: InstigatorKind;
  name: string;
  instigator: Instigator | undefined;
  onChanged: () => void;
}) {
  const base = `/api/${kind}/${encodeURIComponent(name)}`;
  const ticks = useApi<TicksAnswer>(`${base}/ticks?limit=${TICK_LIMIT + 1}`, {
    live: ['ticks'],
    liveFilter: (frame: LiveFrame) => (frame.data as TickFrame).instigatorName === name,
  });
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  const act = (action: 'start' | 'stop' | 'tick'): void => {
    setBusy(true);
    apiPost<{ tick?: Tick; sensor?: Instigator; schedule?: Instigator }>(`${base}/${action}`).then(
      (answer) => {
        const after = answer.sensor ?? answer.schedule;
        setOutcome({
          ok: true,
          text:
            answer.tick !== undefined
              ? `Ticked: ${answer.tick.status}${answer.tick.runIds.length > 0 ? `, ${answer.tick.runIds.length} run(s) requested` : ''}${answer.tick.skipReason === undefined ? '' : ` (${answer.tick.skipReason})`}`
              : `${action === 'start' ? 'Started' : 'Stopped'}: now ${after?.status ?? ''}`,
        });
        setBusy(false);
        onChanged();
        ticks.reload();
      },
      (error: unknown) => {
        setOutcome({ ok: false, error: error as Error });
        setBusy(false);
        onChanged();
      },
    );
  };
  const title = kind === 'sensors' ? 'Sensor' : 'Schedule';
  return (
    <section aria-labelledby="instigator-title" className="instigator-panel">
      <h3 id="instigator-title">
        {title} <span className="mono">{name}</span>{' '}
        {instigator !== undefined && <StatusBadge status={instigator.status} />}
      </h3>
      {instigator !== undefined && (
        <p className="muted">
          Job {instigator.jobName}
          {instigator.lastTickAt === undefined ? '' : `; last tick ${timeAgo(instigator.lastTickAt)}`}
          {instigator.defaultStatus ? '' : '; status set by hand'}
        </p>
      )}
      <div className="instigator-actions">
        <button
          type="button"
          disabled={busy || instigator?.status === 'RUNNING'}
          onClick={() => {
            act('start');
          }}
        >
          Start
        </button>
        <button
          type="button"
          disabled={busy || instigator?.status === 'STOPPED'}
          onClick={() => {
            act('stop');
          }}
        >
          Stop
        </button>
        {kind === 'sensors' && (
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              act('tick');
            }}
          >
            Tick now
          </button>
        )}
        <span role="status" className="action-result">
          {outcome?.ok === true && outcome.text}
        </span>
        {outcome?.ok === false && <ErrorNote error={outcome.error} />}
      </div>
      <h4>Tick history</h4>
      <Loaded state={ticks}>
        {(answer) =>
          answer.ticks.length === 0 ? (
            <p className="muted">No ticks yet.</p>
          ) : (
            <VirtualTable
              rows={withCursorsBefore(answer.ticks, TICK_LIMIT)}
              columns={columns}
              rowKey={(t) => String(t.id)}
              label="Tick history"
              height="50vh"
            />
          )
        }
      </Loaded>
    </section>
  );
}
