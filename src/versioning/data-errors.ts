/**
 * Errors both data backends raise alike, so that a caller sees one code and one message whichever
 * backend answered (the embedded one detects the case itself; the lakeFS client maps the server's
 * answer to it).
 *
 * @example
 * ```ts
 * throw uncommittedChangesBeforeMerge('flights', 'main'); // PRECONDITION_FAILED
 * ```
 */
import { LakeloopError } from '../errors.js';

/**
 * PRECONDITION_FAILED: a merge into a branch that has uncommitted changes (lakeFS answers 400
 * "uncommitted changes (dirty branch)"; the embedded backend refuses it before merging).
 */
export function uncommittedChangesBeforeMerge(
  repository: string,
  branch: string,
  cause?: unknown,
): LakeloopError {
  return new LakeloopError(
    'PRECONDITION_FAILED',
    `Branch "${branch}" has uncommitted changes; commit or reset them before merging into it.`,
    { details: { repository, branch }, ...(cause === undefined ? {} : { cause }) },
  );
}
