/**
 * `/data/<repo>/changes?branch=`: a branch's uncommitted changes (`GET …/branches/:branch/changes`,
 * 500 a page) with their per-prefix summary. Staged writes have no live frame: "Refresh" reads again.
 */
import { navigate, useQueryParam } from '../../router.js';
import type { RepoViewProps } from './commits-view.js';
import { dataPath, queryString, repoApi } from './data-paths.js';
import { DiffView } from './diff-tables.js';
import { RefForm } from './ref-input.js';
import type { DiffAnswer, DiffEntry } from './types.js';
import { usePaged } from './use-paged.js';

const PAGE_SIZE = 500;

/** The uncommitted changes of a branch. */
export function ChangesView({ repo, defaultBranch, refList }: RepoViewProps) {
  const [branch] = useQueryParam('branch', defaultBranch);
  const changes = usePaged<DiffEntry, DiffAnswer>(
    repoApi(repo, `/branches/${encodeURIComponent(branch)}/changes${queryString({ limit: PAGE_SIZE })}`),
  );
  return (
    <section aria-labelledby="changes-title">
      <h3 id="changes-title">Uncommitted changes of {branch}</h3>
      <RefForm
        key={branch}
        label="Branch"
        value={branch}
        refList={refList}
        onSubmit={(next) => {
          navigate(dataPath(repo, 'changes', { branch: next }));
        }}
      >
        <button type="button" onClick={changes.reload}>
          Refresh
        </button>
      </RefForm>
      <DiffView diff={changes} label={`uncommitted changes of ${branch}`} empty="No uncommitted changes." />
    </section>
  );
}
