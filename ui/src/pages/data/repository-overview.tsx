/**
 * `/data/<repo>`: the repository's backend and capabilities, its branches and tags (paged), and
 * the two writes: create a branch, merge a ref into a branch.
 */
import { useMemo } from 'react';
import { ErrorNote } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { Link } from '../../link.js';
import { dateTime, shortId } from './data-format.js';
import { dataPath, repoApi } from './data-paths.js';
import { MoreFooter } from './more-footer.js';
import { CreateBranchForm, MergeForm } from './ref-actions.js';
import type { DataPage, RefInfo, RepositoryDetail } from './types.js';
import { usePaged } from './use-paged.js';
import type { PagedState } from './use-paged.js';

const PAGE_SIZE = 100;

function refColumns(repo: string, kind: 'branch' | 'tag'): Column<RefInfo>[] {
  return [
    {
      id: 'name',
      header: kind === 'branch' ? 'Branch' : 'Tag',
      cell: (r) => <Link to={dataPath(repo, 'commits', { ref: r.name })}>{r.name}</Link>,
    },
    {
      id: 'commit',
      header: 'Head',
      width: '9rem',
      cell: (r) => (
        <span className="mono" title={r.commitId}>
          {shortId(r.commitId)}
        </span>
      ),
    },
    {
      id: 'views',
      header: 'Open',
      cell: (r) => (
        <span className="data-links">
          <Link to={dataPath(repo, 'objects', { ref: r.name })}>objects</Link>
          {kind === 'branch' && <Link to={dataPath(repo, 'changes', { branch: r.name })}>uncommitted</Link>}
        </span>
      ),
    },
  ];
}

function RefTable({
  refs,
  columns,
  label,
}: {
  refs: PagedState<RefInfo, DataPage<RefInfo>>;
  columns: Column<RefInfo>[];
  label: string;
}) {
  if (refs.first === undefined)
    return refs.error === undefined ? <p className="muted">Loading…</p> : <ErrorNote error={refs.error} />;
  if (refs.rows.length === 0) return <p className="muted">None.</p>;
  return (
    <VirtualTable
      rows={refs.rows}
      columns={columns}
      rowKey={(r) => r.name}
      label={label}
      height="30vh"
      onEndReached={refs.loadMore}
      footer={<MoreFooter state={refs} />}
    />
  );
}

/** The overview of a repository. */
export function RepositoryOverview({
  repository,
  refList,
}: {
  repository: RepositoryDetail;
  refList: string;
}) {
  const repo = repository.name;
  const branches = usePaged<RefInfo>(repoApi(repo, `/branches?limit=${PAGE_SIZE}`), { live: ['commits'] });
  const tags = usePaged<RefInfo>(repoApi(repo, `/tags?limit=${PAGE_SIZE}`));
  const branchColumns = useMemo(() => refColumns(repo, 'branch'), [repo]);
  const tagColumns = useMemo(() => refColumns(repo, 'tag'), [repo]);
  const capabilities = Object.entries(repository.capabilities);
  return (
    <>
      <section aria-labelledby="about-title">
        <h3 id="about-title">Repository</h3>
        <dl className="data-facts">
          <dt>Backend</dt>
          <dd>{repository.backend}</dd>
          <dt>Default branch</dt>
          <dd>{repository.defaultBranch}</dd>
          <dt>Created</dt>
          <dd>{dateTime(repository.creationDate)}</dd>
          <dt>Storage</dt>
          <dd className="mono">{repository.storageNamespace}</dd>
          <dt>Capabilities</dt>
          <dd>
            {capabilities.map(([name, on]) => (
              <span key={name} className={`badge ${on ? 'ok' : 'muted'}`} title={on ? 'yes' : 'no'}>
                {on ? '' : 'no '}
                {name}
              </span>
            ))}
          </dd>
        </dl>
      </section>
      <section aria-labelledby="branches-title">
        <h3 id="branches-title">Branches</h3>
        <RefTable refs={branches} columns={branchColumns} label="Branches" />
        <CreateBranchForm
          repo={repo}
          defaultSource={repository.defaultBranch}
          refList={refList}
          onDone={branches.reload}
        />
      </section>
      <section aria-labelledby="merge-title">
        <h3 id="merge-title">Merge</h3>
        <MergeForm
          repo={repo}
          defaultDestination={repository.defaultBranch}
          refList={refList}
          onDone={branches.reload}
        />
      </section>
      <section aria-labelledby="tags-title">
        <h3 id="tags-title">Tags</h3>
        <RefTable refs={tags} columns={tagColumns} label="Tags" />
      </section>
    </>
  );
}
