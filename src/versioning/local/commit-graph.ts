/**
 * Walks of the commit DAG of the embedded data repository: newest-first log order, ancestry and
 * merge bases. Commits carry a `generation` (1 + the largest parent generation) that bounds walks.
 *
 * @example
 * ```ts
 * const graph = new CommitGraph(db);
 * for (const commit of graph.walk('flights', headId)) console.log(commit.id);
 * ```
 */
import type { SqliteDatabase } from '../../util/sqlite-database.js';

/** A commit row as stored. */
export interface CommitRow {
  id: string;
  tree_id: string;
  parents: string;
  committer: string;
  message: string;
  metadata: string;
  created_at: number;
  generation: number;
}

/** Newest first: by date, then generation, then id. */
function newer(a: CommitRow, b: CommitRow): boolean {
  if (a.created_at !== b.created_at) return a.created_at > b.created_at;
  if (a.generation !== b.generation) return a.generation > b.generation;
  return a.id > b.id;
}

/** Commits are immutable: rows are cached (bounded) so that paging deep into a log stays cheap. */
const CACHE_LIMIT = 200_000;

/** Reads commits and walks the graph. */
export class CommitGraph {
  readonly #get;
  readonly #cache = new Map<string, CommitRow>();
  readonly #parents = new WeakMap<CommitRow, string[]>();

  constructor(db: SqliteDatabase) {
    this.#get = db.prepare<[string, string], CommitRow>(
      'SELECT id, tree_id, parents, committer, message, metadata, created_at, generation FROM commits WHERE repo = ? AND id = ?',
    );
  }

  /** A commit by exact id (undefined when absent). */
  find(repo: string, id: string): CommitRow | undefined {
    const key = `${repo}\0${id}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const row = this.#get.get(repo, id);
    if (row !== undefined) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(key, row);
    }
    return row;
  }

  /** Drops cached rows of a repository (after it is deleted: a new one may reuse its name). */
  forget(repo: string): void {
    for (const key of this.#cache.keys()) if (key.startsWith(`${repo}\0`)) this.#cache.delete(key);
  }

  /** A commit by id; throws when absent (a corrupt database). */
  get(repo: string, id: string): CommitRow {
    const row = this.find(repo, id);
    if (row === undefined) throw new Error(`commit ${id} is missing from repository ${repo}`);
    return row;
  }

  /** Parent ids of a commit row. */
  parentsOf(row: CommitRow): string[] {
    let parents = this.#parents.get(row);
    if (parents === undefined) {
      parents = JSON.parse(row.parents) as string[];
      this.#parents.set(row, parents);
    }
    return parents;
  }

  /** Every commit reachable from `head`, newest first (lazy). */
  *walk(repo: string, head: string): Generator<CommitRow> {
    const queue: CommitRow[] = [this.get(repo, head)];
    const seen = new Set<string>([head]);
    while (queue.length > 0) {
      // The frontier is small (one per open line of history): a linear scan beats a heap here.
      let best = 0;
      for (let i = 1; i < queue.length; i++) {
        if (newer(queue[i] as CommitRow, queue[best] as CommitRow)) best = i;
      }
      const current = queue[best] as CommitRow;
      queue[best] = queue[queue.length - 1] as CommitRow;
      queue.pop();
      yield current;
      for (const parent of this.parentsOf(current)) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        queue.push(this.get(repo, parent));
      }
    }
  }

  /** The first-parent chain from `head`: the commits made on the branch, a merge being one of them (lazy). */
  *walkFirstParents(repo: string, head: string): Generator<CommitRow> {
    for (let id: string | undefined = head; id !== undefined;) {
      const current = this.get(repo, id);
      yield current;
      id = this.parentsOf(current)[0];
    }
  }

  /** True when `ancestor` is `descendant` or one of its ancestors. */
  isAncestor(repo: string, ancestor: string, descendant: string): boolean {
    if (ancestor === descendant) return true;
    const target = this.get(repo, ancestor);
    const stack = [descendant];
    const seen = new Set<string>(stack);
    while (stack.length > 0) {
      const row = this.get(repo, stack.pop() as string);
      if (row.id === ancestor) return true;
      if (row.generation <= target.generation) continue;
      for (const parent of this.parentsOf(row)) {
        if (!seen.has(parent)) {
          seen.add(parent);
          stack.push(parent);
        }
      }
    }
    return false;
  }

  /** The best common ancestor of two commits (undefined when they share none). */
  mergeBase(repo: string, a: string, b: string): string | undefined {
    const ancestorsOfA = new Set<string>();
    for (const row of this.walk(repo, a)) ancestorsOfA.add(row.id);
    let best: CommitRow | undefined;
    for (const row of this.walk(repo, b)) {
      if (ancestorsOfA.has(row.id) && (best === undefined || row.generation > best.generation)) {
        best = row;
        break;
      }
    }
    return best?.id;
  }
}
