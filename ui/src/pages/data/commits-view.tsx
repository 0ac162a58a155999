/**
 * `/data/<repo>/commits?ref=&all=`: the log of a ref (`GET …/commits?modelVersions=true`, 50 a page;
 * first-parent unless `all=true`), each commit with the runs it triggered (links to `/runs/<id>`) and the model versions
 * trained on it (links to `/models/<name>?version=<v>`). Live: a commit of this repository, a run
 * of one of its commits or a version trained on it refetches the first page.
 */
import { useMemo } from 'react';
import { ErrorNote } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { Link } from '../../link.js';
import type { LiveFrame } from '../../live-stream.js';
import { navigate } from '../../router.js';
import { useQueryParam } from '../../router.js';
import { dateTime, shortDateTime, shortId } from './data-format.js';
import { dataPath, queryString, repoApi } from './data-paths.js';
import { MoreFooter } from './more-footer.js';
import { RefForm } from './ref-input.js';
import type { LoggedCommit } from './types.js';
import { usePaged } from './use-paged.js';

const PAGE_SIZE = 50;
const LIVE = ['commits', 'runs', 'models'] as const;

/** Props of the repository views. */
export interface RepoViewProps {
  repo: string;
  defaultBranch: string;
  /** The id of the ref suggestions' datalist. */
  refList: string;
}

/** Whether a live frame concerns this repository's commits (tags name the repository they read). */
function concerns(repo: string) {
  return (frame: LiveFrame): boolean => {
    const data = frame.data as { repository?: string; tags?: Record<string, string> } | null;
    if (data === null || typeof data !== 'object') return false;
    if (frame.event === 'commit') return data.repository === repo;
    if (frame.event === 'run') return data.tags?.['lakeloop/data_repository'] === repo;
    if (frame.event === 'model-version') return data.tags?.['lakeloop.data_repository'] === repo;
    return false;
  };
}

function columns(repo: string): Column<LoggedCommit>[] {
  return [
    {
      id: 'id',
      header: 'Commit',
      width: '7.5rem',
      cell: (c) => (
        <Link to={dataPath(repo, 'objects', { ref: c.id })} className="mono">
          <span title={c.id}>{shortId(c.id)}</span>
        </Link>
      ),
    },
    {
      id: 'message',
      header: 'Message',
      cell: (c) => (
        <span className="data-ellipsis" title={c.message}>
          {c.message}
        </span>
      ),
    },
    { id: 'committer', header: 'Committer', width: '6.5rem', cell: (c) => c.committer },
    {
      id: 'time',
      header: 'Time',
      width: '9rem',
      cell: (c) => <span title={dateTime(c.creationDate)}>{shortDateTime(c.creationDate)}</span>,
    },
    {
      id: 'metadata',
      header: 'Metadata',
      width: '10rem',
      cell: (c) => {
        const text = Object.entries(c.metadata)
          .map(([key, value]) => `${key}=${value}`)
          .join(' ');
        return (
          <span className="data-ellipsis mono" title={text}>
            {text === '' ? '—' : text}
          </span>
        );
      },
    },
    {
      id: 'runs',
      header: 'Runs',
      width: '6.5rem',
      cell: (c) =>
        c.runs.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          <span className="data-links">
            {c.runs.map((run) => (
              <Link key={run.runId} to={`/runs/${encodeURIComponent(run.runId)}`}>
                <span className={`status-${run.status.toLowerCase()}`} title={`${run.jobName} ${run.status}`}>
                  {run.runId.slice(0, 8)}
                </span>
              </Link>
            ))}
          </span>
        ),
    },
    {
      id: 'models',
      header: 'Model versions',
      width: '13rem',
      cell: (c) =>
        c.modelVersions === undefined ? (
          <span className="muted" title="the server has no model registry">
            n/a
          </span>
        ) : c.modelVersions.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          <span className="data-links">
            {c.modelVersions.map((v) => (
              <Link
                key={`${v.name}/${v.version}`}
                to={`/models/${encodeURIComponent(v.name)}${queryString({ version: v.version })}`}
              >
                {v.name} v{v.version}
                {v.aliases.length > 0 && <span className="muted"> ({v.aliases.join(', ')})</span>}
              </Link>
            ))}
          </span>
        ),
    },
    {
      id: 'diff',
      header: 'Changes',
      width: '5.5rem',
      cell: (c) => {
        const parent = c.parents[0];
        return parent === undefined ? (
          <span className="muted">first</span>
        ) : (
          <Link to={dataPath(repo, 'compare', { left: parent, right: c.id })}>diff</Link>
        );
      },
    },
  ];
}

/** The commit log of a ref. */
export function CommitsView({ repo, defaultBranch, refList }: RepoViewProps) {
  const [ref] = useQueryParam('ref', defaultBranch);
  // first-parent by default: a branch's own commits, each merge one row
  const [all, setAll] = useQueryParam('all');
  const firstParent = all !== 'true';
  const filter = useMemo(() => concerns(repo), [repo]);
  const log = usePaged<LoggedCommit>(
    repoApi(repo, `/commits${queryString({ ref, firstParent, modelVersions: true, limit: PAGE_SIZE })}`),
    { live: LIVE, liveFilter: filter },
  );
  const cols = useMemo(() => columns(repo), [repo]);
  return (
    <section aria-labelledby="commits-title">
      <h3 id="commits-title">Commit log of {ref}</h3>
      <RefForm
        key={ref}
        label="Ref"
        value={ref}
        refList={refList}
        onSubmit={(next) => {
          navigate(dataPath(repo, 'commits', { ref: next, all }));
        }}
      >
        <label>
          <input
            type="checkbox"
            checked={!firstParent}
            onChange={(e) => {
              setAll(e.target.checked ? 'true' : '');
            }}
          />{' '}
          with the commits of merged branches
        </label>
      </RefForm>
      {log.error !== undefined && <ErrorNote error={log.error} />}
      {log.first === undefined ? (
        log.error === undefined && <p className="muted">Loading…</p>
      ) : (
        <VirtualTable
          rows={log.rows}
          columns={cols}
          rowKey={(c) => c.id}
          label={`Commits of ${ref}`}
          onEndReached={log.loadMore}
          footer={<MoreFooter state={log} />}
        />
      )}
    </section>
  );
}
