/**
 * The training runs of the chosen experiment matching the MLflow filter, paged with `after=` in a
 * VirtualTable: name (opens the run), status, start, duration, the most common metrics and the
 * params that differ between the runs; a checkbox per run adds it to the comparison (`?compare=`).
 */
import { useMemo } from 'react';
import type { Column } from '../../components/virtual-table.js';
import { VirtualTable } from '../../components/virtual-table.js';
import { StatusBadge } from '../../components/loaded.js';
import { duration, timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import { withQuery } from '../../router.js';
import { metricText } from './metric-values.js';
import { metricColumns, paramColumns } from './run-columns.js';
import type { TrainingRun } from './types.js';

/** Props of {@link RunsTable}. */
export interface RunsTableProps {
  runs: readonly TrainingRun[];
  selected: readonly string[];
  onToggle: (runId: string) => void;
  openRunId: string;
  onEndReached: () => void;
  footer: string;
}

/** The table. */
export function RunsTable({ runs, selected, onToggle, openRunId, onEndReached, footer }: RunsTableProps) {
  const metrics = useMemo(() => metricColumns(runs), [runs]);
  const params = useMemo(() => paramColumns(runs), [runs]);
  const selectedKey = selected.join(',');
  const columns = useMemo<Column<TrainingRun>[]>(() => {
    const chosen = new Set(selectedKey.split(','));
    return [
      {
        id: 'compare',
        header: 'Compare',
        width: '5.5rem',
        cell: (run) => (
          <input
            type="checkbox"
            checked={chosen.has(run.info.runId)}
            aria-label={`Compare ${run.info.runName}`}
            onChange={() => {
              onToggle(run.info.runId);
            }}
          />
        ),
      },
      {
        id: 'name',
        header: 'Run',
        width: '17rem',
        className: 'nowrap',
        cell: (run) => (
          <Link to={withQuery({ run: run.info.runId })} current={run.info.runId === openRunId}>
            {run.info.runName === '' ? run.info.runId.slice(0, 8) : run.info.runName}
          </Link>
        ),
      },
      {
        id: 'status',
        header: 'Status',
        width: '7rem',
        cell: (run) => <StatusBadge status={run.info.status} />,
      },
      { id: 'started', header: 'Started', width: '8rem', cell: (run) => timeAgo(run.info.startTime) },
      {
        id: 'duration',
        header: 'Duration',
        width: '6rem',
        cell: (run) => duration(run.info.startTime, run.info.endTime),
      },
      ...metrics.map<Column<TrainingRun>>((key) => ({
        id: `metric:${key}`,
        header: key,
        className: 'mono num',
        cell: (run) => metricText(run.metrics[key]),
      })),
      ...params.map<Column<TrainingRun>>((key) => ({
        id: `param:${key}`,
        header: `${key} (param)`,
        className: 'mono',
        cell: (run) => <Shortened text={run.params[key] ?? '—'} />,
      })),
    ];
  }, [metrics, params, selectedKey, onToggle, openRunId]);
  return (
    <VirtualTable
      rows={runs}
      columns={columns}
      rowKey={(run) => run.info.runId}
      label="Training runs"
      height="40vh"
      onEndReached={onEndReached}
      footer={<p className="muted table-footer">{footer}</p>}
    />
  );
}

/** Long values (commit ids, feature lists) cut to fit a column; the whole value is the tooltip. */
function Shortened({ text }: { text: string }) {
  if (text.length <= MAX_CELL_CHARS) return <>{text}</>;
  return <span title={text}>{text.slice(0, MAX_CELL_CHARS - 1)}…</span>;
}

const MAX_CELL_CHARS = 16;
