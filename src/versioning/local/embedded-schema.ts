/**
 * The SQLite schema of the embedded data repository (`<home>/data/repository.db`).
 *
 * Trees are content-addressed and shared by every repository. A tree is either *full* (all its
 * entries stored under its id) or a *delta* over a full base tree (changed entries and tombstones,
 * `checksum IS NULL`), so that a small commit writes O(changes + sqrt(n)) rows, not O(n).
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
        id TEXT PRIMARY KEY,
        base_id TEXT,
        entry_count INTEGER NOT NULL,
        acc TEXT NOT NULL,
        delta_count INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE tree_entries (
        tree_id TEXT NOT NULL,
        path TEXT NOT NULL,
        checksum TEXT,
        size INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        metadata TEXT NOT NULL,
        mtime INTEGER NOT NULL,
        PRIMARY KEY (tree_id, path)
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
];
