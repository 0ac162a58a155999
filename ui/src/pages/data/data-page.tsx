/**
 * Data: the repositories, and for one repository its overview (backend, branches, tags, create a
 * branch, merge), its commit log (each commit with the runs it triggered and the model versions
 * trained on it, live), an object browser with previews, the comparison of two refs and a branch's
 * uncommitted changes. Addresses in data-paths.ts; every choice is in the path or the query.
 */
import type { PageProps } from '../page-props.js';
import { Loaded } from '../../components/loaded.js';
import { Link } from '../../link.js';
import { useApi } from '../../use-api.js';
import { ChangesView } from './changes-view.js';
import { CommitsView } from './commits-view.js';
import { CompareView } from './compare-view.js';
import { dataPath, parseDataPath, REPOSITORY_VIEWS, repoApi } from './data-paths.js';
import type { RepositoryView } from './data-paths.js';
import { ObjectsView } from './objects-view.js';
import { RefOptions, REF_OPTIONS_ID } from './ref-input.js';
import { RepositoriesView } from './repositories-view.js';
import { RepositoryOverview } from './repository-overview.js';
import type { RepositoryDetail } from './types.js';
import './data.css';

/** The page. */
export function DataPage({ path }: PageProps) {
  const location = parseDataPath(path);
  if (location.repo === undefined) return <RepositoriesView />;
  return <RepositoryPage repo={location.repo} view={location.view} />;
}

/** One repository: its title, the tabs of its views, the view. */
function RepositoryPage({ repo, view }: { repo: string; view: RepositoryView | undefined }) {
  const detail = useApi<RepositoryDetail>(repoApi(repo));
  return (
    <section aria-labelledby="page-title" className="data">
      <h2 id="page-title">
        <Link to="/data">Data</Link> / {repo}
      </h2>
      <nav aria-label="Repository views" className="data-tabs">
        {REPOSITORY_VIEWS.map((v) => (
          <Link key={v.id} to={dataPath(repo, v.id)} current={v.id === view}>
            {v.title}
          </Link>
        ))}
      </nav>
      <RefOptions repo={repo} />
      <Loaded state={detail}>
        {(repository) => <RepositoryViewBody repository={repository} view={view} />}
      </Loaded>
    </section>
  );
}

function RepositoryViewBody({
  repository,
  view,
}: {
  repository: RepositoryDetail;
  view: RepositoryView | undefined;
}) {
  const props = { repo: repository.name, defaultBranch: repository.defaultBranch, refList: REF_OPTIONS_ID };
  switch (view) {
    case 'overview':
      return <RepositoryOverview repository={repository} refList={REF_OPTIONS_ID} />;
    case 'commits':
      return <CommitsView {...props} />;
    case 'objects':
      return <ObjectsView {...props} />;
    case 'compare':
      return <CompareView {...props} />;
    case 'changes':
      return <ChangesView {...props} />;
    case undefined:
      return (
        <p>
          No such view of {repository.name}. <Link to={dataPath(repository.name)}>Overview</Link>.
        </p>
      );
  }
}
