/**
 * The data commit a run is for, read from three run tags: the data-commit sensor sets them on
 * the runs it requests, and a resource's `launchTags` records them at launch for any other run
 * (so every step of the run reads the same commit, even when the branch moves meanwhile).
 *
 * @example
 * ```ts
 * const ref = dataCommitFromTags({ [DATA_COMMIT_TAG]: 'c0ffee', [DATA_REPOSITORY_TAG]: 'flights' });
 * // { repository: 'flights', branch: undefined, commitId: 'c0ffee' }
 * ```
 */

/** Run tag: the id of the data commit the run is for. */
export const DATA_COMMIT_TAG = 'lakeloop/data_commit';
/** Run tag: the data repository of that commit. */
export const DATA_REPOSITORY_TAG = 'lakeloop/data_repository';
/** Run tag: the branch the commit was the head of (when known). */
export const DATA_BRANCH_TAG = 'lakeloop/data_branch';

/** The data commit a run is for (from the run's tags `lakeloop/data_commit`, `lakeloop/data_repository`, `lakeloop/data_branch`). */
export interface DataCommitRef {
  readonly repository: string;
  readonly branch: string | undefined;
  readonly commitId: string;
}

/**
 * The data commit named by a run's tags, or undefined unless both the commit and the repository
 * tags are there.
 *
 * @example
 * ```ts
 * const commit = dataCommitFromTags(run.tags);
 * if (commit !== undefined) console.log(`${commit.repository}@${commit.commitId}`);
 * ```
 */
export function dataCommitFromTags(tags: Readonly<Record<string, string>>): DataCommitRef | undefined {
  const commitId = tags[DATA_COMMIT_TAG];
  const repository = tags[DATA_REPOSITORY_TAG];
  if (commitId === undefined || commitId === '' || repository === undefined || repository === '') {
    return undefined;
  }
  return { repository, branch: tags[DATA_BRANCH_TAG], commitId };
}
