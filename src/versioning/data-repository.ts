/**
 * The `DataRepository` interface: git-like versioned data in lakeFS's vocabulary (repository,
 * branch, ref, commit, diff, merge, tag, object). Two implementations: the embedded backend
 * (`EmbeddedDataRepository`, the default, under the instance home) and a lakeFS REST client
 * (`LakeFsDataRepository`). Both pass `test/contracts/data-repository.contract.ts`.
 *
 * @example
 * ```ts
 * import { openDataRepository } from 'lakeloop/data';
 * await using data = await openDataRepository({ home: '.lakeloop' });
 * await data.createRepository({ name: 'flights' });
 * await data.putObject({ repository: 'flights', branch: 'main', path: 'a.csv', content: 'x,y\n1,2\n' });
 * const commit = await data.commit({ repository: 'flights', branch: 'main', message: 'first data' });
 * ```
 */
import type { Readable } from 'node:stream';
import type { BranchProtection, SetBranchProtectionOptions } from './branch-protection.js';

/** Which backend a {@link DataRepository} talks to. */
export type DataBackendKind = 'embedded' | 'lakefs';

/**
 * Where backends differ by nature rather than by bug: the contract suite asserts each side of every
 * flag, so a difference is declared here instead of hidden by a looser test.
 */
export interface DataRepositoryCapabilities {
  /**
   * Right after `deleteRepository`, `getRepository` answers NOT_FOUND and the name can be created
   * again. lakeFS: no — it caches repository records for a few seconds (`getRepository` still
   * answers, a new create may be refused); `listRepositories` drops the repository at once on both.
   */
  immediateRepositoryDeletion: boolean;
  /** Diff entries of removed objects carry the removed object's size. lakeFS: no (`sizeBytes` is absent). */
  removedEntrySize: boolean;
  /** A branch protection change applies to the very next write. lakeFS: after its ~1 s rule cache. */
  immediateBranchProtection: boolean;
  /** `onCommit` pushes commits and merges (embedded: also those of other processes on the home). lakeFS: no; use its webhook. */
  commitNotifications: boolean;
  /** Runs pre-commit/pre-merge data hooks declared in code (`hooks`). lakeFS: no; lakeFS actions are its way. */
  dataHooks: boolean;
  /** `log` with a `prefix` lists merge commits that touch it. lakeFS: no (its prefix filter skips merges). */
  logPrefixIncludesMerges: boolean;
}

/** One page of results. Pass `nextOffset` as `after` to get the next page. */
export interface Page<T> {
  results: T[];
  /** True when more results follow. */
  hasMore: boolean;
  /** The `after` value of the next page (empty string when there is none). */
  nextOffset: string;
}

/** Pagination options shared by every list call. */
export interface PageOptions {
  /** Return items after this value (the previous page's `nextOffset`). Default: from the start. */
  after?: string;
  /** Page size, 1..1000. Default 100. */
  amount?: number;
}

/** A repository. */
export interface RepositoryInfo {
  name: string;
  defaultBranch: string;
  creationDate: Date;
  /** Where the backend keeps the bytes (a folder for the embedded backend, e.g. `local://…` for lakeFS). */
  storageNamespace: string;
}

/** A branch or a tag: a name pointing to a commit. */
export interface RefInfo {
  name: string;
  commitId: string;
}

/** An immutable commit. Its id is a content hash. */
export interface Commit {
  id: string;
  parents: string[];
  committer: string;
  message: string;
  creationDate: Date;
  metadata: Record<string, string>;
  /** Hash of the committed tree (lakeFS: meta range id). */
  metaRangeId: string;
}

/** How an entry differs between two refs. */
export type DiffType = 'added' | 'removed' | 'changed' | 'conflict';

/** One entry of a diff. */
export interface DiffEntry {
  type: DiffType;
  path: string;
  pathType: 'object' | 'common_prefix';
  /**
   * Size of the entry on the right side (on the left for removed entries), when known: lakeFS does
   * not give the size of a removed entry, so there it is undefined.
   */
  sizeBytes?: number;
}

/** What to do when both sides of a merge changed the same path. */
export type MergeStrategy = 'dest-wins' | 'source-wins';

/** The merge strategies, for validation and CLI help. */
export const MERGE_STRATEGIES = ['dest-wins', 'source-wins'] as const satisfies readonly MergeStrategy[];

/** What a merge did. */
export interface MergeResult {
  /** The destination branch's head after the merge. */
  reference: string;
  /**
   * `merge`: a new merge commit (first parent: the destination's old head; second: the source), also
   * when the destination is an ancestor of the source — like lakeFS, no backend fast-forwards, so a
   * branch's first-parent history is exactly the commits made on it; `none`: nothing to merge (the
   * source is already merged, or merging would not change the destination's content).
   */
  kind: 'merge' | 'none';
}

/** Metadata of a stored object. */
export interface ObjectStat {
  path: string;
  /** Content checksum (embedded backend: SHA-256 hex; lakeFS: its ETag). */
  checksum: string;
  sizeBytes: number;
  contentType: string;
  /** User metadata (string -> string). */
  metadata: Record<string, string>;
  /** Time the object was written. */
  mtime: Date;
}

/** One entry of an object listing: an object, or a common prefix when a delimiter is used. */
export type ObjectListEntry =
  ({ pathType: 'object' } & ObjectStat) | { pathType: 'common_prefix'; path: string };

/** Bytes accepted by {@link DataRepository.putObject}. */
export type ObjectContent = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

/** What {@link DataRepository.onCommit} listeners receive. */
export interface CommitEvent {
  repository: string;
  branch: string;
  commitId: string;
  kind: 'commit' | 'merge';
}

/** Options of {@link DataRepository.createRepository}. */
export interface CreateRepositoryOptions {
  name: string;
  /** Default `'main'`. */
  defaultBranch?: string;
  /** lakeFS only: where the server stores the data. Default: the configured namespace root + name. */
  storageNamespace?: string;
}

/** Options of {@link DataRepository.commit}. */
export interface CommitOptions {
  repository: string;
  branch: string;
  message: string;
  /** Default `{}`. */
  metadata?: Record<string, string>;
  /** Default: the repository's configured committer (embedded: `$USER` or `'lakeloop'`). */
  committer?: string;
  /** Override the commit date. Default: now. */
  date?: Date;
  /** Commit even when nothing is staged. Default false (an empty commit is refused). */
  allowEmpty?: boolean;
  /** Optimistic check: refuse with CONFLICT unless the branch head is this commit id. */
  expectedHead?: string;
}

/** Options of {@link DataRepository.log}. */
export interface LogOptions extends PageOptions {
  repository: string;
  ref: string;
  /**
   * Only commits whose changes against their first parent touch a path starting with this prefix.
   * A merge commit's changes are what it brought to the branch; lakeFS leaves merge commits out
   * (`capabilities.logPrefixIncludesMerges`): diff a merge against its first parent to know.
   */
  prefix?: string;
  /**
   * Follow only first parents: the commits made on the branch (each merge one commit, the merged
   * branch's commits not listed), as `git log --first-parent` and lakeFS's `first_parent`. Default false.
   */
  firstParent?: boolean;
}

/** Options of {@link DataRepository.diff}. */
export interface DiffOptions extends PageOptions {
  repository: string;
  left: string;
  right: string;
  /** Only paths starting with this prefix. */
  prefix?: string;
}

/** Options of {@link DataRepository.merge}. */
export interface MergeOptions {
  repository: string;
  /** Any ref (branch, tag, commit id). */
  source: string;
  /** A branch. */
  destination: string;
  /** Default: fail with CONFLICT listing the paths. */
  strategy?: MergeStrategy;
  /** Default `Merge '<source>' into '<destination>'`. */
  message?: string;
  metadata?: Record<string, string>;
}

/** Options of {@link DataRepository.revert}. */
export interface RevertOptions {
  repository: string;
  /** The branch that gets the revert commit. */
  branch: string;
  /** The commit whose changes to undo (any ref resolving to it). */
  ref: string;
  /**
   * Undo the changes against this parent of `ref` (1-based). Default 1; required for a merge commit
   * (1: the branch merged into, 2: the merged source): INVALID_ARGUMENT without it.
   */
  parentNumber?: number;
  /** Default `Revert <ref>` (as lakeFS). */
  message?: string;
  /** Commit metadata. Default `{}`. */
  metadata?: Record<string, string>;
  /** Embedded only (lakeFS records the authenticated user). Default: the repository's committer. */
  committer?: string;
}

/** Options of {@link DataRepository.putObject}. */
export interface PutObjectOptions {
  repository: string;
  branch: string;
  path: string;
  content: ObjectContent;
  /** Default `'application/octet-stream'`. */
  contentType?: string;
  /** User metadata. Default `{}`. ASCII only (see `checkObjectMetadata`): anything else is INVALID_ARGUMENT on every backend. */
  metadata?: Record<string, string>;
}

/** Options of {@link DataRepository.listObjects}. */
export interface ListObjectsOptions extends PageOptions {
  repository: string;
  ref: string;
  /** Default `''`. */
  prefix?: string;
  /** Group paths by this delimiter (usually `'/'`). Default: none (recursive). */
  delimiter?: string;
}

/** A repository/branch pair. */
export interface BranchAddress {
  repository: string;
  branch: string;
}

/** A repository/ref/path triple. */
export interface ObjectAddress {
  repository: string;
  ref: string;
  path: string;
}

/** Git-like versioned data: every backend implements this and passes the contract suite. */
export interface DataRepository extends AsyncDisposable {
  readonly kind: DataBackendKind;
  /** How this backend differs from the others (see {@link DataRepositoryCapabilities}). */
  readonly capabilities: DataRepositoryCapabilities;

  /** Creates a repository with an initial empty commit on its default branch. ALREADY_EXISTS if taken. */
  createRepository(options: CreateRepositoryOptions): Promise<RepositoryInfo>;
  /** Lists repositories by name. */
  listRepositories(options?: PageOptions & { prefix?: string }): Promise<Page<RepositoryInfo>>;
  /** One repository; NOT_FOUND if absent. */
  getRepository(name: string): Promise<RepositoryInfo>;
  /** Deletes a repository with its branches, tags and commits (blobs go at the next gc). */
  deleteRepository(name: string): Promise<void>;

  /** Creates `name` pointing at the commit `source` resolves to. */
  createBranch(options: { repository: string; name: string; source: string }): Promise<RefInfo>;
  /** Lists branches by name. */
  listBranches(options: PageOptions & { repository: string; prefix?: string }): Promise<Page<RefInfo>>;
  /** One branch and its head commit. */
  getBranch(options: BranchAddress): Promise<RefInfo>;
  /** Deletes a branch (not the default branch). */
  deleteBranch(options: BranchAddress): Promise<void>;
  /**
   * Drops the branch's uncommitted changes; with `ref`, also moves the branch head to that ref
   * (a hard reset).
   */
  resetBranch(options: BranchAddress & { ref?: string }): Promise<RefInfo>;

  /** Commits the branch's staged changes atomically. PRECONDITION_FAILED when nothing is staged. */
  commit(options: CommitOptions): Promise<Commit>;
  /** The commit a ref (branch, tag, commit id, `ref~N`) resolves to. */
  getCommit(options: { repository: string; ref: string }): Promise<Commit>;
  /** Commits reachable from a ref, newest first. */
  log(options: LogOptions): Promise<Page<Commit>>;

  /** Differences from `left` to `right` (committed content). */
  diff(options: DiffOptions): Promise<Page<DiffEntry>>;
  /** A branch's uncommitted changes. */
  diffUncommitted(options: BranchAddress & PageOptions & { prefix?: string }): Promise<Page<DiffEntry>>;
  /**
   * Merges a ref into a branch with a merge commit (never a fast-forward). PRECONDITION_FAILED
   * (on every backend) when the destination has uncommitted changes; CONFLICT on conflicting paths.
   */
  merge(options: MergeOptions): Promise<MergeResult>;
  /**
   * Commits on `branch` the inverse of the changes `ref` made against its parent, atomically (lakeFS
   * revert: a three-way merge with `ref` as the base). PRECONDITION_FAILED when the branch has
   * uncommitted changes or the revert would change nothing; CONFLICT when the branch changed the
   * same paths since `ref` (embedded: listing them); INVALID_ARGUMENT for a merge commit without
   * `parentNumber`.
   */
  revert(options: RevertOptions): Promise<Commit>;

  /** Creates a tag pointing at the commit `ref` resolves to. */
  createTag(options: { repository: string; name: string; ref: string }): Promise<RefInfo>;
  /** Lists tags by name. */
  listTags(options: PageOptions & { repository: string; prefix?: string }): Promise<Page<RefInfo>>;
  /** Deletes a tag. */
  deleteTag(options: { repository: string; tag: string }): Promise<void>;

  /** Stages an object on a branch (streamed; any size). */
  putObject(options: PutObjectOptions): Promise<ObjectStat>;
  /** The object's bytes as a stream. Reads by commit id are immutable. */
  getObject(options: ObjectAddress): Promise<Readable>;
  /** The object's metadata. */
  statObject(options: ObjectAddress): Promise<ObjectStat>;
  /** Lists objects (and common prefixes with a delimiter) in path order. */
  listObjects(options: ListObjectsOptions): Promise<Page<ObjectListEntry>>;
  /** Stages the deletion of an object (like lakeFS, deleting a missing object is not an error). */
  deleteObject(options: BranchAddress & { path: string }): Promise<void>;

  /**
   * The repository's branch protection rules (lakeFS's model, see branch-protection.ts): branches
   * matching a pattern refuse puts, deletes, resets and commits with PRECONDITION_FAILED; merges
   * into them are allowed.
   */
  getBranchProtection(options: { repository: string }): Promise<BranchProtection>;
  /** Replaces the rules (`ifMatch`: only if they are still at that ETag, else PRECONDITION_FAILED). */
  setBranchProtection(options: SetBranchProtectionOptions): Promise<void>;

  /**
   * Subscribes to commits and merges (push notification). Returns the unsubscribe function. The
   * embedded backend implements it: commits and merges of this instance, and branch heads moved by
   * other processes or instances on the same home (coalesced per branch). lakeFS has no push
   * channel, so callers fall back to polling `getBranch`.
   */
  onCommit?(listener: (event: CommitEvent) => void): () => void;

  /** Releases files and connections. */
  close(): Promise<void>;
}
