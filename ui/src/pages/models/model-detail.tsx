/**
 * One registered model (`/models/<name>?version=&metrics=`): its aliases (the champion badge), its
 * versions newest first (paged) with their metrics, the chart of the metrics across versions, the
 * open version, the alias history, and promote / roll back. Everything follows the live `models`
 * topic, and refetches after an action.
 */
import { useCallback, useMemo } from 'react';
import { ErrorNote, Loaded } from '../../components/loaded.js';
import { VirtualTable } from '../../components/virtual-table.js';
import type { Column } from '../../components/virtual-table.js';
import { timeAgo } from '../../format.js';
import { Link } from '../../link.js';
import { useQueryParam, withQuery } from '../../router.js';
import { useApi } from '../../use-api.js';
import { metricText } from '../experiments/metric-values.js';
import { usePagedList } from '../../components/use-paged-list.js';
import { PromoteForm, RollbackForm } from './alias-actions.js';
import { AliasBadges } from './alias-badges.js';
import { AliasHistory, HISTORY_LIMIT } from './alias-history.js';
import { lineagePath, trainingRunPath } from './model-paths.js';
import type { AliasHistoryAnswer, ModelAnswer, ModelVersion } from './types.js';
import { VersionDetail } from './version-detail.js';
import { useChartedMetrics, VersionsChart } from './versions-chart.js';

const VERSION_PAGE = 100;

/** The model's page. */
export function ModelDetail({ name }: { name: string }) {
  const base = `/api/models/${encodeURIComponent(name)}`;
  const [version] = useQueryParam('version');
  const model = useApi<ModelAnswer>(base, { live: ['models'] });
  const history = useApi<AliasHistoryAnswer>(`${base}/history?limit=${HISTORY_LIMIT}`, { live: ['models'] });
  const versions = usePagedList<ModelVersion>(`${base}/versions`, VERSION_PAGE, ['models']);
  const { reload: reloadModel } = model;
  const { reload: reloadHistory } = history;
  const { reload: reloadVersions } = versions;
  const refetch = useCallback(() => {
    reloadModel();
    reloadHistory();
    reloadVersions();
  }, [reloadModel, reloadHistory, reloadVersions]);
  const metricKeys = useMemo(
    () => [...new Set(versions.rows.flatMap((v) => Object.keys(v.metrics ?? {})))].sort(),
    [versions.rows],
  );
  return (
    <div className="model-detail">
      <p>
        <Link to="/models">All models</Link>
      </p>
      <h2 id="page-title">{name}</h2>
      <Loaded state={model}>
        {(answer) => (
          <section aria-label="Aliases" className="aliases">
            <AliasBadges aliases={answer.model.aliases} />
            {answer.model.latestVersion !== undefined && (
              <span className="muted"> · latest v{answer.model.latestVersion}</span>
            )}
          </section>
        )}
      </Loaded>
      <section aria-labelledby="versions-title">
        <h3 id="versions-title">Versions</h3>
        {versions.error !== undefined && <ErrorNote error={versions.error} />}
        {versions.loading ? (
          <p className="muted">Loading…</p>
        ) : (
          <>
            <VersionsChart versions={versions.rows} keys={metricKeys} />
            <VersionsTable
              versions={versions.rows}
              metricKeys={metricKeys}
              open={version}
              onEndReached={versions.loadMore}
              hasMore={versions.hasMore}
            />
          </>
        )}
      </section>
      {version !== '' && <VersionDetail key={version} model={name} version={version} />}
      <div className="two-columns">
        {model.data !== undefined && !versions.loading && (
          <>
            <PromoteForm
              key={version}
              model={name}
              versions={versions.rows.map((v) => v.version)}
              initialVersion={version === '' ? undefined : version}
              aliases={model.data.model.aliases}
              onDone={refetch}
            />
            <RollbackForm model={name} aliases={model.data.model.aliases} onDone={refetch} />
          </>
        )}
      </div>
      <AliasHistory state={history} />
    </div>
  );
}

interface VersionsTableProps {
  versions: readonly ModelVersion[];
  metricKeys: readonly string[];
  open: string;
  onEndReached: () => void;
  hasMore: boolean;
}

/** Versions newest first: the charted metrics are its columns. */
function VersionsTable({ versions, metricKeys, open, onEndReached, hasMore }: VersionsTableProps) {
  const [charted] = useChartedMetrics(metricKeys);
  const shownKey = charted.join(',');
  const columns = useMemo<Column<ModelVersion>[]>(
    () => [
      {
        id: 'version',
        header: 'Version',
        width: '6rem',
        cell: (v) => (
          <Link to={withQuery({ version: v.version })} current={v.version === open}>
            v{v.version}
          </Link>
        ),
      },
      {
        id: 'aliases',
        header: 'Aliases',
        width: '9rem',
        cell: (v) => (v.aliases.length === 0 ? '' : v.aliases.join(', ')),
      },
      { id: 'created', header: 'Registered', width: '8rem', cell: (v) => timeAgo(v.creationTimestamp) },
      ...shownKey
        .split(',')
        .filter((k) => k !== '')
        .map<Column<ModelVersion>>((key) => ({
          id: `metric:${key}`,
          header: key,
          className: 'mono num',
          cell: (v) => metricText(v.metrics?.[key]),
        })),
      {
        id: 'run',
        header: 'Training run',
        cell: (v) =>
          v.trainingRun === null ? (
            <span className="muted">none recorded</span>
          ) : (
            <Link to={trainingRunPath(v.trainingRun.runId)}>{v.trainingRun.runName}</Link>
          ),
      },
      {
        id: 'lineage',
        header: 'Lineage',
        width: '7rem',
        cell: (v) => <Link to={lineagePath(v.name, v.version)}>why</Link>,
      },
    ],
    [open, shownKey],
  );
  if (versions.length === 0) return <p className="muted">No versions registered yet.</p>;
  return (
    <VirtualTable
      rows={versions}
      columns={columns}
      rowKey={(v) => v.version}
      label="Model versions"
      height="40vh"
      onEndReached={onEndReached}
      footer={
        <p className="muted table-footer">
          {versions.length} version{versions.length === 1 ? '' : 's'}
          {hasMore ? ', more below' : ''}
        </p>
      }
    />
  );
}
