/**
 * Why a model version was (not) promoted (`GET /api/models/:name/versions/:v/why?alias=`): the
 * outcome and its sentence, the champion it was judged against, every check with its rule and
 * numbers (the ones that decided marked), the alias move, the data diff between the two commits,
 * code versions, param changes and metric deltas.
 */
import { Loaded } from '../../components/loaded.js';
import { metric } from '../../format.js';
import { Link } from '../../link.js';
import { useApi } from '../../use-api.js';
import type { CheckEvaluation, CountBytes, WhyAnswer, WhyData } from './types.js';

const enc = encodeURIComponent;
const OUTCOMES: Record<WhyAnswer['outcome'], { text: string; className: string }> = {
  promoted: { text: 'promoted', className: 'ok' },
  refused: { text: 'refused', className: 'bad' },
  not_promoted: { text: 'not promoted', className: 'muted' },
};

/** The "why" of `name` v`version` for `alias`. */
export function WhyPanel({ name, version, alias }: { name: string; version: string; alias: string }) {
  const state = useApi<WhyAnswer>(
    `/api/models/${enc(name)}/versions/${enc(version)}/why?alias=${enc(alias)}`,
    { live: ['models'] },
  );
  return (
    <section aria-labelledby="why-title" className="panel why">
      <h2 id="why-title">
        Why: {name} v{version} and {alias}
      </h2>
      <Loaded state={state}>{(why) => <WhyBody why={why} />}</Loaded>
    </section>
  );
}

function WhyBody({ why }: { why: WhyAnswer }) {
  const outcome = OUTCOMES[why.outcome];
  const versionLink = (v: string) => <Link to={`/models/${enc(why.name)}?version=${enc(v)}`}>v{v}</Link>;
  return (
    <>
      <p>
        <span className={`badge outcome ${outcome.className}`}>{outcome.text}</span> {why.summary}
      </p>
      <p>
        Judged against:{' '}
        {why.champion === null ? (
          <span className="muted">no {why.alias} yet (the first version)</span>
        ) : (
          <>
            {why.alias} {versionLink(why.champion.version)} (
            {why.champion.source === 'replaced_by_promotion'
              ? 'the version its promotion replaced'
              : `where ${why.alias} pointed when it was registered`}
            ) ·{' '}
            <Link to={`/lineage?modelVersion=${enc(`${why.name}/${why.champion.version}`)}`}>
              its lineage
            </Link>
          </>
        )}
      </p>
      <Checks checks={why.decision.checks} decidedBy={why.decision.decidedBy} />
      <h3>Alias move</h3>
      {why.decision.move === null ? (
        <p className="muted">{why.alias} never moved to this version.</p>
      ) : (
        <p>
          <span className="mono">
            {why.decision.move.fromVersion === null ? 'new' : `v${why.decision.move.fromVersion}`} → v
            {why.decision.move.toVersion ?? '—'}
          </span>{' '}
          on {new Date(why.decision.move.timestamp).toLocaleString()} by {why.decision.move.by}:{' '}
          {why.decision.move.reason}
        </p>
      )}
      <DataDiff data={why.data} />
      <Changes why={why} />
    </>
  );
}

const checkId = (c: CheckEvaluation): string => `${c.assetKey}:${c.checkName}:${c.eventId ?? ''}`;

function Checks({ checks, decidedBy }: { checks: CheckEvaluation[]; decidedBy: CheckEvaluation[] }) {
  const decided = new Set(decidedBy.map(checkId));
  return (
    <>
      <h3>Checks</h3>
      {checks.length === 0 ? (
        <p className="muted">No check evaluation recorded for its pipeline run.</p>
      ) : (
        <div className="scroll-x">
          <table aria-label="Checks">
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col">Result</th>
                <th scope="col">Decided</th>
                <th scope="col">Rule</th>
                <th scope="col">What it found</th>
                <th scope="col">Numbers</th>
              </tr>
            </thead>
            <tbody>
              {checks.map((check) => (
                <tr key={checkId(check)} className={decided.has(checkId(check)) ? 'decided' : undefined}>
                  <th scope="row" className="mono">
                    {check.assetKey}:{check.checkName}
                  </th>
                  <td>
                    <span className={check.passed ? 'ok' : 'bad'}>{check.passed ? 'passed' : 'failed'}</span>
                    <span className="muted">
                      {' '}
                      {check.blocking ? 'blocking' : 'advisory'}
                      {check.severity === undefined ? '' : ` ${check.severity}`}
                    </span>
                  </td>
                  <td>{decided.has(checkId(check)) ? 'yes' : ''}</td>
                  <td className="wrap">{check.rule ?? ''}</td>
                  <td className="wrap">{check.description ?? ''}</td>
                  <td className="mono wrap">{numbers(check.metadata)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** A check's metadata as `key=value` (floors, tolerances, compared values). */
function numbers(metadata: Record<string, unknown> | undefined): string {
  if (metadata === undefined) return '';
  return Object.entries(metadata)
    .map(
      ([k, v]) => `${k}=${typeof v === 'number' ? metric(v) : typeof v === 'string' ? v : JSON.stringify(v)}`,
    )
    .join(' ');
}

const countBytes = (c: CountBytes): string => (c.count === 0 ? '0' : `${c.count} (${bytes(c.bytes)})`);

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function DataDiff({ data }: { data: WhyData }) {
  if (!data.available)
    return (
      <>
        <h3>Data</h3>
        <p className="muted">No data diff: {data.reason}</p>
      </>
    );
  const rows = data.summary.rows.length > 1 ? [...data.summary.rows, data.summary.total] : data.summary.rows;
  return (
    <>
      <h3>Data</h3>
      <p>
        {data.repository}: <span className="mono">{data.from.slice(0, 12)}</span> (champion) →{' '}
        <span className="mono">{data.to.slice(0, 12)}</span> ·{' '}
        <Link to={`/data/${enc(data.repository)}/compare?left=${enc(data.from)}&right=${enc(data.to)}`}>
          compare the commits
        </Link>
        {data.truncated && <span className="muted"> (summary of the first entries only)</span>}
      </p>
      {rows.length === 0 ? (
        <p className="muted">The two commits hold the same data.</p>
      ) : (
        <table aria-label="Data diff">
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
            {rows.map((row) => (
              <tr key={row.prefix === '' ? '(total)' : row.prefix}>
                <th scope="row" className="mono">
                  {row.prefix === '' ? 'total' : row.prefix}
                </th>
                <td>{countBytes(row.added)}</td>
                <td>{countBytes(row.removed)}</td>
                <td>{countBytes(row.changed)}</td>
                <td>{row.conflicts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const value = (v: number | string | null): string =>
  v === null ? '—' : typeof v === 'number' ? metric(v) : v;

function Changes({ why }: { why: WhyAnswer }) {
  if (why.champion === null) return null;
  return (
    <div className="two-columns">
      <div>
        <h3>Code versions</h3>
        <CompareTable
          label="Code versions"
          head={['Code', 'Champion', 'This version', 'Changed']}
          rows={why.code.map((c) => [
            c.key,
            c.champion ?? '—',
            c.challenger ?? '—',
            c.changed === null ? 'unknown' : c.changed ? 'yes' : 'no',
          ])}
          empty="No code versions recorded."
        />
        <h3>Param changes</h3>
        <CompareTable
          label="Param changes"
          head={['Param', 'Champion', 'This version']}
          rows={why.params.map((p) => [p.key, p.champion ?? '—', p.challenger ?? '—'])}
          empty="The same params."
        />
      </div>
      <div>
        <h3>Metric deltas</h3>
        <CompareTable
          label="Metric deltas"
          head={['Metric', 'Champion', 'This version', 'Delta']}
          rows={why.metrics.map((m) => [
            m.key,
            value(m.champion),
            value(m.challenger),
            m.delta === null ? '—' : `${m.delta > 0 ? '+' : ''}${metric(m.delta)}`,
          ])}
          empty="No metrics recorded."
        />
      </div>
    </div>
  );
}

function CompareTable({
  label,
  head,
  rows,
  empty,
}: {
  label: string;
  head: string[];
  rows: string[][];
  empty: string;
}) {
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {head.map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map(([key = '', ...cells]) => (
          <tr key={key}>
            <th scope="row" className="mono">
              {key}
            </th>
            {cells.map((cell, i) => (
              <td key={i} className="mono wrap">
                {cell}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
