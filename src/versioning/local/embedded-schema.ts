/**
 * The SQLite schema of the embedded data repository (`<home>/data/repository.db`).
 *
 * Trees are content-addressed and shared by every repository. A tree is either *full* (all its
 * entries are rows of `tree_entries` under its `seq`) or a *delta*: its own changes against its
 * parent tree (`delta`, JSON, tombstones as null), on a chain that ends at a full base tree. A small
 * commit writes one tree row; the chain is folded into a new full tree once the composed changes
 * outgrow ~8·sqrt(n) entries (or the chain gets long), so reads stay cheap.
 */
import type { Migration } from '../../util/sqlite-database.js';

/** Migrations of `repository.db`. */
export const EMBEDDED_DATA_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE repositories (
        name TEXT PRIMARY KEY,
        default_branch TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE branches (
        repo TEXT NOT NULL,
        name TEXT NOT NULL,
        head TEXT NOT NULL,
        PRIMARY KEY (repo, name)
      ) WITHOUT ROWID;
      CREATE TABLE tags (
        repo TEXT NOT NULL,
        name TEXT NOT NULL,
        commit_id TEXT NOT NULL,
        PRIMARY KEY (repo, name)
      ) WITHOUT ROWID;
      CREATE TABLE commits (
        repo TEXT NOT NULL,
        id TEXT NOT NULL,
        tree_id TEXT NOT NULL,
        parents TEXT NOT NULL,
        committer TEXT NOT NULL,
        message TEXT NOT NULL,
        metadata TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        generation INTEGER NOT NULL,
        PRIMARY KEY (repo, id)
      ) WITHOUT ROWID;
      CREATE TABLE commit_changes (
        repo TEXT NOT NULL,
        commit_id TEXT NOT NULL,
        path TEXT NOT NULL,
        PRIMARY KEY (repo, commit_id, path)
      ) WITHOUT ROWID;
      CREATE TABLE trees (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        parent_seq INTEGER,
        base_seq INTEGER,
        depth INTEGER NOT NULL,
        entry_count INTEGER NOT NULL,
        acc TEXT NOT NULL,
        delta TEXT,
        composed_count INTEGER NOT NULL
      );
      CREATE TABLE tree_entries (
        tree_seq INTEGER NOT NULL,
        path TEXT NOT NULL,
        checksum TEXT,
        size INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        metadata TEXT NOT NULL,
        mtime INTEGER NOT NULL,
        PRIMARY KEY (tree_seq, path)
      ) WITHOUT ROWID;
      CREATE TABLE staging (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        repo TEXT NOT NULL,
        branch TEXT NOT NULL,
        path TEXT NOT NULL,
        checksum TEXT,
        size INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        metadata TEXT NOT NULL,
        mtime INTEGER NOT NULL,
        UNIQUE (repo, branch, path)
      );
    `,
  },
  {
    // Small objects live inline (content-addressed like the files): no file syscalls per small put.
    version: 2,
    sql: `
      CREATE TABLE inline_blobs (
        checksum TEXT PRIMARY KEY,
        bytes BLOB NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    // Branch protection rules (lakeFS's model): branch-name patterns per repository.
    version: 3,
    sql: `
      CREATE TABLE branch_protection (
        repo TEXT NOT NULL,
        pattern TEXT NOT NULL,
        PRIMARY KEY (repo, pattern)
      ) WITHOUT ROWID;
    `,
  },
];
