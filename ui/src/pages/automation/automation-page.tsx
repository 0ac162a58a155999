/**
 * Automation: the sensors and schedules with their status and last tick, and the selected one
 * (`?sensor=<name>` or `?schedule=<name>` in the URL) with its controls and tick history. Follows
 * the live stream's `tick` frames.
 */
import { Loaded, StatusBadge } from '../../components/loaded.js';
import { timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import { useLocationSearch } from '../../router.js';
import { useApi } from '../../use-api.js';
import type { PageProps } from '../page-props.js';
import { InstigatorPanel } from './instigator-panel.js';
import type { Instigator, InstigatorKind, SchedulesAnswer, SensorsAnswer } from './types.js';
import './automation.css';

/** The instigator the URL selects, if any. */
function selectedOf(search: string): { kind: InstigatorKind; name: string } | undefined {
  const params = new URLSearchParams(search);
  const sensor = params.get('sensor');
  if (sensor !== null && sensor !== '') return { kind: 'sensors', name: sensor };
  const schedule = params.get('schedule');
  if (schedule !== null && schedule !== '') return { kind: 'schedules', name: schedule };
  return undefined;
}

/** The page. */
export function AutomationPage(_props: PageProps) {
  const sensors = useApi<SensorsAnswer>('/api/sensors', { live: ['ticks'] });
  const schedules = useApi<SchedulesAnswer>('/api/schedules', { live: ['ticks'] });
  const selected = selectedOf(useLocationSearch());
  const reload = (): void => {
    sensors.reload();
    schedules.reload();
  };
  const list = selected?.kind === 'sensors' ? sensors.data?.sensors : schedules.data?.schedules;
  const current = list?.find((i) => i.name === selected?.name);
  return (
    <section aria-labelledby="page-title" className="automation">
      <h2 id="page-title">Automation</h2>
      <section aria-labelledby="sensors-title">
        <h3 id="sensors-title">Sensors</h3>
        <Loaded state={sensors}>
          {(answer) => <InstigatorTable kind="sensors" rows={answer.sensors} selected={selected?.name} />}
        </Loaded>
      </section>
      <section aria-labelledby="schedules-title">
        <h3 id="schedules-title">Schedules</h3>
        <Loaded state={schedules}>
          {(answer) => <InstigatorTable kind="schedules" rows={answer.schedules} selected={selected?.name} />}
        </Loaded>
      </section>
      {selected !== undefined && (
        <InstigatorPanel
          key={`${selected.kind}/${selected.name}`}
          kind={selected.kind}
          name={selected.name}
          instigator={current}
          onChanged={reload}
        />
      )}
    </section>
  );
}

function InstigatorTable({
  kind,
  rows,
  selected,
}: {
  kind: InstigatorKind;
  rows: readonly Instigator[];
  selected: string | undefined;
}) {
  if (rows.length === 0) return <p className="muted">No {kind} defined.</p>;
  const param = kind === 'sensors' ? 'sensor' : 'schedule';
  return (
    <table aria-label={kind === 'sensors' ? 'Sensors' : 'Schedules'}>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Job</th>
          <th scope="col">{kind === 'sensors' ? 'Every' : 'Cron'}</th>
          <th scope="col">Cursor</th>
          <th scope="col">Last tick</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.name} aria-selected={row.name === selected}>
            <td>
              <Link
                to={`/automation?${param}=${encodeURIComponent(row.name)}`}
                current={row.name === selected}
              >
                {row.name}
              </Link>
            </td>
            <td>
              <StatusBadge status={row.status} />
            </td>
            <td>{row.jobName}</td>
            <td className="mono">
              {kind === 'sensors'
                ? row.minimumIntervalSeconds === undefined
                  ? ''
                  : `${row.minimumIntervalSeconds} s`
                : `${row.cron ?? ''}${row.timezone === undefined ? '' : ` (${row.timezone})`}`}
            </td>
            <td className="mono cursor-cell" title={row.cursor}>
              {row.cursor ?? ''}
            </td>
            <td>
              {row.lastTick === undefined ? (
                <span className="muted">never</span>
              ) : (
                <>
                  <StatusBadge status={row.lastTick.status} /> {timeAgo(row.lastTick.timestamp)}
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
