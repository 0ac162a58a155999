/**
 * The registered models (`/models`), paged by name with `after=` in a VirtualTable, narrowed by a
 * name filter (`?name=`): each with its champion, its other aliases and its latest version.
 */
import { useId, useMemo } from 'react';
import { ErrorNote } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import { useQueryParam } from '../../router.js';
import { usePagedList } from '../../components/use-paged-list.js';
import { AliasBadges } from './alias-badges.js';
import { modelPath } from './model-paths.js';
import type { RegisteredModel } from './types.js';

/** The list. */
export function ModelList() {
  const filterId = useId();
  const [name, setName] = useQueryParam('name');
  const query = name === '' ? '' : `?nameContains=${encodeURIComponent(name)}`;
  const list = usePagedList<RegisteredModel>(`/api/models${query}`, 100, ['models']);
  const columns = useMemo<Column<RegisteredModel>[]>(
    () => [
      {
        id: 'name',
        header: 'Model',
        cell: (model) => <Link to={modelPath(model.name)}>{model.name}</Link>,
      },
      {
        id: 'champion',
        header: 'Champion',
        width: '8rem',
        cell: (model) => (model.aliases['champion'] === undefined ? '—' : `v${model.aliases['champion']}`),
      },
      { id: 'aliases', header: 'Aliases', cell: (model) => <AliasBadges aliases={model.aliases} /> },
      {
        id: 'latest',
        header: 'Latest version',
        width: '9rem',
        cell: (model) => (model.latestVersion === undefined ? '—' : `v${model.latestVersion}`),
      },
      {
        id: 'updated',
        header: 'Updated',
        width: '10rem',
        cell: (model) =>
          model.lastUpdatedTimestamp === undefined ? '' : timeAgo(model.lastUpdatedTimestamp),
      },
    ],
    [],
  );
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Models</h2>
      <p className="chart-controls">
        <label htmlFor={filterId}>Name contains</label>
        <input
          id={filterId}
          type="search"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
          }}
        />
      </p>
      {list.error !== undefined && <ErrorNote error={list.error} />}
      {list.loading ? (
        <p className="muted">Loading…</p>
      ) : list.rows.length === 0 && list.error === undefined ? (
        <p className="muted">No registered models{name === '' ? ' yet' : ' match'}.</p>
      ) : (
        <VirtualTable
          rows={list.rows}
          columns={columns}
          rowKey={(model) => model.name}
          label="Registered models"
          onEndReached={list.loadMore}
          footer={
            <p className="muted table-footer">
              {list.rows.length} model{list.rows.length === 1 ? '' : 's'}
              {list.hasMore ? ', more below' : ''}
            </p>
          }
        />
      )}
    </section>
  );
}
