/**
 * Content-addressed trees (path -> entry) of the embedded data repository.
 *
 * A tree id is a hash of the *multiset* of its entries: SHA-256 over the entry count and the sum
 * (mod 2^256) of each entry's SHA-256. The sum updates in O(1) per changed path, so a commit never
 * rehashes the whole tree, and equal contents always get equal ids. A tree is stored full (rows), or
 * as its own changes against its parent tree on a chain ending at a full base; the chain's changes
 * are composed in memory (cached), and folded into a new full tree once they outgrow ~8·sqrt(n).
 *
 * @example
 * ```ts
 * const trees = new TreeStore(db);
 * const next = trees.apply(trees.get(EMPTY_TREE_ID), new Map([['a.csv', entry]]));
 * trees.lookup(next, 'a.csv'); // entry
 * ```
 */
import { createHash } from 'node:crypto';
import type { SqliteDatabase } from '../../util/sqlite-database.js';
import { prefixUpperBound } from '../data-names.js';

/** One object in a tree (or a staged change). */
export interface TreeEntry {
  path: string;
  checksum: string;
  size: number;
  contentType: string;
  /** User metadata as canonical JSON (sorted keys). */
  metadata: string;
  /** Epoch milliseconds. */
  mtime: number;
}

/** A change to apply: an entry, or `null` to remove the path. */
export type TreeChange = TreeEntry | null;

/** A stored tree. */
export interface TreeInfo {
  id: string;
  /** Storage key of the tree. */
  seq: number;
  /** The tree this one's `delta` is relative to, or null when this tree is full. */
  parentSeq: number | null;
  /** The full tree at the end of the chain (this tree's own seq when it is full). */
  baseSeq: number;
  /** Chain length from the base (0 for a full tree). */
  depth: number;
  entryCount: number;
  /** The entry-hash sum, hex. */
  acc: string;
  /** Own changes (JSON), null for a full tree. */
  delta: string | null;
  /** Size of the composed changes from the base to this tree. */
  composedCount: number;
}

interface EntryRow {
  path: string;
  checksum: string | null;
  size: number;
  content_type: string;
  metadata: string;
  mtime: number;
}

const MODULUS = 1n << 256n;

/** The id of the tree with no entries. */
export const EMPTY_TREE_ID = treeIdOf(0n, 0);

function treeIdOf(acc: bigint, count: number): string {
  return createHash('sha256')
    .update(`tree\0${count}\0${acc.toString(16)}`)
    .digest('hex');
}

function entryHash(entry: TreeEntry): bigint {
  const digest = createHash('sha256')
    .update(`${entry.path}\0${entry.checksum}\0${entry.contentType}\0${entry.metadata}`)
    .digest('hex');
  return BigInt(`0x${digest}`);
}

/** True when two entries have the same content (path, checksum, content type, metadata). */
export function sameEntry(a: TreeEntry | undefined, b: TreeEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.path === b.path &&
    a.checksum === b.checksum &&
    a.contentType === b.contentType &&
    a.metadata === b.metadata
  );
}

/** Converts a row (from `tree_entries` or `staging`) to an entry; undefined for a tombstone. */
export function entryOfRow(row: EntryRow): TreeEntry | undefined {
  if (row.checksum === null) return undefined;
  return {
    path: row.path,
    checksum: row.checksum,
    size: row.size,
    contentType: row.content_type,
    metadata: row.metadata,
    mtime: row.mtime,
  };
}

/** Layers of a read: staged changes of a branch (optional), then the tree. */
export interface ReadLayers {
  tree: TreeInfo;
  /** Overlay a branch's staged changes. */
  staging?: { repo: string; branch: string };
}

/** Composed changes from a tree's base: path -> entry, or null for a removed path. */
type Composed = Map<string, TreeEntry | null>;
type DeltaRow = [
  path: string,
  checksum: string | null,
  size: number,
  contentType: string,
  metadata: string,
  mtime: number,
];

const TREE_COLUMNS =
  'id, seq, parent_seq AS parentSeq, coalesce(base_seq, seq) AS baseSeq, depth, entry_count AS entryCount, acc, delta, composed_count AS composedCount';
/** Longest chain before a fold, so a cold read never replays too many deltas. */
const MAX_DEPTH = 2000;
/** Composed deltas kept in memory. */
const CACHE_SIZE = 16;

/** Reads and writes trees in `repository.db`. */
export class TreeStore {
  readonly #statements;
  readonly #composed = new Map<number, Composed>();

  constructor(db: SqliteDatabase) {
    this.#statements = {
      get: db.prepare<[string], TreeInfo>(`SELECT ${TREE_COLUMNS} FROM trees WHERE id = ?`),
      bySeq: db.prepare<[number], TreeInfo>(`SELECT ${TREE_COLUMNS} FROM trees WHERE seq = ?`),
      insertTree: db.prepare<
        [string, number | null, number | null, number, number, string, string | null, number]
      >(
        'INSERT INTO trees (id, parent_seq, base_seq, depth, entry_count, acc, delta, composed_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      entry: db.prepare<[number, string], EntryRow>(
        'SELECT path, checksum, size, content_type, metadata, mtime FROM tree_entries WHERE tree_seq = ? AND path = ?',
      ),
      insertEntry: db.prepare(
        'INSERT INTO tree_entries (tree_seq, path, checksum, size, content_type, metadata, mtime) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      range: db.prepare<{ seq: number; after: string; low: string; high: string }, EntryRow>(
        'SELECT path, checksum, size, content_type, metadata, mtime FROM tree_entries WHERE tree_seq = @seq AND path > @after AND path >= @low AND path < @high ORDER BY path',
      ),
      stagedRange: db.prepare<
        { repo: string; branch: string; after: string; low: string; high: string },
        EntryRow
      >(
        'SELECT path, checksum, size, content_type, metadata, mtime FROM staging WHERE repo = @repo AND branch = @branch AND path > @after AND path >= @low AND path < @high ORDER BY path',
      ),
    };
    if (this.find(EMPTY_TREE_ID) === undefined) {
      this.#statements.insertTree.run(EMPTY_TREE_ID, null, null, 0, 0, '0', null, 0);
    }
  }

  /** A tree by id (undefined when absent). */
  find(id: string): TreeInfo | undefined {
    return this.#statements.get.get(id);
  }

  /** A tree by id; throws when absent (a corrupt database). */
  get(id: string): TreeInfo {
    const tree = this.find(id);
    if (tree === undefined) throw new Error(`tree ${id} is missing from the repository database`);
    return tree;
  }

  /** The committed entry at `path` in `tree` (undefined when absent). */
  lookup(tree: TreeInfo, path: string): TreeEntry | undefined {
    const composed = this.#composedOf(tree);
    if (composed.has(path)) return composed.get(path) ?? undefined;
    const row = this.#statements.entry.get(tree.baseSeq, path);
    return row === undefined ? undefined : entryOfRow(row);
  }

  /**
   * Iterates the entries visible through the layers, in path order, after `after`, under `prefix`.
   * Tombstones are skipped. Do not run other statements while iterating.
   */
  *iterate(layers: ReadLayers, options: { after?: string; prefix?: string } = {}): Generator<TreeEntry> {
    const prefix = options.prefix ?? '';
    const bounds = { after: options.after ?? '', low: prefix, high: prefixUpperBound(prefix) };
    const inRange = (path: string): boolean =>
      path > bounds.after && path >= bounds.low && path < bounds.high;
    // Small layers first, fully read (only one statement may stream at a time): staged rows, composed changes.
    const staged: [string, TreeEntry | null][] =
      layers.staging === undefined
        ? []
        : this.#statements.stagedRange
            .all({ ...layers.staging, ...bounds })
            .map((row) => [row.path, entryOfRow(row) ?? null]);
    const composed = [...this.#composedOf(layers.tree)].filter(([path]) => inRange(path)).sort(byPath);
    const overlay = mergeSorted(staged, composed);
    let next = 0;
    for (const row of this.#statements.range.iterate({ seq: layers.tree.baseSeq, ...bounds })) {
      while (next < overlay.length && (overlay[next]?.[0] ?? '') < row.path) {
        const entry = overlay[next++]?.[1];
        if (entry) yield entry;
      }
      if (next < overlay.length && overlay[next]?.[0] === row.path) {
        const entry = overlay[next++]?.[1];
        if (entry) yield entry;
        continue;
      }
      const entry = entryOfRow(row);
      if (entry !== undefined) yield entry;
    }
    while (next < overlay.length) {
      const entry = overlay[next++]?.[1];
      if (entry) yield entry;
    }
  }

  /** Every entry of a tree, by path. */
  materialize(tree: TreeInfo, prefix = ''): Map<string, TreeEntry> {
    const result = new Map<string, TreeEntry>();
    for (const entry of this.iterate({ tree }, { prefix })) result.set(entry.path, entry);
    return result;
  }

  /** Paths whose entries may differ between two trees (their composed changes when they share a base; else undefined). */
  candidatePaths(a: TreeInfo, b: TreeInfo): Set<string> | undefined {
    if (a.baseSeq !== b.baseSeq) return undefined;
    return new Set([...this.#composedOf(a).keys(), ...this.#composedOf(b).keys()]);
  }

  /**
   * Writes the tree that results from applying `changes` to `parent` (call inside a transaction)
   * and returns it. Changes must be effective (each one alters the parent).
   */
  apply(parent: TreeInfo, changes: ReadonlyMap<string, TreeChange>): TreeInfo {
    let acc = BigInt(`0x${parent.acc}`);
    let count = parent.entryCount;
    for (const [path, change] of changes) {
      const old = this.lookup(parent, path);
      if (old !== undefined) {
        acc = (acc - entryHash(old) + MODULUS) % MODULUS;
        count--;
      }
      if (change !== null) {
        acc = (acc + entryHash(change)) % MODULUS;
        count++;
      }
    }
    const id = treeIdOf(acc, count);
    const existing = this.find(id);
    if (existing !== undefined) return existing;

    const accHex = acc.toString(16);
    const composed: Composed = new Map(this.#composedOf(parent));
    for (const [path, change] of changes) composed.set(path, change);
    const baseCount = this.#bySeq(parent.baseSeq).entryCount;
    const limit = Math.min(8192, Math.max(256, Math.ceil(8 * Math.sqrt(Math.max(baseCount, count)))));
    if (composed.size > limit || parent.depth + 1 > MAX_DEPTH) {
      // Fold the chain into a new full tree (rows inserted in path order: appends to the B-tree).
      const entries = this.materialize(parent);
      for (const [path, change] of changes) {
        if (change === null) entries.delete(path);
        else entries.set(path, change);
      }
      const seq = Number(
        this.#statements.insertTree.run(id, null, null, 0, count, accHex, null, 0).lastInsertRowid,
      );
      for (const path of [...entries.keys()].sort()) {
        const entry = entries.get(path);
        if (entry !== undefined) {
          this.#statements.insertEntry.run(
            seq,
            path,
            entry.checksum,
            entry.size,
            entry.contentType,
            entry.metadata,
            entry.mtime,
          );
        }
      }
      this.#remember(seq, new Map());
      return this.#bySeq(seq);
    }
    const delta: DeltaRow[] = [...changes].map(([path, change]) =>
      change === null
        ? [path, null, 0, '', '{}', 0]
        : [path, change.checksum, change.size, change.contentType, change.metadata, change.mtime],
    );
    const inserted = this.#statements.insertTree.run(
      id,
      parent.seq,
      parent.baseSeq,
      parent.depth + 1,
      count,
      accHex,
      JSON.stringify(delta),
      composed.size,
    );
    const seq = Number(inserted.lastInsertRowid);
    this.#remember(seq, composed);
    return this.#bySeq(seq);
  }

  /** Forgets cached compositions (after gc removed trees). */
  clearCache(): void {
    this.#composed.clear();
  }

  #bySeq(seq: number): TreeInfo {
    const tree = this.#statements.bySeq.get(seq);
    if (tree === undefined) throw new Error(`tree #${seq} is missing from the repository database`);
    return tree;
  }

  /** The changes from the tree's base to the tree, composed along the chain (cached). */
  #composedOf(tree: TreeInfo): Composed {
    if (tree.parentSeq === null) return EMPTY_COMPOSED;
    const cached = this.#composed.get(tree.seq);
    if (cached !== undefined) return cached;
    // Replay the chain from the nearest cached ancestor (or the base).
    const chain: TreeInfo[] = [];
    let current: TreeInfo = tree;
    let start: Composed = EMPTY_COMPOSED;
    while (current.parentSeq !== null) {
      const hit = this.#composed.get(current.seq);
      if (hit !== undefined) {
        start = hit;
        break;
      }
      chain.push(current);
      current = this.#bySeq(current.parentSeq);
    }
    const composed: Composed = new Map(start);
    for (const link of chain.reverse()) {
      for (const [path, checksum, size, contentType, metadata, mtime] of JSON.parse(
        link.delta ?? '[]',
      ) as DeltaRow[]) {
        composed.set(path, checksum === null ? null : { path, checksum, size, contentType, metadata, mtime });
      }
    }
    this.#remember(tree.seq, composed);
    return composed;
  }

  #remember(seq: number, composed: Composed): void {
    this.#composed.delete(seq);
    this.#composed.set(seq, composed);
    if (this.#composed.size > CACHE_SIZE) {
      const oldest = this.#composed.keys().next().value;
      if (oldest !== undefined) this.#composed.delete(oldest);
    }
  }
}

const EMPTY_COMPOSED: Composed = new Map();

function byPath<T extends [string, unknown]>(a: T, b: T): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Merges two path-sorted lists; on equal paths the first list wins. */
function mergeSorted(
  first: [string, TreeEntry | null][],
  second: [string, TreeEntry | null][],
): [string, TreeEntry | null][] {
  const result: [string, TreeEntry | null][] = [];
  let i = 0;
  let j = 0;
  while (i < first.length || j < second.length) {
    const a = first[i];
    const b = second[j];
    if (b === undefined || (a !== undefined && a[0] <= b[0])) {
      if (a !== undefined) result.push(a);
      if (a !== undefined && b !== undefined && a[0] === b[0]) j++;
      i++;
    } else {
      result.push(b);
      j++;
    }
  }
  return result;
}
