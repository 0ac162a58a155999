/**
 * Content-addressed trees (path -> entry) of the embedded data repository.
 *
 * A tree id is a hash of the *multiset* of its entries: SHA-256 over the entry count and the sum
 * (mod 2^256) of each entry's SHA-256. The sum updates in O(1) per changed path, so a commit never
 * rehashes the whole tree, and equal contents always get equal ids. A tree is stored full, or as a
 * delta (changed entries + tombstones) over a full base; a delta is folded into a new full tree once
 * it grows past ~2·sqrt(n) entries.
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
  /** The full tree this one is a delta of, or null when this tree is full. */
  baseId: string | null;
  entryCount: number;
  /** The entry-hash sum, hex. */
  acc: string;
  deltaCount: number;
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

/** Layers of a read: staged changes of a branch (optional), then a tree's delta, then its base. */
export interface ReadLayers {
  tree: TreeInfo;
  /** Overlay a branch's staged changes. */
  staging?: { repo: string; branch: string };
}

/** Reads and writes trees in `repository.db`. */
export class TreeStore {
  readonly #statements;

  constructor(db: SqliteDatabase) {
    this.#statements = {
      get: db.prepare<[string], TreeInfo>(
        'SELECT id, base_id AS baseId, entry_count AS entryCount, acc, delta_count AS deltaCount FROM trees WHERE id = ?',
      ),
      insertTree: db.prepare(
        'INSERT OR IGNORE INTO trees (id, base_id, entry_count, acc, delta_count) VALUES (?, ?, ?, ?, ?)',
      ),
      entry: db.prepare<[string, string], EntryRow>(
        'SELECT path, checksum, size, content_type, metadata, mtime FROM tree_entries WHERE tree_id = ? AND path = ?',
      ),
      upsert: db.prepare(
        'INSERT OR REPLACE INTO tree_entries (tree_id, path, checksum, size, content_type, metadata, mtime) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      remove: db.prepare('DELETE FROM tree_entries WHERE tree_id = ? AND path = ?'),
      copy: db.prepare(
        'INSERT INTO tree_entries (tree_id, path, checksum, size, content_type, metadata, mtime) SELECT ?, path, checksum, size, content_type, metadata, mtime FROM tree_entries WHERE tree_id = ?',
      ),
      countEntries: db.prepare<[string], { n: number }>(
        'SELECT count(*) AS n FROM tree_entries WHERE tree_id = ?',
      ),
      deltaPaths: db.prepare<[string], { path: string }>('SELECT path FROM tree_entries WHERE tree_id = ?'),
      layered: db.prepare<
        {
          repo: string;
          branch: string;
          delta: string;
          base: string;
          after: string;
          low: string;
          high: string;
        },
        EntryRow & { layer: number }
      >(`
        SELECT path, checksum, size, content_type, metadata, mtime, min(layer) AS layer FROM (
          SELECT path, checksum, size, content_type, metadata, mtime, 0 AS layer FROM staging
            WHERE repo = @repo AND branch = @branch AND path > @after AND path >= @low AND path < @high
          UNION ALL
          SELECT path, checksum, size, content_type, metadata, mtime, 1 AS layer FROM tree_entries
            WHERE tree_id = @delta AND path > @after AND path >= @low AND path < @high
          UNION ALL
          SELECT path, checksum, size, content_type, metadata, mtime, 2 AS layer FROM tree_entries
            WHERE tree_id = @base AND path > @after AND path >= @low AND path < @high
        ) GROUP BY path ORDER BY path`),
    };
    this.#statements.insertTree.run(EMPTY_TREE_ID, null, 0, '0', 0);
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
    const own = this.#statements.entry.get(tree.id, path);
    if (own !== undefined) return entryOfRow(own);
    if (tree.baseId === null) return undefined;
    const base = this.#statements.entry.get(tree.baseId, path);
    return base === undefined ? undefined : entryOfRow(base);
  }

  /**
   * Iterates the entries visible through the layers, in path order, from after `after`, under
   * `prefix`. Tombstones are skipped. Do not run other statements while iterating.
   */
  *iterate(layers: ReadLayers, options: { after?: string; prefix?: string } = {}): Generator<TreeEntry> {
    const prefix = options.prefix ?? '';
    const rows = this.#statements.layered.iterate({
      repo: layers.staging?.repo ?? '',
      branch: layers.staging?.branch ?? '',
      delta: layers.tree.id,
      base: layers.tree.baseId ?? '',
      after: options.after ?? '',
      low: prefix,
      high: prefixUpperBound(prefix),
    });
    for (const row of rows) {
      const entry = entryOfRow(row);
      if (entry !== undefined) yield entry;
    }
  }

  /** Every entry of a tree, by path. */
  materialize(tree: TreeInfo, prefix = ''): Map<string, TreeEntry> {
    const result = new Map<string, TreeEntry>();
    for (const entry of this.iterate({ tree }, { prefix })) result.set(entry.path, entry);
    return result;
  }

  /** Paths whose entries may differ between two trees (their deltas when they share a base; else undefined). */
  candidatePaths(a: TreeInfo, b: TreeInfo): Set<string> | undefined {
    const baseA = a.baseId ?? a.id;
    const baseB = b.baseId ?? b.id;
    if (baseA !== baseB) return undefined;
    const paths = new Set<string>();
    for (const tree of [a, b]) {
      if (tree.baseId === null) continue;
      for (const row of this.#statements.deltaPaths.all(tree.id)) paths.add(row.path);
    }
    return paths;
  }

  /**
   * Writes the tree that results from applying `changes` to `parent` (call inside a transaction)
   * and returns it. Changes must be effective (each one alters the parent).
   */
  apply(parent: TreeInfo, changes: ReadonlyMap<string, TreeChange>): TreeInfo {
    let acc = BigInt(`0x${parent.acc}`);
    let count = parent.entryCount;
    const base = parent.baseId === null ? parent : this.get(parent.baseId);
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
    const deltaLimit = Math.max(128, Math.ceil(2 * Math.sqrt(base.entryCount)));
    const estimatedDelta = (parent.baseId === null ? 0 : parent.deltaCount) + changes.size;
    if (estimatedDelta > deltaLimit || base.entryCount === 0) {
      // Fold into a full tree.
      const entries = this.materialize(parent);
      for (const [path, change] of changes) {
        if (change === null) entries.delete(path);
        else entries.set(path, change);
      }
      for (const entry of entries.values()) this.#upsert(id, entry.path, entry);
      this.#statements.insertTree.run(id, null, count, accHex, 0);
      return { id, baseId: null, entryCount: count, acc: accHex, deltaCount: 0 };
    }
    if (parent.baseId !== null) this.#statements.copy.run(id, parent.id);
    for (const [path, change] of changes) {
      if (change !== null) {
        this.#upsert(id, path, change);
      } else if (this.#statements.entry.get(base.id, path) !== undefined) {
        this.#upsert(id, path, undefined); // tombstone hides the base entry
      } else {
        this.#statements.remove.run(id, path);
      }
    }
    const deltaCount = this.#statements.countEntries.get(id)?.n ?? 0;
    this.#statements.insertTree.run(id, base.id, count, accHex, deltaCount);
    return { id, baseId: base.id, entryCount: count, acc: accHex, deltaCount };
  }

  #upsert(treeId: string, path: string, entry: TreeEntry | undefined): void {
    this.#statements.upsert.run(
      treeId,
      path,
      entry?.checksum ?? null,
      entry?.size ?? 0,
      entry?.contentType ?? '',
      entry?.metadata ?? '{}',
      entry?.mtime ?? 0,
    );
  }
}
