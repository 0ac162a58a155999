/**
 * Home's timeline: data commits, sensor ticks, runs and model versions side by side (one column
 * each, one row per item, newest on top), from `GET /api/timeline`, refetched when the live
 * stream reports one of them (skipped ticks excepted: a daemon records one every few seconds).
 */
import type { ReactNode } from 'react';
import { Loaded, StatusBadge } from '../components/loaded.js';
import { timeAgo } from '../format.js';
import { Link } from '../link.js';
import type { LiveFrame } from '../live-stream.js';
import { useApi } from '../use-api.js';

/** One item of `GET /api/timeline` (src/server/timeline.ts). */
export type TimelineItem =
  | {
      kind: 'commit';
      at: number;
      id: string;
      repository: string;
      branch: string;
      message: string;
      merge: boolean;
    }
  | {
      kind: 'tick';
      at: number;
      id: string;
      instigator: string;
      status: string;
      runIds: string[];
      error?: string;
    }
  | { kind: 'run'; at: number; id: string; jobName: string; status: string; commit?: string }
  | { kind: 'model-version'; at: number; id: string; name: string; version: string; aliases: string[] };

const LANES: { kind: TimelineItem['kind']; title: string }[] = [
  { kind: 'commit', title: 'Data commits' },
  { kind: 'tick', title: 'Sensor ticks' },
  { kind: 'run', title: 'Runs' },
  { kind: 'model-version', title: 'Model versions' },
];

const LIVE = ['commits', 'ticks', 'runs', 'models'] as const;

/** Frames that change the timeline (a skipped tick does not). */
function changesTimeline(frame: LiveFrame): boolean {
  return frame.event !== 'tick' || (frame.data as { status?: string }).status !== 'SKIPPED';
}

/** The timeline section. */
export function HomeTimeline() {
  const state = useApi<{ items: TimelineItem[] }>('/api/timeline?limit=40', {
    live: LIVE,
    liveFilter: changesTimeline,
  });
  return (
    <section aria-labelledby="timeline-title" className="timeline">
      <h2 id="timeline-title">Timeline</h2>
      <Loaded state={state}>
        {({ items }) =>
          items.length === 0 ? (
            <p className="muted">Nothing yet: commit data to a watched branch.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  {LANES.map((lane) => (
                    <th key={lane.kind} scope="col">
                      {lane.title}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={`${item.kind}:${item.id}`} data-kind={item.kind}>
                    <td className="muted" title={new Date(item.at).toISOString()}>
                      {timeAgo(item.at)}
                    </td>
                    {LANES.map((lane) => (
                      <td key={lane.kind}>{lane.kind === item.kind ? <ItemCell item={item} /> : null}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </section>
  );
}

function ItemCell({ item }: { item: TimelineItem }): ReactNode {
  switch (item.kind) {
    case 'commit':
      return (
        <Link
          to={`/data/${encodeURIComponent(item.repository)}/commits?ref=${encodeURIComponent(item.branch)}`}
        >
          <span className="mono">{item.id.slice(0, 10)}</span> {item.merge ? 'merge: ' : ''}
          {item.message}
        </Link>
      );
    case 'tick':
      return (
        <Link to={`/automation?sensor=${encodeURIComponent(item.instigator)}`}>
          {item.instigator} <StatusBadge status={item.status} />
          {item.runIds.length > 0 ? ` → ${String(item.runIds.length)} run(s)` : ''}
        </Link>
      );
    case 'run':
      return (
        <Link to={`/runs/${encodeURIComponent(item.id)}`}>
          <span className="mono">{item.id.slice(0, 8)}</span> {item.jobName}{' '}
          <StatusBadge status={item.status} />
        </Link>
      );
    case 'model-version':
      return (
        <Link to={`/models/${encodeURIComponent(item.name)}?version=${encodeURIComponent(item.version)}`}>
          {item.name} v{item.version}
          {item.aliases.length > 0 ? ` @${item.aliases.join(' @')}` : ''}
        </Link>
      );
  }
}
