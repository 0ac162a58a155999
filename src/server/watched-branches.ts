/**
 * The branches the loop watches: those of the data-commit sensors (from their wake keys,
 * `data-commit:<repository>/<branch>`), else every repository's default branch. The live stream
 * reports their commits and the timeline lists them.
 */
import type { Definitions } from '../core/definitions/definitions.js';
import type { DataRepository } from '../versioning/data-repository.js';
import { MAX_PAGE_SIZE } from './api-input.js';

/** The wake-key prefix of data-commit sensors (src/automation's data-commit sensor). */
const DATA_COMMIT_WAKE_PREFIX = 'data-commit:';

/** A watched branch; `key` is `<repository>/<branch>`. */
export interface WatchedBranch {
  key: string;
  repository: string;
  branch: string;
}

/** The watched branches of `defs` (see the module comment). */
export async function watchedBranches(
  defs: Definitions,
  data: DataRepository | undefined,
): Promise<WatchedBranch[]> {
  const keys = new Set<string>();
  for (const sensor of defs.sensors) {
    for (const key of (sensor as { wakeKeys?: readonly string[] }).wakeKeys ?? []) {
      if (key.startsWith(DATA_COMMIT_WAKE_PREFIX)) keys.add(key.slice(DATA_COMMIT_WAKE_PREFIX.length));
    }
  }
  if (keys.size === 0 && data !== undefined) {
    const repositories = await data.listRepositories({ amount: MAX_PAGE_SIZE });
    for (const repository of repositories.results) keys.add(`${repository.name}/${repository.defaultBranch}`);
  }
  return [...keys].map((key) => {
    const at = key.indexOf('/'); // repository names have no '/'; branch names may
    return { key, repository: key.slice(0, at), branch: key.slice(at + 1) };
  });
}
