/**
 * `/data/<repo>/objects?ref=&prefix=&path=`: one folder level of a ref (`GET …/objects` with
 * `delimiter=/`, 200 a page) under breadcrumbs; a folder opens it (`prefix`), a file previews it
 * (`path`, object-preview.tsx). A branch ref shows its uncommitted changes too.
 */
import { useMemo } from 'react';
import { ErrorNote } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { Link } from '../../link.js';
import { navigate, useQueryParam } from '../../router.js';
import type { RepoViewProps } from './commits-view.js';
import { baseName, bytes, dateTime, shortId } from './data-format.js';
import { dataPath, queryString, repoApi } from './data-paths.js';
import { MoreFooter } from './more-footer.js';
import { ObjectPreviewPanel } from './object-preview.js';
import { RefForm } from './ref-input.js';
import type { ObjectEntry } from './types.js';
import { usePaged } from './use-paged.js';

const PAGE_SIZE = 200;

/** The folders from the root to `prefix` (`a/b/` → '', `a/`, `a/b/`). */
function folders(prefix: string): string[] {
  const parts = prefix.split('/').filter((p) => p !== '');
  return ['', ...parts.map((_, i) => `${parts.slice(0, i + 1).join('/')}/`)];
}

function columns(repo: string, ref: string, prefix: string, selected: string): Column<ObjectEntry>[] {
  const at = (query: Record<string, string | undefined>) => dataPath(repo, 'objects', { ref, ...query });
  return [
    {
      id: 'name',
      header: 'Name',
      cell: (e) =>
        e.pathType === 'common_prefix' ? (
          <Link to={at({ prefix: e.path })}>{baseName(e.path, prefix)}</Link>
        ) : (
          <Link to={at({ prefix, path: e.path })} current={e.path === selected}>
            {baseName(e.path, prefix)}
          </Link>
        ),
    },
    {
      id: 'size',
      header: 'Size',
      width: '7rem',
      cell: (e) => (e.pathType === 'object' ? bytes(e.sizeBytes) : ''),
    },
    {
      id: 'type',
      header: 'Content type',
      width: '16rem',
      cell: (e) => (e.pathType === 'object' ? <span className="mono">{e.contentType}</span> : 'folder'),
    },
    {
      id: 'mtime',
      header: 'Written',
      width: '11rem',
      cell: (e) => (e.pathType === 'object' ? dateTime(e.mtime) : ''),
    },
  ];
}

/** The object browser. */
export function ObjectsView({ repo, defaultBranch, refList }: RepoViewProps) {
  const [ref] = useQueryParam('ref', defaultBranch);
  const [prefix] = useQueryParam('prefix');
  const [path] = useQueryParam('path');
  const listing = usePaged<ObjectEntry>(
    repoApi(repo, `/objects${queryString({ ref, prefix, delimiter: '/', limit: PAGE_SIZE })}`),
  );
  const cols = useMemo(() => columns(repo, ref, prefix, path), [repo, ref, prefix, path]);
  return (
    <section aria-labelledby="objects-title">
      <h3 id="objects-title">Objects at {ref.length > 12 ? shortId(ref) : ref}</h3>
      <RefForm
        key={ref}
        label="Ref"
        value={ref}
        refList={refList}
        onSubmit={(next) => {
          navigate(dataPath(repo, 'objects', { ref: next, prefix }));
        }}
      />
      <nav aria-label="Folder" className="data-breadcrumbs">
        <ol>
          {folders(prefix).map((folder) => (
            <li key={folder}>
              <Link to={dataPath(repo, 'objects', { ref, prefix: folder })} current={folder === prefix}>
                {folder === '' ? repo : `${folder.split('/').at(-2) ?? folder}/`}
              </Link>
            </li>
          ))}
        </ol>
      </nav>
      {listing.error !== undefined && <ErrorNote error={listing.error} />}
      {listing.first === undefined ? (
        listing.error === undefined && <p className="muted">Loading…</p>
      ) : listing.rows.length === 0 ? (
        <p className="muted">Nothing under {prefix === '' ? 'the root' : prefix}.</p>
      ) : (
        <VirtualTable
          rows={listing.rows}
          columns={cols}
          rowKey={(e) => e.path}
          label={`Objects under ${prefix === '' ? '/' : prefix}`}
          height="40vh"
          onEndReached={listing.loadMore}
          footer={<MoreFooter state={listing} />}
        />
      )}
      {path !== '' && <ObjectPreviewPanel repo={repo} refName={ref} path={path} />}
    </section>
  );
}
