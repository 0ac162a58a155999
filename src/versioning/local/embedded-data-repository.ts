/* eslint-disable @typescript-eslint/require-await -- synchronous SQLite behind the async interface: async methods turn throws into rejections */
/**
 * The embedded (default) data repository: content-addressed blobs under `<home>/data/blobs/` and
 * metadata in SQLite (`<home>/data/repository.db`). Commits are atomic (one SQLite transaction;
 * blobs are complete files before any metadata points at them), a commit checks the branch head
 * optimistically (a concurrent committer gets CONFLICT, never a lost commit), and commit ids are
 * SHA-256 hashes of (tree id, parents, message, metadata, committer, date).
 *
 * @example
 * ```ts
 * await using data = new EmbeddedDataRepository({ home: '.lakeloop' });
 * await data.createRepository({ name: 'flights' });
 * await data.putObject({ repository: 'flights', branch: 'main', path: 'a.txt', content: 'hello' });
 * const { id } = await data.commit({ repository: 'flights', branch: 'main', message: 'add a.txt' });
 * data.onCommit((event) => console.log(event.commitId));
 * ```
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { userInfo } from 'node:os';
import type { Clock } from '../../clock.js';
import { systemClock } from '../../clock.js';
import { LakeloopError } from '../../errors.js';
import { openSqlite } from '../../util/sqlite-database.js';
import type { SqliteDatabase } from '../../util/sqlite-database.js';
import {
  checkAmount,
  checkBranchName,
  checkMetadata,
  checkObjectMetadata,
  checkObjectPath,
  checkParentNumber,
  checkPrefix,
  checkRef,
  checkRepositoryName,
  checkTagName,
  prefixUpperBound,
  sortedMetadata,
} from '../data-names.js';
import {
  nothingToRevert,
  revertParentNumberInvalid,
  uncommittedChangesBeforeMerge,
  uncommittedChangesBeforeRevert,
} from '../data-errors.js';
import {
  branchProtectionChanged,
  branchProtectionEtag,
  checkBranchPatterns,
  protectedBranchError,
  protectingPattern,
} from '../branch-protection.js';
import type { BranchProtection, ProtectedAction, SetBranchProtectionOptions } from '../branch-protection.js';
import type { DataHookEvent, DataHookRunner } from '../data-hooks.js';
import type {
  BranchAddress,
  Commit,
  CommitEvent,
  CommitOptions,
  CreateRepositoryOptions,
  DataRepository,
  DataRepositoryCapabilities,
  DiffEntry,
  DiffOptions,
  ListObjectsOptions,
  LogOptions,
  MergeOptions,
  MergeResult,
  ObjectAddress,
  ObjectListEntry,
  ObjectStat,
  Page,
  PageOptions,
  PutObjectOptions,
  RefInfo,
  RepositoryInfo,
  RevertOptions,
} from '../data-repository.js';
import { BlobStore } from './blob-store.js';
import { CommitGraph } from './commit-graph.js';
import type { CommitRow } from './commit-graph.js';
import { CommitSignal } from './commit-signal.js';
import { EMBEDDED_DATA_MIGRATIONS } from './embedded-schema.js';
import { EMPTY_TREE_ID, TreeStore, entryOfRow, sameEntry } from './tree-store.js';
import type { TreeChange, TreeEntry, TreeInfo } from './tree-store.js';

/** Options of {@link EmbeddedDataRepository}. */
export interface EmbeddedDataRepositoryOptions {
  /** The instance home; data goes to `<home>/data/`. */
  home: string;
  /** Default: the wall clock. */
  clock?: Clock;
  /** Committer of commits that do not name one. Default `$USER`, else `'lakeloop'`. */
  committer?: string;
  /** fsync blobs before they become visible (survives power loss; slower). Default false. */
  durable?: boolean;
  /**
   * Test seam: called between reading a branch and the commit transaction, to interleave a
   * concurrent writer deterministically. Default none.
   */
  beforeCommitTransaction?: (branch: BranchAddress) => void;
  /** Pre-commit / pre-merge checks (see data-hooks.ts `createDataHookRunner`). Default none. */
  hookRunner?: DataHookRunner;
  /**
   * Test seam: called after a transaction that moved a branch head committed, before other
   * processes are told (a crash test kills the process there). Default none.
   */
  afterCommitTransaction?: (branch: BranchAddress) => void;
}

/** Options of {@link EmbeddedDataRepository.gc}. */
export interface GcOptions {
  /** Keep blobs (and temp files) younger than this, which a concurrent put may be about to reference. Default 60 000 ms. */
  gracePeriodMs?: number;
}

/** What {@link EmbeddedDataRepository.gc} removed. */
export interface GcResult {
  removedBlobs: number;
  removedBytes: number;
  removedTrees: number;
  removedTempFiles: number;
  keptBlobs: number;
}

interface StagingRow {
  seq: number;
  path: string;
  checksum: string | null;
  size: number;
  content_type: string;
  metadata: string;
  mtime: number;
}

interface Resolved {
  commitId: string;
  /** Set when the ref named a branch (reads then include its staged changes). */
  branch?: string;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
/** Objects up to this size, put from memory, are stored inline in SQLite instead of in a file. */
const INLINE_LIMIT = 64 * 1024;

/** The embedded {@link DataRepository}. */
export class EmbeddedDataRepository implements DataRepository {
  readonly kind = 'embedded' as const;
  /** {@inheritDoc DataRepository.capabilities} */
  readonly capabilities: DataRepositoryCapabilities = {
    immediateRepositoryDeletion: true,
    removedEntrySize: true,
    immediateBranchProtection: true,
    commitNotifications: true,
    dataHooks: true,
    logPrefixIncludesMerges: true,
  };
  /** `<home>/data`. */
  readonly dataDir: string;
  readonly #db: SqliteDatabase;
  readonly #blobs: BlobStore;
  readonly #trees: TreeStore;
  readonly #graph: CommitGraph;
  readonly #clock: Clock;
  readonly #committer: string;
  readonly #listeners = new Set<(event: CommitEvent) => void>();
  readonly #beforeCommitTransaction: ((branch: BranchAddress) => void) | undefined;
  readonly #hooks: DataHookRunner | undefined;
  readonly #afterCommitTransaction: ((branch: BranchAddress) => void) | undefined;
  /** Tells other processes on this home about head moves, and hears theirs (`onCommit`). */
  readonly #signal: CommitSignal;
  readonly #sql;
  #closed = false;

  constructor(options: EmbeddedDataRepositoryOptions) {
    this.dataDir = join(options.home, 'data');
    this.#db = openSqlite({
      path: join(this.dataDir, 'repository.db'),
      migrations: EMBEDDED_DATA_MIGRATIONS,
    });
    this.#blobs = new BlobStore({ root: join(this.dataDir, 'blobs'), durable: options.durable ?? false });
    this.#trees = new TreeStore(this.#db);
    this.#graph = new CommitGraph(this.#db);
    this.#clock = options.clock ?? systemClock;
    this.#committer = options.committer ?? defaultCommitter();
    this.#beforeCommitTransaction = options.beforeCommitTransaction;
    this.#hooks = options.hookRunner;
    this.#afterCommitTransaction = options.afterCommitTransaction;
    this.#signal = new CommitSignal({
      path: join(this.dataDir, 'commit-signal'),
      db: this.#db,
      onForeignCommit: (event) => {
        this.#notifyListeners(event);
      },
    });
    const db = this.#db;
    this.#sql = {
      repo: db.prepare<[string], { name: string; default_branch: string; created_at: number }>(
        'SELECT name, default_branch, created_at FROM repositories WHERE name = ?',
      ),
      repos: db.prepare<
        [string, string, string, number],
        { name: string; default_branch: string; created_at: number }
      >(
        'SELECT name, default_branch, created_at FROM repositories WHERE name > ? AND name >= ? AND name < ? ORDER BY name LIMIT ?',
      ),
      insertRepo: db.prepare('INSERT INTO repositories (name, default_branch, created_at) VALUES (?, ?, ?)'),
      branch: db.prepare<[string, string], { head: string }>(
        'SELECT head FROM branches WHERE repo = ? AND name = ?',
      ),
      branches: db.prepare<[string, string, string, string, number], RefInfo>(
        'SELECT name, head AS commitId FROM branches WHERE repo = ? AND name > ? AND name >= ? AND name < ? ORDER BY name LIMIT ?',
      ),
      insertBranch: db.prepare('INSERT INTO branches (repo, name, head) VALUES (?, ?, ?)'),
      swapHead: db.prepare('UPDATE branches SET head = ? WHERE repo = ? AND name = ? AND head = ?'),
      deleteBranch: db.prepare('DELETE FROM branches WHERE repo = ? AND name = ?'),
      tag: db.prepare<[string, string], { commit_id: string }>(
        'SELECT commit_id FROM tags WHERE repo = ? AND name = ?',
      ),
      tags: db.prepare<[string, string, string, string, number], RefInfo>(
        'SELECT name, commit_id AS commitId FROM tags WHERE repo = ? AND name > ? AND name >= ? AND name < ? ORDER BY name LIMIT ?',
      ),
      insertTag: db.prepare('INSERT INTO tags (repo, name, commit_id) VALUES (?, ?, ?)'),
      deleteTag: db.prepare('DELETE FROM tags WHERE repo = ? AND name = ?'),
      commitsByPrefix: db.prepare<[string, string, string], { id: string }>(
        'SELECT id FROM commits WHERE repo = ? AND id >= ? AND id < ? LIMIT 2',
      ),
      insertCommit: db.prepare(
        'INSERT OR IGNORE INTO commits (repo, id, tree_id, parents, committer, message, metadata, created_at, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertChange: db.prepare(
        'INSERT OR IGNORE INTO commit_changes (repo, commit_id, path) VALUES (?, ?, ?)',
      ),
      changedUnder: db.prepare<[string, string, string, string], { one: number }>(
        'SELECT 1 AS one FROM commit_changes WHERE repo = ? AND commit_id = ? AND path >= ? AND path < ? LIMIT 1',
      ),
      staged: db.prepare<[string, string], StagingRow>(
        'SELECT seq, path, checksum, size, content_type, metadata, mtime FROM staging WHERE repo = ? AND branch = ? ORDER BY path',
      ),
      stagedOne: db.prepare<[string, string, string], StagingRow>(
        'SELECT seq, path, checksum, size, content_type, metadata, mtime FROM staging WHERE repo = ? AND branch = ? AND path = ?',
      ),
      stagedCount: db.prepare<[string, string, number], { n: number }>(
        'SELECT count(*) AS n FROM staging WHERE repo = ? AND branch = ? AND seq <= ?',
      ),
      stage: db.prepare(
        'INSERT OR REPLACE INTO staging (repo, branch, path, checksum, size, content_type, metadata, mtime) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      unstage: db.prepare('DELETE FROM staging WHERE repo = ? AND branch = ? AND path = ?'),
      clearStaged: db.prepare('DELETE FROM staging WHERE repo = ? AND branch = ? AND seq <= ?'),
      clearAllStaged: db.prepare('DELETE FROM staging WHERE repo = ? AND branch = ?'),
      inlineBlob: db.prepare<[string], { bytes: Buffer }>(
        'SELECT bytes FROM inline_blobs WHERE checksum = ?',
      ),
      insertInline: db.prepare('INSERT OR IGNORE INTO inline_blobs (checksum, bytes) VALUES (?, ?)'),
    };
  }

  // ---------------------------------------------------------------- repositories

  /** {@inheritDoc DataRepository.createRepository} */
  async createRepository(options: CreateRepositoryOptions): Promise<RepositoryInfo> {
    this.#open();
    const name = checkRepositoryName(options.name);
    const defaultBranch = checkBranchName(options.defaultBranch ?? 'main');
    const now = this.#clock.now();
    this.#db
      .transaction(() => {
        if (this.#sql.repo.get(name) !== undefined) {
          throw new LakeloopError(
            'ALREADY_EXISTS',
            `Repository "${name}" already exists; pick another name or delete it first.`,
            { details: { repository: name } },
          );
        }
        this.#sql.insertRepo.run(name, defaultBranch, now);
        const root = this.#writeCommit(name, {
          treeId: EMPTY_TREE_ID,
          parents: [],
          message: 'Repository created',
          metadata: {},
          committer: this.#committer,
          date: now,
          changes: [],
        });
        this.#sql.insertBranch.run(name, defaultBranch, root.id);
      })
      .immediate();
    return this.getRepository(name);
  }

  /** {@inheritDoc DataRepository.listRepositories} */
  async listRepositories(options: PageOptions & { prefix?: string } = {}): Promise<Page<RepositoryInfo>> {
    this.#open();
    const amount = checkAmount(options);
    const prefix = options.prefix ?? '';
    const rows = this.#sql.repos.all(options.after ?? '', prefix, prefixUpperBound(prefix), amount + 1);
    return page(
      rows.map((row) => this.#repositoryInfo(row)),
      amount,
      (repo) => repo.name,
    );
  }

  /** {@inheritDoc DataRepository.getRepository} */
  async getRepository(name: string): Promise<RepositoryInfo> {
    this.#open();
    return this.#repositoryInfo(this.#requireRepo(name));
  }

  /** {@inheritDoc DataRepository.deleteRepository} */
  async deleteRepository(name: string): Promise<void> {
    this.#open();
    this.#db
      .transaction(() => {
        this.#requireRepo(name);
        for (const table of ['branches', 'tags', 'commits', 'commit_changes', 'staging']) {
          this.#db.prepare(`DELETE FROM ${table} WHERE repo = ?`).run(name);
        }
        this.#db.prepare('DELETE FROM branch_protection WHERE repo = ?').run(name);
        this.#db.prepare('DELETE FROM repositories WHERE name = ?').run(name);
      })
      .immediate();
    this.#graph.forget(name);
  }

  // ---------------------------------------------------------------- branches

  /** {@inheritDoc DataRepository.createBranch} */
  async createBranch(options: { repository: string; name: string; source: string }): Promise<RefInfo> {
    this.#open();
    const name = checkBranchName(options.name);
    return this.#db
      .transaction(() => {
        const { commitId } = this.#resolve(options.repository, options.source);
        if (this.#sql.branch.get(options.repository, name) !== undefined) {
          throw new LakeloopError(
            'ALREADY_EXISTS',
            `Branch "${name}" already exists in repository "${options.repository}"; pick another name.`,
            { details: { repository: options.repository, branch: name } },
          );
        }
        this.#sql.insertBranch.run(options.repository, name, commitId);
        return { name, commitId };
      })
      .immediate();
  }

  /** {@inheritDoc DataRepository.listBranches} */
  async listBranches(options: PageOptions & { repository: string; prefix?: string }): Promise<Page<RefInfo>> {
    return this.#listRefs(this.#sql.branches, options);
  }

  /** One page of branches or tags (the statement selects `name` and `commitId`), ordered by name. */
  #listRefs(
    statement: Database.Statement<[string, string, string, string, number], RefInfo>,
    options: PageOptions & { repository: string; prefix?: string },
  ): Page<RefInfo> {
    this.#open();
    this.#requireRepo(options.repository);
    const amount = checkAmount(options);
    const prefix = options.prefix ?? '';
    const rows = statement.all(
      options.repository,
      options.after ?? '',
      prefix,
      prefixUpperBound(prefix),
      amount + 1,
    );
    return page(rows, amount, (ref) => ref.name);
  }

  /** {@inheritDoc DataRepository.getBranch} */
  async getBranch(options: BranchAddress): Promise<RefInfo> {
    this.#open();
    return { name: options.branch, commitId: this.#requireBranch(options.repository, options.branch) };
  }

  /** {@inheritDoc DataRepository.deleteBranch} */
  async deleteBranch(options: BranchAddress): Promise<void> {
    this.#open();
    this.#db
      .transaction(() => {
        const repo = this.#requireRepo(options.repository);
        this.#requireBranch(options.repository, options.branch);
        if (repo.default_branch === options.branch) {
          throw new LakeloopError(
            'PRECONDITION_FAILED',
            `Branch "${options.branch}" is the default branch of "${options.repository}" and cannot be deleted.`,
            { details: { ...options } },
          );
        }
        this.#sql.deleteBranch.run(options.repository, options.branch);
        this.#sql.clearAllStaged.run(options.repository, options.branch);
      })
      .immediate();
  }

  /** {@inheritDoc DataRepository.resetBranch} */
  async resetBranch(options: BranchAddress & { ref?: string }): Promise<RefInfo> {
    this.#open();
    const { ref, moved } = this.#db
      .transaction(() => {
        const head = this.#requireBranch(options.repository, options.branch);
        this.#refuseIfProtected(options.repository, options.branch, 'staging_write');
        const target =
          options.ref === undefined ? head : this.#resolve(options.repository, options.ref).commitId;
        this.#sql.clearAllStaged.run(options.repository, options.branch);
        if (target !== head) this.#sql.swapHead.run(target, options.repository, options.branch, head);
        return { ref: { name: options.branch, commitId: target }, moved: target !== head };
      })
      .immediate();
    if (moved) {
      this.#afterCommitTransaction?.(options);
      this.#signal.notify({ repository: options.repository, branch: options.branch, commitId: ref.commitId });
    }
    return ref;
  }

  // ---------------------------------------------------------------- commits

  /** {@inheritDoc DataRepository.commit} */
  async commit(options: CommitOptions): Promise<Commit> {
    this.#open();
    const { repository, branch } = options;
    if (typeof options.message !== 'string') {
      throw new LakeloopError('INVALID_ARGUMENT', 'A commit needs a message (-m "...").');
    }
    const metadata = checkMetadata(options.metadata);
    // 1. A consistent read of the head and the staged changes.
    const snapshot = this.#db
      .transaction(() => {
        const head = this.#requireBranch(repository, branch);
        this.#refuseIfProtected(repository, branch, 'commit');
        if (options.expectedHead !== undefined && options.expectedHead !== head) {
          throw headMoved(repository, branch, options.expectedHead, head);
        }
        const staged = this.#sql.staged.all(repository, branch);
        const parent = this.#graph.get(repository, head);
        const tree = this.#trees.get(parent.tree_id);
        const changes = new Map<string, TreeChange>();
        for (const row of staged) {
          const old = this.#trees.lookup(tree, row.path);
          const next = entryOfRow(row);
          if (next === undefined ? old !== undefined : !sameEntry(old, next)) {
            changes.set(row.path, next ?? null);
          }
        }
        return { head, parent, tree, staged, changes };
      })
      .deferred();
    if (snapshot.changes.size === 0 && options.allowEmpty !== true) {
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        `Nothing to commit on branch "${branch}" of "${repository}": put or delete objects first, or allow an empty commit (--allow-empty).`,
        { details: { repository, branch } },
      );
    }
    const maxSeq = snapshot.staged.reduce((max, row) => Math.max(max, row.seq), 0);
    const build = (): CommitRow =>
      this.#writeCommit(repository, {
        treeId: this.#trees.apply(snapshot.tree, snapshot.changes).id,
        parents: [snapshot.head],
        message: options.message,
        metadata,
        committer: options.committer ?? this.#committer,
        date: options.date?.getTime() ?? this.#clock.now(),
        changes: [...snapshot.changes.keys()],
      });
    const checked = await this.#runHooks('pre-commit', { repository, branch }, snapshot.head, build);
    this.#beforeCommitTransaction?.({ repository, branch });
    // 2. One write transaction: check the head did not move, write tree + commit, move the head.
    const commit = this.#db
      .transaction(() => {
        const current = this.#requireBranch(repository, branch);
        if (current !== snapshot.head) throw headMoved(repository, branch, snapshot.head, current);
        this.#refuseIfProtected(repository, branch, 'commit');
        if ((this.#sql.stagedCount.get(repository, branch, maxSeq)?.n ?? 0) !== snapshot.staged.length) {
          throw new LakeloopError(
            'CONFLICT',
            `The staged changes of branch "${branch}" changed while committing (a concurrent reset or commit); check them and commit again.`,
            { details: { repository, branch } },
          );
        }
        const row = checked ?? build();
        this.#sql.swapHead.run(row.id, repository, branch, snapshot.head);
        this.#sql.clearStaged.run(repository, branch, maxSeq);
        return row;
      })
      .immediate();
    this.#emit({ repository, branch, commitId: commit.id, kind: 'commit' });
    return toCommit(commit, this.#graph);
  }

  /** {@inheritDoc DataRepository.getCommit} */
  async getCommit(options: { repository: string; ref: string }): Promise<Commit> {
    this.#open();
    const { commitId } = this.#resolve(options.repository, options.ref);
    return toCommit(this.#graph.get(options.repository, commitId), this.#graph);
  }

  /** {@inheritDoc DataRepository.log} */
  async log(options: LogOptions): Promise<Page<Commit>> {
    this.#open();
    const amount = checkAmount(options);
    const prefix = checkPrefix(options.prefix);
    const { commitId } = this.#resolve(options.repository, options.ref);
    const results: CommitRow[] = [];
    let skipping = options.after !== undefined && options.after !== '';
    const walk =
      options.firstParent === true
        ? this.#graph.walkFirstParents(options.repository, commitId)
        : this.#graph.walk(options.repository, commitId);
    for (const row of walk) {
      if (skipping) {
        if (row.id === options.after) skipping = false;
        continue;
      }
      if (
        prefix !== '' &&
        this.#sql.changedUnder.get(options.repository, row.id, prefix, prefixUpperBound(prefix)) === undefined
      ) {
        continue;
      }
      results.push(row);
      if (results.length > amount) break;
    }
    return page(
      results.map((row) => toCommit(row, this.#graph)),
      amount,
      (commit) => commit.id,
    );
  }

  // ---------------------------------------------------------------- diff and merge

  /** {@inheritDoc DataRepository.diff} */
  async diff(options: DiffOptions): Promise<Page<DiffEntry>> {
    this.#open();
    const amount = checkAmount(options);
    const prefix = checkPrefix(options.prefix);
    const left = this.#treeOf(options.repository, options.left);
    const right = this.#treeOf(options.repository, options.right);
    const entries = this.#diffTrees(left, right, prefix).filter(
      (entry) => entry.path > (options.after ?? ''),
    );
    return page(entries.slice(0, amount + 1), amount, (entry) => entry.path);
  }

  /** {@inheritDoc DataRepository.diffUncommitted} */
  async diffUncommitted(
    options: BranchAddress & PageOptions & { prefix?: string },
  ): Promise<Page<DiffEntry>> {
    this.#open();
    const amount = checkAmount(options);
    const prefix = checkPrefix(options.prefix);
    const head = this.#requireBranch(options.repository, options.branch);
    const tree = this.#trees.get(this.#graph.get(options.repository, head).tree_id);
    const results: DiffEntry[] = [];
    for (const row of this.#sql.staged.all(options.repository, options.branch)) {
      if (!row.path.startsWith(prefix) || row.path <= (options.after ?? '')) continue;
      const entry = diffEntryOf(row.path, this.#trees.lookup(tree, row.path), entryOfRow(row));
      if (entry !== undefined) results.push(entry);
      if (results.length > amount) break;
    }
    return page(results, amount, (entry) => entry.path);
  }

  /** {@inheritDoc DataRepository.merge} */
  async merge(options: MergeOptions): Promise<MergeResult> {
    this.#open();
    const { repository, destination } = options;
    const plan = this.#db
      .transaction(() => {
        const destHead = this.#requireBranch(repository, destination);
        if (this.#hasEffectiveChanges(repository, destination, destHead)) {
          throw uncommittedChangesBeforeMerge(repository, destination);
        }
        const source = this.#resolve(repository, options.source).commitId;
        if (this.#graph.isAncestor(repository, source, destHead)) {
          return { kind: 'none' as const, destHead, source };
        }
        const baseId = this.#graph.mergeBase(repository, source, destHead);
        const treeOf = (id: string): TreeInfo => this.#trees.get(this.#graph.get(repository, id).tree_id);
        const baseTree = baseId === undefined ? this.#trees.get(EMPTY_TREE_ID) : treeOf(baseId);
        const sourceTree = treeOf(source);
        const destTree = treeOf(destHead);
        const sourceChanges = this.#changesBetween(baseTree, sourceTree);
        // Like lakeFS: a source with no changes since the merge base has nothing to merge.
        if (sourceChanges.size === 0) return { kind: 'none' as const, destHead, source };
        const destChanges = this.#changesBetween(baseTree, destTree);
        const conflicts: string[] = [];
        const changes = new Map<string, TreeChange>();
        for (const [path, change] of sourceChanges) {
          if (destChanges.has(path)) {
            const destChange = destChanges.get(path) ?? null;
            if (sameEntry(change ?? undefined, destChange ?? undefined)) continue;
            if (options.strategy === 'dest-wins') continue;
            if (options.strategy === undefined) {
              conflicts.push(path);
              continue;
            }
          }
          changes.set(path, change);
        }
        if (conflicts.length > 0) {
          throw new LakeloopError(
            'CONFLICT',
            `Merging "${options.source}" into "${destination}" conflicts on ${conflicts.length} path(s): ${conflicts.slice(0, 10).join(', ')}${conflicts.length > 10 ? ', …' : ''}. Retry with strategy dest-wins or source-wins, or resolve on a branch.`,
            { details: { repository, source: options.source, destination, paths: conflicts } },
          );
        }
        return { kind: 'merge' as const, destHead, source, destTree, changes };
      })
      .deferred();
    if (plan.kind === 'none') return { reference: plan.destHead, kind: 'none' };
    const build = (): CommitRow => {
      const tree = this.#trees.apply(plan.destTree, plan.changes);
      return this.#writeCommit(repository, {
        treeId: tree.id,
        parents: [plan.destHead, plan.source],
        message: options.message ?? `Merge '${options.source}' into '${destination}'`,
        metadata: checkMetadata(options.metadata),
        committer: this.#committer,
        date: this.#clock.now(),
        changes: [...plan.changes.keys()],
      });
    };
    const destinationBranch = { repository, branch: destination };
    const checked = await this.#runHooks(
      'pre-merge',
      destinationBranch,
      plan.destHead,
      build,
      options.source,
    );
    this.#beforeCommitTransaction?.({ repository, branch: destination });
    const reference = this.#db
      .transaction(() => {
        const current = this.#requireBranch(repository, destination);
        if (current !== plan.destHead) throw headMoved(repository, destination, plan.destHead, current);
        const row = checked ?? build();
        this.#sql.swapHead.run(row.id, repository, destination, plan.destHead);
        return row.id;
      })
      .immediate();
    this.#emit({ repository, branch: destination, commitId: reference, kind: 'merge' });
    return { reference, kind: plan.kind };
  }

  /** {@inheritDoc DataRepository.revert} */
  async revert(options: RevertOptions): Promise<Commit> {
    this.#open();
    const { repository, branch, ref } = options;
    const parentNumber = checkParentNumber(options.parentNumber);
    const metadata = checkMetadata(options.metadata);
    // Like lakeFS: a three-way merge of the parent's tree into the branch head with `ref` as the base.
    const plan = this.#db
      .transaction(() => {
        const head = this.#requireBranch(repository, branch);
        const target = this.#graph.get(repository, this.#resolve(repository, ref).commitId);
        const parents = this.#graph.parentsOf(target);
        if (parents.length > 1 && parentNumber === undefined) {
          throw revertParentNumberInvalid({ repository, ref, parents: parents.length });
        }
        const parent = parents[(parentNumber ?? 1) - 1];
        if (parentNumber !== undefined && parent === undefined) {
          throw revertParentNumberInvalid({ repository, ref, parents: parents.length, parentNumber });
        }
        if (this.#hasEffectiveChanges(repository, branch, head)) {
          throw uncommittedChangesBeforeRevert(repository, branch);
        }
        const treeOf = (id: string): TreeInfo => this.#trees.get(this.#graph.get(repository, id).tree_id);
        const baseTree = treeOf(target.id);
        const parentTree = parent === undefined ? this.#trees.get(EMPTY_TREE_ID) : treeOf(parent);
        const headTree = treeOf(head);
        const undo = this.#changesBetween(baseTree, parentTree);
        const since = this.#changesBetween(baseTree, headTree);
        const conflicts: string[] = [];
        const changes = new Map<string, TreeChange>();
        for (const [path, change] of undo) {
          if (since.has(path)) {
            // Changed on the branch since `ref`: fine only if the branch already has the undone value.
            if (!sameEntry(change ?? undefined, since.get(path) ?? undefined)) conflicts.push(path);
            continue;
          }
          changes.set(path, change);
        }
        if (conflicts.length > 0) {
          throw new LakeloopError(
            'CONFLICT',
            `Reverting "${ref}" on "${branch}" conflicts on ${conflicts.length} path(s) the branch changed since: ${conflicts.slice(0, 10).join(', ')}${conflicts.length > 10 ? ', …' : ''}. Revert on a branch made from "${ref}", or undo those paths by hand.`,
            { details: { repository, branch, ref, paths: conflicts } },
          );
        }
        if (changes.size === 0) throw nothingToRevert({ repository, branch, ref });
        return { head, headTree, changes };
      })
      .deferred();
    this.#beforeCommitTransaction?.({ repository, branch });
    const commit = this.#db
      .transaction(() => {
        const current = this.#requireBranch(repository, branch);
        if (current !== plan.head) throw headMoved(repository, branch, plan.head, current);
        if (this.#hasEffectiveChanges(repository, branch, current)) {
          throw uncommittedChangesBeforeRevert(repository, branch);
        }
        const tree = this.#trees.apply(plan.headTree, plan.changes);
        const row = this.#writeCommit(repository, {
          treeId: tree.id,
          parents: [plan.head],
          message: options.message ?? `Revert ${ref}`,
          metadata,
          committer: options.committer ?? this.#committer,
          date: this.#clock.now(),
          changes: [...plan.changes.keys()],
        });
        this.#sql.swapHead.run(row.id, repository, branch, plan.head);
        // Staged no-op rows (equal to the old head) on reverted paths would turn into changes now.
        for (const path of plan.changes.keys()) this.#sql.unstage.run(repository, branch, path);
        return row;
      })
      .immediate();
    this.#emit({ repository, branch, commitId: commit.id, kind: 'commit' });
    return toCommit(commit, this.#graph);
  }

  // ---------------------------------------------------------------- tags

  /** {@inheritDoc DataRepository.createTag} */
  async createTag(options: { repository: string; name: string; ref: string }): Promise<RefInfo> {
    this.#open();
    const name = checkTagName(options.name);
    return this.#db
      .transaction(() => {
        const { commitId } = this.#resolve(options.repository, options.ref);
        if (this.#sql.tag.get(options.repository, name) !== undefined) {
          throw new LakeloopError(
            'ALREADY_EXISTS',
            `Tag "${name}" already exists in repository "${options.repository}"; tags are immutable, delete it first.`,
            { details: { repository: options.repository, tag: name } },
          );
        }
        this.#sql.insertTag.run(options.repository, name, commitId);
        return { name, commitId };
      })
      .immediate();
  }

  /** {@inheritDoc DataRepository.listTags} */
  async listTags(options: PageOptions & { repository: string; prefix?: string }): Promise<Page<RefInfo>> {
    return this.#listRefs(this.#sql.tags, options);
  }

  /** {@inheritDoc DataRepository.deleteTag} */
  async deleteTag(options: { repository: string; tag: string }): Promise<void> {
    this.#open();
    this.#requireRepo(options.repository);
    if (this.#sql.deleteTag.run(options.repository, options.tag).changes === 0) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown tag "${options.tag}" in repository "${options.repository}"; list tags with \`lakeloop data tag list ${options.repository}\`.`,
        {
          details: { ...options },
        },
      );
    }
  }

  // ---------------------------------------------------------------- objects

  /** {@inheritDoc DataRepository.putObject} */
  async putObject(options: PutObjectOptions): Promise<ObjectStat> {
    this.#open();
    const path = checkObjectPath(options.path);
    const metadata = JSON.stringify(sortedMetadata(checkObjectMetadata(options.metadata)));
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    const { content } = options;
    const bytes =
      typeof content === 'string'
        ? Buffer.from(content, 'utf8')
        : content instanceof Uint8Array
          ? content
          : undefined;
    let blob: { checksum: string; sizeBytes: number };
    const mtime = this.#clock.now();
    if (bytes !== undefined && bytes.byteLength <= INLINE_LIMIT) {
      // Small object from memory: blob and staging row in one transaction.
      const checksum = createHash('sha256').update(bytes).digest('hex');
      blob = { checksum, sizeBytes: bytes.byteLength };
      this.#db
        .transaction(() => {
          this.#requireBranch(options.repository, options.branch);
          this.#refuseIfProtected(options.repository, options.branch, 'staging_write');
          this.#sql.insertInline.run(checksum, bytes);
          this.#sql.stage.run(
            options.repository,
            options.branch,
            path,
            checksum,
            bytes.byteLength,
            contentType,
            metadata,
            mtime,
          );
        })
        .immediate();
    } else {
      this.#requireBranch(options.repository, options.branch);
      this.#refuseIfProtected(options.repository, options.branch, 'staging_write');
      blob = await this.#blobs.write(bytes ?? content);
      // The blob is complete under its final name before the staging row points at it.
      this.#requireBranch(options.repository, options.branch);
      this.#refuseIfProtected(options.repository, options.branch, 'staging_write');
      this.#sql.stage.run(
        options.repository,
        options.branch,
        path,
        blob.checksum,
        blob.sizeBytes,
        contentType,
        metadata,
        mtime,
      );
    }
    return {
      path,
      checksum: blob.checksum,
      sizeBytes: blob.sizeBytes,
      contentType,
      metadata: JSON.parse(metadata) as Record<string, string>,
      mtime: new Date(mtime),
    };
  }

  /** {@inheritDoc DataRepository.getObject} */
  async getObject(options: ObjectAddress): Promise<Readable> {
    this.#open();
    const entry = this.#lookupObject(options);
    const inline = this.#sql.inlineBlob.get(entry.checksum);
    return inline === undefined ? this.#blobs.open(entry.checksum) : Readable.from([inline.bytes]);
  }

  /** {@inheritDoc DataRepository.statObject} */
  async statObject(options: ObjectAddress): Promise<ObjectStat> {
    this.#open();
    return toStat(this.#lookupObject(options));
  }

  /** {@inheritDoc DataRepository.listObjects} */
  async listObjects(options: ListObjectsOptions): Promise<Page<ObjectListEntry>> {
    this.#open();
    const amount = checkAmount(options);
    const prefix = checkPrefix(options.prefix);
    const delimiter = options.delimiter ?? '';
    const resolved = this.#resolve(options.repository, options.ref);
    const tree = this.#trees.get(this.#graph.get(options.repository, resolved.commitId).tree_id);
    const after = options.after ?? '';
    const results: ObjectListEntry[] = [];
    let skipUnder = delimiter !== '' && after.endsWith(delimiter) ? after : undefined;
    const layers =
      resolved.branch === undefined
        ? { tree }
        : { tree, staging: { repo: options.repository, branch: resolved.branch } };
    for (const entry of this.#trees.iterate(layers, { after, prefix })) {
      if (skipUnder !== undefined && entry.path.startsWith(skipUnder)) continue;
      const cut = delimiter === '' ? -1 : entry.path.indexOf(delimiter, prefix.length);
      if (cut >= 0) {
        const common = entry.path.slice(0, cut + delimiter.length);
        results.push({ pathType: 'common_prefix', path: common });
        skipUnder = common;
      } else {
        results.push({ pathType: 'object', ...toStat(entry) });
      }
      if (results.length > amount) break;
    }
    return page(results, amount, (entry) => entry.path);
  }

  /** {@inheritDoc DataRepository.deleteObject} */
  async deleteObject(options: BranchAddress & { path: string }): Promise<void> {
    this.#open();
    const path = checkObjectPath(options.path);
    this.#db
      .transaction(() => {
        const head = this.#requireBranch(options.repository, options.branch);
        this.#refuseIfProtected(options.repository, options.branch, 'staging_write');
        const tree = this.#trees.get(this.#graph.get(options.repository, head).tree_id);
        if (this.#trees.lookup(tree, path) === undefined) {
          this.#sql.unstage.run(options.repository, options.branch, path);
        } else {
          this.#sql.stage.run(options.repository, options.branch, path, null, 0, '', '{}', this.#clock.now());
        }
      })
      .immediate();
  }

  // ---------------------------------------------------------------- embedded extras

  /** {@inheritDoc DataRepository.getBranchProtection} */
  async getBranchProtection(options: { repository: string }): Promise<BranchProtection> {
    this.#open();
    this.#requireRepo(options.repository);
    const patterns = this.#protectionPatterns(options.repository);
    return { patterns, etag: branchProtectionEtag(patterns) };
  }

  /** {@inheritDoc DataRepository.setBranchProtection} */
  async setBranchProtection(options: SetBranchProtectionOptions): Promise<void> {
    this.#open();
    const patterns = checkBranchPatterns(options.patterns);
    this.#db
      .transaction(() => {
        this.#requireRepo(options.repository);
        const current = branchProtectionEtag(this.#protectionPatterns(options.repository));
        if (options.ifMatch !== undefined && options.ifMatch !== current) {
          throw branchProtectionChanged(options.repository);
        }
        this.#db.prepare('DELETE FROM branch_protection WHERE repo = ?').run(options.repository);
        const insert = this.#db.prepare('INSERT INTO branch_protection (repo, pattern) VALUES (?, ?)');
        for (const pattern of patterns) insert.run(options.repository, pattern);
      })
      .immediate();
  }

  #protectionPatterns(repository: string): string[] {
    return this.#db
      .prepare<[string], { pattern: string }>(
        'SELECT pattern FROM branch_protection WHERE repo = ? ORDER BY pattern',
      )
      .all(repository)
      .map((row) => row.pattern);
  }

  /** PRECONDITION_FAILED when a protection rule of the repository matches the branch. */
  #refuseIfProtected(repository: string, branch: string, action: ProtectedAction): void {
    const pattern = protectingPattern(this.#protectionPatterns(repository), branch);
    if (pattern !== undefined) throw protectedBranchError({ repository, branch, action, pattern });
  }

  /**
   * With hooks watching the event on the branch: writes the would-be commit (`build`, unreachable
   * until a head moves to it), runs the checks against it, and returns it for the caller's write
   * transaction to land; discards it when a check refuses. Undefined when no hook watches. A crash
   * during the checks, or a write transaction that then loses the head race, leaves the candidate
   * behind: unreachable, so no branch, log or listing shows it.
   */
  async #runHooks(
    event: DataHookEvent,
    target: BranchAddress,
    head: string,
    build: () => CommitRow,
    source?: string,
  ): Promise<CommitRow | undefined> {
    if (this.#hooks?.watches(event, target.repository, target.branch) !== true) return undefined;
    const candidate = this.#db.transaction(build).immediate();
    try {
      await this.#hooks.run({
        event,
        ...target,
        headCommitId: head,
        commitId: candidate.id,
        ...(source === undefined ? {} : { source }),
        data: this,
      });
    } catch (error) {
      this.#discardCandidate(target.repository, candidate.id);
      throw error;
    }
    return candidate;
  }

  /** Deletes a would-be commit nothing references (no branch, tag or child: never a reachable one). */
  #discardCandidate(repository: string, id: string): void {
    this.#db
      .transaction(() => {
        const referenced = this.#db
          .prepare<[string, string, string, string, string, string], { one: number }>(
            `SELECT 1 AS one FROM branches WHERE repo = ? AND head = ?
             UNION ALL SELECT 1 FROM tags WHERE repo = ? AND commit_id = ?
             UNION ALL SELECT 1 FROM commits WHERE repo = ? AND instr(parents, ?) > 0 LIMIT 1`,
          )
          .get(repository, id, repository, id, repository, `"${id}"`);
        if (referenced !== undefined) return;
        this.#db.prepare('DELETE FROM commits WHERE repo = ? AND id = ?').run(repository, id);
        this.#db.prepare('DELETE FROM commit_changes WHERE repo = ? AND commit_id = ?').run(repository, id);
      })
      .immediate();
    this.#graph.forget(repository);
  }

  /** {@inheritDoc DataRepository.onCommit} */
  onCommit(listener: (event: CommitEvent) => void): () => void {
    this.#listeners.add(listener);
    const stopWatching = this.#signal.watch(); // commits of other processes on this home
    return () => {
      this.#listeners.delete(listener);
      stopWatching();
    };
  }

  /**
   * The local file holding an object's bytes (read-only; never modify it), or undefined for a small
   * object stored inline in the database.
   */
  async blobPathOf(options: ObjectAddress): Promise<{ path: string | undefined; stat: ObjectStat }> {
    this.#open();
    const entry = this.#lookupObject(options);
    const inline = this.#sql.inlineBlob.get(entry.checksum) !== undefined;
    return { path: inline ? undefined : this.#blobs.pathOf(entry.checksum), stat: toStat(entry) };
  }

  /**
   * Removes blobs that no commit (of any repository) and no staged change references, trees that no
   * commit references, and leftovers of interrupted writes.
   */
  async gc(options: GcOptions = {}): Promise<GcResult> {
    this.#open();
    const grace = options.gracePeriodMs ?? 60_000;
    const cutoff = this.#clock.now() - grace;
    const { referenced, removedTrees, removedInline, keptInline } = this.#db
      .transaction(() => {
        const removed = this.#db
          .prepare(
            `WITH RECURSIVE live(seq) AS (
               SELECT t.seq FROM trees t WHERE t.id = ? OR t.id IN (SELECT tree_id FROM commits)
               UNION SELECT t.parent_seq FROM trees t JOIN live ON t.seq = live.seq WHERE t.parent_seq IS NOT NULL
             )
             DELETE FROM trees WHERE seq NOT IN (SELECT seq FROM live)`,
          )
          .run(EMPTY_TREE_ID).changes;
        this.#db.prepare('DELETE FROM tree_entries WHERE tree_seq NOT IN (SELECT seq FROM trees)').run();
        this.#trees.clearCache();
        // Blobs referenced by full trees (rows), delta trees (their JSON changes) and staged changes.
        this.#db.exec(`
          DROP TABLE IF EXISTS temp.referenced_blobs;
          CREATE TEMP TABLE referenced_blobs (checksum TEXT PRIMARY KEY) WITHOUT ROWID;
          INSERT OR IGNORE INTO referenced_blobs SELECT checksum FROM tree_entries WHERE checksum IS NOT NULL;
          INSERT OR IGNORE INTO referenced_blobs
            SELECT json_extract(change.value, '$[1]') FROM trees, json_each(trees.delta) AS change
            WHERE trees.delta IS NOT NULL AND json_extract(change.value, '$[1]') IS NOT NULL;
          INSERT OR IGNORE INTO referenced_blobs SELECT checksum FROM staging WHERE checksum IS NOT NULL;
        `);
        const rows = this.#db
          .prepare<[], { checksum: string }>('SELECT checksum FROM referenced_blobs')
          .all();
        const removedInline = this.#db
          .prepare('DELETE FROM inline_blobs WHERE checksum NOT IN (SELECT checksum FROM referenced_blobs)')
          .run().changes;
        const keptInline =
          this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM inline_blobs').get()?.n ?? 0;
        return {
          referenced: new Set(rows.map((row) => row.checksum)),
          removedTrees: removed,
          removedInline,
          keptInline,
        };
      })
      .immediate();
    let removedBlobs = removedInline;
    let removedBytes = 0;
    let keptBlobs = keptInline;
    for (const checksum of [...this.#blobs.list()]) {
      if (referenced.has(checksum)) {
        keptBlobs++;
        continue;
      }
      const path = this.#blobs.pathOf(checksum);
      if (statSync(path).mtimeMs > cutoff) {
        keptBlobs++;
        continue;
      }
      removedBytes += this.#blobs.remove(checksum);
      removedBlobs++;
    }
    const removedTempFiles = this.#blobs.clearTempOlderThan(cutoff);
    return { removedBlobs, removedBytes, removedTrees, removedTempFiles, keptBlobs };
  }

  /** Closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#signal.close();
    this.#db.close();
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- internals

  #open(): void {
    if (this.#closed) {
      throw new LakeloopError('PRECONDITION_FAILED', 'The data repository is closed; open it again.');
    }
  }

  /** After a commit, merge or revert transaction committed: tells other processes, then this instance's listeners. */
  #emit(event: CommitEvent): void {
    this.#afterCommitTransaction?.(event);
    this.#signal.notify(event);
    this.#notifyListeners(event);
  }

  #notifyListeners(event: CommitEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not fail the commit that already happened.
      }
    }
  }

  #requireRepo(name: string): { name: string; default_branch: string; created_at: number } {
    const row = this.#sql.repo.get(name);
    if (row === undefined) {
      checkRepositoryName(name);
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown repository "${name}"; create it with \`lakeloop data repo create ${name}\`.`,
        { details: { repository: name } },
      );
    }
    return row;
  }

  #requireBranch(repository: string, branch: string): string {
    const row = this.#sql.branch.get(repository, branch);
    if (row !== undefined) return row.head;
    this.#requireRepo(repository);
    checkBranchName(branch);
    throw new LakeloopError(
      'NOT_FOUND',
      `Unknown branch "${branch}" in repository "${repository}"; list branches with \`lakeloop data branch list ${repository}\` or create it with \`lakeloop data branch create\`.`,
      { details: { repository, branch } },
    );
  }

  /** Resolves a ref: branch, tag, full commit id or unique id prefix (>= 6 chars), with `~N`/`^` suffixes. */
  #resolve(repository: string, ref: string): Resolved {
    checkRef(ref);
    const match = /^(.*?)((?:[~^]\d*)*)$/.exec(ref);
    const name = match?.[1] ?? ref;
    const suffix = match?.[2] ?? '';
    let resolved: Resolved | undefined;
    const branch = this.#sql.branch.get(repository, name);
    if (branch !== undefined) resolved = { commitId: branch.head, branch: name };
    const tag = resolved === undefined ? this.#sql.tag.get(repository, name) : undefined;
    if (tag !== undefined) resolved = { commitId: tag.commit_id };
    if (resolved === undefined && /^[0-9a-f]{6,64}$/.test(name)) {
      const ids = this.#sql.commitsByPrefix.all(repository, name, prefixUpperBound(name));
      if (ids.length === 1 && ids[0] !== undefined) resolved = { commitId: ids[0].id };
    }
    if (resolved === undefined) {
      this.#requireRepo(repository);
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown ref "${ref}" in repository "${repository}": no branch, tag or commit has that name; see \`lakeloop data branch list ${repository}\` and \`lakeloop data log ${repository} main\`.`,
        { details: { repository, ref } },
      );
    }
    if (suffix === '') return resolved;
    let commitId = resolved.commitId;
    for (const step of suffix.match(/[~^]\d*/g) ?? []) {
      const count = step.length > 1 ? Number(step.slice(1)) : 1;
      for (let i = 0; i < count; i++) {
        const parent = this.#graph.parentsOf(this.#graph.get(repository, commitId))[0];
        if (parent === undefined) {
          throw new LakeloopError(
            'NOT_FOUND',
            `Ref "${ref}" goes past the first commit of "${repository}".`,
            {
              details: { repository, ref },
            },
          );
        }
        commitId = parent;
      }
    }
    return { commitId };
  }

  /** True when a staged row of the branch differs from its head (no-op puts do not count). */
  #hasEffectiveChanges(repository: string, branch: string, head: string): boolean {
    const tree = this.#trees.get(this.#graph.get(repository, head).tree_id);
    return this.#sql.staged
      .all(repository, branch)
      .some(
        (row) => diffEntryOf(row.path, this.#trees.lookup(tree, row.path), entryOfRow(row)) !== undefined,
      );
  }

  #treeOf(repository: string, ref: string): TreeInfo {
    const { commitId } = this.#resolve(repository, ref);
    return this.#trees.get(this.#graph.get(repository, commitId).tree_id);
  }

  #lookupObject(options: ObjectAddress): TreeEntry {
    const path = checkObjectPath(options.path);
    const resolved = this.#resolve(options.repository, options.ref);
    let entry: TreeEntry | undefined;
    let staged = false;
    if (resolved.branch !== undefined) {
      const row = this.#sql.stagedOne.get(options.repository, resolved.branch, path);
      if (row !== undefined) {
        staged = true;
        entry = entryOfRow(row);
      }
    }
    if (!staged) {
      const tree = this.#trees.get(this.#graph.get(options.repository, resolved.commitId).tree_id);
      entry = this.#trees.lookup(tree, path);
    }
    if (entry === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `No object "${path}" at ref "${options.ref}" of repository "${options.repository}"; list objects with \`lakeloop data ls lakefs://${options.repository}/${options.ref}/\`.`,
        { details: { ...options } },
      );
    }
    return entry;
  }

  /** Path -> change that turns tree `from` into tree `to`. */
  #changesBetween(from: TreeInfo, to: TreeInfo): Map<string, TreeChange> {
    const changes = new Map<string, TreeChange>();
    for (const entry of this.#diffTrees(from, to, '')) {
      changes.set(entry.path, entry.type === 'removed' ? null : (this.#trees.lookup(to, entry.path) ?? null));
    }
    return changes;
  }

  #diffTrees(left: TreeInfo, right: TreeInfo, prefix: string): DiffEntry[] {
    if (left.id === right.id) return [];
    const results: DiffEntry[] = [];
    const candidates = this.#trees.candidatePaths(left, right);
    if (candidates !== undefined) {
      for (const path of [...candidates].sort()) {
        if (!path.startsWith(prefix)) continue;
        const entry = diffEntryOf(path, this.#trees.lookup(left, path), this.#trees.lookup(right, path));
        if (entry !== undefined) results.push(entry);
      }
      return results;
    }
    const a = this.#trees.materialize(left, prefix);
    const b = this.#trees.materialize(right, prefix);
    const paths = new Set([...a.keys(), ...b.keys()]);
    for (const path of [...paths].sort()) {
      const entry = diffEntryOf(path, a.get(path), b.get(path));
      if (entry !== undefined) results.push(entry);
    }
    return results;
  }

  #writeCommit(
    repository: string,
    commit: {
      treeId: string;
      parents: string[];
      message: string;
      metadata: Record<string, string>;
      committer: string;
      date: number;
      changes: string[];
    },
  ): CommitRow {
    const metadata = JSON.stringify(sortedMetadata(commit.metadata));
    const id = createHash('sha256')
      .update(
        JSON.stringify({
          tree: commit.treeId,
          parents: commit.parents,
          message: commit.message,
          metadata,
          committer: commit.committer,
          date: commit.date,
        }),
      )
      .digest('hex');
    const generation =
      1 +
      commit.parents.reduce(
        (max, parent) => Math.max(max, this.#graph.get(repository, parent).generation),
        0,
      );
    const row: CommitRow = {
      id,
      tree_id: commit.treeId,
      parents: JSON.stringify(commit.parents),
      committer: commit.committer,
      message: commit.message,
      metadata,
      created_at: commit.date,
      generation,
    };
    this.#sql.insertCommit.run(
      repository,
      id,
      row.tree_id,
      row.parents,
      row.committer,
      row.message,
      row.metadata,
      row.created_at,
      row.generation,
    );
    for (const path of commit.changes) this.#sql.insertChange.run(repository, id, path);
    return row;
  }

  #repositoryInfo(row: { name: string; default_branch: string; created_at: number }): RepositoryInfo {
    return {
      name: row.name,
      defaultBranch: row.default_branch,
      creationDate: new Date(row.created_at),
      storageNamespace: `local://${this.#blobs.root}`,
    };
  }
}

function defaultCommitter(): string {
  try {
    return process.env.USER ?? userInfo().username;
  } catch {
    return 'lakeloop';
  }
}

function headMoved(repository: string, branch: string, expected: string, actual: string): LakeloopError {
  return new LakeloopError(
    'CONFLICT',
    `Branch "${branch}" of "${repository}" moved from ${expected.slice(0, 12)} to ${actual.slice(0, 12)} while committing; nothing was written. Re-read the branch and commit again.`,
    { details: { repository, branch, expected, actual } },
  );
}

function diffEntryOf(
  path: string,
  left: TreeEntry | undefined,
  right: TreeEntry | undefined,
): DiffEntry | undefined {
  if (left === undefined && right === undefined) return undefined;
  if (left === undefined) return { type: 'added', path, pathType: 'object', sizeBytes: right?.size ?? 0 };
  if (right === undefined) return { type: 'removed', path, pathType: 'object', sizeBytes: left.size };
  if (sameEntry(left, right)) return undefined;
  return { type: 'changed', path, pathType: 'object', sizeBytes: right.size };
}

function toStat(entry: TreeEntry): ObjectStat {
  return {
    path: entry.path,
    checksum: entry.checksum,
    sizeBytes: entry.size,
    contentType: entry.contentType,
    metadata: JSON.parse(entry.metadata) as Record<string, string>,
    mtime: new Date(entry.mtime),
  };
}

function toCommit(row: CommitRow, graph: CommitGraph): Commit {
  return {
    id: row.id,
    parents: [...graph.parentsOf(row)],
    committer: row.committer,
    message: row.message,
    creationDate: new Date(row.created_at),
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    metaRangeId: row.tree_id,
  };
}

/** Builds a page from up to `amount + 1` items (the extra one only signals `hasMore`). */
function page<T>(items: T[], amount: number, keyOf: (item: T) => string): Page<T> {
  const hasMore = items.length > amount;
  const results = hasMore ? items.slice(0, amount) : items;
  const last = results.at(-1);
  return { results, hasMore, nextOffset: hasMore && last !== undefined ? keyOf(last) : '' };
}
