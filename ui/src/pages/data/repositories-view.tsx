/** `/data`: every repository (paged), each linking to its overview and its commit log. */
import { ErrorNote } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { Link } from '../../link.js';
import { dateTime } from './data-format.js';
import { dataPath } from './data-paths.js';
import type { RepositoryInfo } from './types.js';
import { usePaged } from './use-paged.js';
import { MoreFooter } from './more-footer.js';

const COLUMNS: Column<RepositoryInfo>[] = [
  {
    id: 'name',
    header: 'Repository',
    cell: (r) => <Link to={dataPath(r.name)}>{r.name}</Link>,
  },
  {
    id: 'branch',
    header: 'Default branch',
    cell: (r) => <Link to={dataPath(r.name, 'commits', { ref: r.defaultBranch })}>{r.defaultBranch}</Link>,
  },
  { id: 'created', header: 'Created', cell: (r) => dateTime(r.creationDate) },
  { id: 'storage', header: 'Storage', cell: (r) => <span className="mono">{r.storageNamespace}</span> },
];

/** The list of repositories. */
export function RepositoriesView() {
  const repositories = usePaged<RepositoryInfo>('/api/data/repositories?limit=100');
  return (
    <section aria-labelledby="page-title" className="data">
      <h2 id="page-title">Data repositories</h2>
      {repositories.error !== undefined && <ErrorNote error={repositories.error} />}
      {repositories.first === undefined ? (
        repositories.error === undefined && <p className="muted">Loading…</p>
      ) : repositories.rows.length === 0 ? (
        <p className="muted">No repositories yet.</p>
      ) : (
        <VirtualTable
          rows={repositories.rows}
          columns={COLUMNS}
          rowKey={(r) => r.name}
          label="Repositories"
          height="40vh"
          onEndReached={repositories.loadMore}
          footer={<MoreFooter state={repositories} />}
        />
      )}
    </section>
  );
}
