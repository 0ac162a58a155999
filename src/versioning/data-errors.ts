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

/**
 * PRECONDITION_FAILED: a revert on a branch that has uncommitted changes (lakeFS answers 400
 * "uncommitted changes (dirty branch)"; the embedded backend refuses it before reverting).
 */
export function uncommittedChangesBeforeRevert(
  repository: string,
  branch: string,
  cause?: unknown,
): LakeloopError {
  return new LakeloopError(
    'PRECONDITION_FAILED',
    `Branch "${branch}" has uncommitted changes; commit or reset them before reverting on it.`,
    { details: { repository, branch }, ...(cause === undefined ? {} : { cause }) },
  );
}

/** PRECONDITION_FAILED: a revert that would change nothing (lakeFS answers 400 "no changes"). */
export function nothingToRevert(
  target: { repository: string; branch: string; ref: string },
  cause?: unknown,
): LakeloopError {
  return new LakeloopError(
    'PRECONDITION_FAILED',
    `Reverting "${target.ref}" changes nothing on branch "${target.branch}": its changes are already undone there (or it changed nothing).`,
    { details: { ...target }, ...(cause === undefined ? {} : { cause }) },
  );
}

/**
 * INVALID_ARGUMENT: a revert of a merge commit without a parent number, or with one it does not
 * have (lakeFS answers 409 "must specify 1-based parent number" / 400 "does not have the given
 * parent number").
 */
export function revertParentNumberInvalid(
  target: { repository: string; ref: string; parents?: number; parentNumber?: number },
  cause?: unknown,
): LakeloopError {
  const { parentNumber, parents } = target;
  const what =
    parentNumber === undefined
      ? `"${target.ref}" is a merge commit: say which parent to undo its changes against`
      : `"${target.ref}" has no parent number ${parentNumber}${parents === undefined ? '' : ` (it has ${parents})`}`;
  return new LakeloopError(
    'INVALID_ARGUMENT',
    `${what}; pass parentNumber / --parent-number (1: the branch it merged into, 2: the merged source).`,
    { details: { ...target }, ...(cause === undefined ? {} : { cause }) },
  );
}
