/**
 * A typed client of the lakeFS REST API (`/api/v1`) behind the {@link DataRepository} interface:
 * basic auth, lakeFS pagination (`after`/`amount` -> `has_more`/`next_offset`), retries on 429/5xx
 * only (via `HttpClient`), errors mapped to the codes the embedded backend uses. The secret key is
 * only ever put in the `Authorization` header: never in messages, details or logs (server text is
 * redacted of it before it goes into an error).
 *
 * Retries never apply a change twice. Reads, PUTs, DELETEs and in-memory uploads (an overwrite
 * with the same bytes) are retried as they are. A create (repository, branch, tag) is retried only
 * after looking whether the unanswered attempt took effect; a commit or a merge carries a
 * client-generated `lakeloop.request_id` in its metadata (hidden from the returned commit), and
 * before sending it again the client looks for it on the branch.
 *
 * @example
 * ```ts
 * await using data = new LakeFsDataRepository({ endpoint: 'http://127.0.0.1:8000', accessKeyId: 'AKIA…', secretAccessKey: '…' });
 * const page = await data.log({ repository: 'flights', ref: 'main', amount: 10 });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { LakeloopError, isLakeloopError } from '../../errors.js';
import type { ErrorCode } from '../../errors.js';
import { HttpClient, HttpError } from '../../util/http-client.js';
import type { FetchFunction, HttpRequest } from '../../util/http-client.js';
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
} from '../data-names.js';
import {
  nothingToRevert,
  revertParentNumberInvalid,
  uncommittedChangesBeforeMerge,
  uncommittedChangesBeforeRevert,
} from '../data-errors.js';
import { branchProtectionChanged, checkBranchPatterns, protectedBranchError } from '../branch-protection.js';
import type { BranchProtection, SetBranchProtectionOptions } from '../branch-protection.js';
import type {
  BranchAddress,
  Commit,
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
import { checkLakeFsConfig, resolveLakeFsConfig } from './lakefs-config.js';
import { explainLakeFsError } from './lakefs-errors.js';
import type { LakeFsConfig, ResolveLakeFsConfigOptions } from './lakefs-config.js';

/** Options of {@link LakeFsDataRepository}. */
export interface LakeFsDataRepositoryOptions extends LakeFsConfig {
  /** Default: the global `fetch`. */
  fetch?: FetchFunction;
  /** Retries on 429/5xx/network errors. Default 4. */
  maxRetries?: number;
  /** Waits between retries (injectable so tests need not sleep). */
  sleep?: (ms: number) => Promise<void>;
  /** Per-request timeout. Default 300 000 ms (large uploads). */
  timeoutMs?: number;
}

interface Pagination {
  has_more: boolean;
  next_offset: string;
}
interface ApiList<T> {
  pagination: Pagination;
  results: T[];
}
interface ApiRepository {
  id: string;
  creation_date: number;
  default_branch: string;
  storage_namespace: string;
}
interface ApiRef {
  id: string;
  commit_id: string;
}
interface ApiCommit {
  id: string;
  parents: string[];
  committer: string;
  message: string;
  creation_date: number;
  meta_range_id: string;
  metadata?: Record<string, string>;
}
interface ApiObjectStats {
  path: string;
  path_type: 'object' | 'common_prefix';
  checksum: string;
  size_bytes?: number;
  mtime: number;
  metadata?: Record<string, string>;
  content_type?: string;
}
interface ApiDiff {
  type: 'added' | 'removed' | 'changed' | 'conflict';
  path: string;
  path_type: 'object' | 'common_prefix';
  size_bytes?: number;
}

const API = '/api/v1';
/** Commit metadata key of the client-generated id that lets a retried commit or merge find itself. */
export const LAKEFS_REQUEST_ID_KEY = 'lakeloop.request_id';
/** How many recent commits a retried commit looks through for its request id. */
const RECOVERY_LOG_DEPTH = 20;
const enc = encodeURIComponent;

/** The lakeFS {@link DataRepository}. */
export class LakeFsDataRepository implements DataRepository {
  readonly kind = 'lakefs' as const;
  /** {@inheritDoc DataRepository.capabilities} */
  readonly capabilities: DataRepositoryCapabilities = {
    immediateRepositoryDeletion: false,
    removedEntrySize: false,
    immediateBranchProtection: false,
    commitNotifications: false,
    dataHooks: false,
    logPrefixIncludesMerges: false,
  };
  /** The server URL (no credentials). */
  readonly endpoint: string;
  readonly #http: HttpClient;
  readonly #namespaceRoot: string;

  constructor(options: LakeFsDataRepositoryOptions) {
    const config = checkLakeFsConfig(options);
    this.endpoint = config.endpoint;
    this.#namespaceRoot = config.storageNamespaceRoot ?? 'local://';
    const token = Buffer.from(`${config.accessKeyId}:${config.secretAccessKey}`).toString('base64');
    this.#http = new HttpClient({
      baseUrl: config.endpoint,
      serviceName: 'lakeFS',
      headers: { authorization: `Basic ${token}`, accept: 'application/json' },
      fetch: options.fetch,
      maxRetries: options.maxRetries,
      sleep: options.sleep,
      timeoutMs: options.timeoutMs ?? 300_000,
    });
  }

  /**
   * A client configured from `LAKEFS_ENDPOINT`/`LAKEFS_ACCESS_KEY_ID`/`LAKEFS_SECRET_ACCESS_KEY` or
   * `~/.lakectl.yaml`; PRECONDITION_FAILED when neither configures lakeFS.
   */
  static fromEnvironment(
    options: ResolveLakeFsConfigOptions & Omit<Partial<LakeFsDataRepositoryOptions>, keyof LakeFsConfig> = {},
  ): LakeFsDataRepository {
    const config = resolveLakeFsConfig(options);
    if (config === undefined) {
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        'lakeFS is not configured: set LAKEFS_ENDPOINT, LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY (or ~/.lakectl.yaml).',
      );
    }
    return new LakeFsDataRepository({ ...options, ...config });
  }

  // ---------------------------------------------------------------- repositories

  /** {@inheritDoc DataRepository.createRepository} */
  async createRepository(options: CreateRepositoryOptions): Promise<RepositoryInfo> {
    const name = checkRepositoryName(options.name);
    const defaultBranch = checkBranchName(options.defaultBranch ?? 'main');
    const root = this.#namespaceRoot.endsWith('/') ? this.#namespaceRoot : `${this.#namespaceRoot}/`;
    // lakeFS never lets a namespace be used twice, even after its repository is deleted: a unique
    // suffix per creation lets a deleted repository's name be created again.
    const storageNamespace = options.storageNamespace ?? `${root}${name}-${randomUUID().slice(0, 8)}`;
    const body = await this.#call<ApiRepository>(
      {
        method: 'POST',
        path: `${API}/repositories`,
        json: { name, storage_namespace: storageNamespace, default_branch: defaultBranch },
        // A namespace belongs to one repository: a repository of this name on it is this create's.
        recover: async () => {
          const found = await this.#orUndefined(() =>
            this.#call<ApiRepository>({ method: 'GET', path: `${API}/repositories/${enc(name)}` }),
          );
          return found?.storage_namespace === storageNamespace ? found : undefined;
        },
      },
      { 409: 'ALREADY_EXISTS' },
    );
    return toRepository(body);
  }

  /** {@inheritDoc DataRepository.listRepositories} */
  async listRepositories(options: PageOptions & { prefix?: string } = {}): Promise<Page<RepositoryInfo>> {
    const body = await this.#call<ApiList<ApiRepository>>({
      method: 'GET',
      path: `${API}/repositories`,
      query: { prefix: options.prefix, after: options.after, amount: checkAmount(options) },
    });
    return toPage(body, toRepository);
  }

  /** {@inheritDoc DataRepository.getRepository} */
  async getRepository(name: string): Promise<RepositoryInfo> {
    return toRepository(
      await this.#call<ApiRepository>({ method: 'GET', path: `${API}/repositories/${enc(name)}` }),
    );
  }

  /** {@inheritDoc DataRepository.deleteRepository} */
  async deleteRepository(name: string): Promise<void> {
    await this.#call({ method: 'DELETE', path: `${API}/repositories/${enc(name)}` });
  }

  // ---------------------------------------------------------------- branches

  /** {@inheritDoc DataRepository.createBranch} */
  async createBranch(options: { repository: string; name: string; source: string }): Promise<RefInfo> {
    const name = checkBranchName(options.name);
    await this.#call(
      {
        method: 'POST',
        path: `${this.#repo(options.repository)}/branches`,
        json: { name, source: checkRef(options.source) },
        raw: true,
        // The branch exists at the source's commit: the unanswered attempt created it.
        recover: async () => {
          const branch = await this.#orUndefined(() =>
            this.getBranch({ repository: options.repository, branch: name }),
          );
          if (branch === undefined) return undefined;
          const source = await this.getCommit({ repository: options.repository, ref: options.source });
          return branch.commitId === source.id ? new Response(null, { status: 201 }) : undefined;
        },
      },
      { 409: 'ALREADY_EXISTS' },
    );
    return this.getBranch({ repository: options.repository, branch: name });
  }

  /** {@inheritDoc DataRepository.listBranches} */
  async listBranches(options: PageOptions & { repository: string; prefix?: string }): Promise<Page<RefInfo>> {
    const body = await this.#call<ApiList<ApiRef>>({
      method: 'GET',
      path: `${this.#repo(options.repository)}/branches`,
      query: { prefix: options.prefix, after: options.after, amount: checkAmount(options) },
    });
    return toPage(body, toRef);
  }

  /** {@inheritDoc DataRepository.getBranch} */
  async getBranch(options: BranchAddress): Promise<RefInfo> {
    return toRef(await this.#call<ApiRef>({ method: 'GET', path: this.#branch(options) }));
  }

  /** {@inheritDoc DataRepository.deleteBranch} */
  async deleteBranch(options: BranchAddress): Promise<void> {
    await this.#call({ method: 'DELETE', path: this.#branch(options) }, { 403: 'PRECONDITION_FAILED' });
  }

  /** {@inheritDoc DataRepository.resetBranch} */
  async resetBranch(options: BranchAddress & { ref?: string }): Promise<RefInfo> {
    if (options.ref === undefined) {
      await this.#call({ method: 'PUT', path: this.#branch(options), json: { type: 'reset' } });
    } else {
      await this.#call({
        method: 'PUT',
        path: `${this.#branch(options)}/hard_reset`,
        query: { ref: checkRef(options.ref), force: true },
      });
    }
    return this.getBranch(options);
  }

  // ---------------------------------------------------------------- commits

  /** {@inheritDoc DataRepository.commit} */
  async commit(options: CommitOptions): Promise<Commit> {
    if (options.expectedHead !== undefined) {
      const head = await this.getBranch(options);
      if (head.commitId !== options.expectedHead) {
        throw new LakeloopError(
          'CONFLICT',
          `Branch "${options.branch}" of "${options.repository}" is at ${head.commitId}, not the expected ${options.expectedHead}; re-read it and commit again.`,
          { details: { repository: options.repository, branch: options.branch } },
        );
      }
    }
    const requestId = randomUUID();
    const body = await this.#call<ApiCommit>(
      {
        method: 'POST',
        path: `${this.#branch(options)}/commits`,
        json: {
          message: options.message,
          metadata: { ...checkMetadata(options.metadata), [LAKEFS_REQUEST_ID_KEY]: requestId },
          ...(options.date === undefined ? {} : { date: Math.floor(options.date.getTime() / 1000) }),
          ...(options.allowEmpty === true ? { allow_empty: true } : {}),
        },
        recover: () => this.#findCommit(options, requestId),
      },
      { 400: 'PRECONDITION_FAILED' },
    );
    return toCommit(body);
  }

  /** {@inheritDoc DataRepository.getCommit} */
  async getCommit(options: { repository: string; ref: string }): Promise<Commit> {
    const body = await this.#call<ApiList<ApiCommit>>({
      method: 'GET',
      path: `${this.#ref(options.repository, options.ref)}/commits`,
      query: { amount: 1 },
    });
    const first = body.results[0];
    if (first === undefined) {
      throw new LakeloopError('NOT_FOUND', `Ref "${options.ref}" of "${options.repository}" has no commit.`);
    }
    return toCommit(first);
  }

  /** {@inheritDoc DataRepository.log} */
  async log(options: LogOptions): Promise<Page<Commit>> {
    const prefix = checkPrefix(options.prefix);
    const body = await this.#call<ApiList<ApiCommit>>({
      method: 'GET',
      path: `${this.#ref(options.repository, options.ref)}/commits`,
      query: {
        after: options.after,
        amount: checkAmount(options),
        ...(prefix === '' ? {} : { prefixes: prefix }),
        ...(options.firstParent === true ? { first_parent: true } : {}),
      },
    });
    return toPage(body, toCommit);
  }

  // ---------------------------------------------------------------- diff and merge

  /** {@inheritDoc DataRepository.diff} */
  async diff(options: DiffOptions): Promise<Page<DiffEntry>> {
    const body = await this.#call<ApiList<ApiDiff>>({
      method: 'GET',
      path: `${this.#ref(options.repository, options.left)}/diff/${enc(checkRef(options.right))}`,
      query: {
        after: options.after,
        amount: checkAmount(options),
        prefix: checkPrefix(options.prefix) || undefined,
        type: 'two_dot',
      },
    });
    return toPage(body, toDiff);
  }

  /** {@inheritDoc DataRepository.diffUncommitted} */
  async diffUncommitted(
    options: BranchAddress & PageOptions & { prefix?: string },
  ): Promise<Page<DiffEntry>> {
    const body = await this.#call<ApiList<ApiDiff>>({
      method: 'GET',
      path: `${this.#branch(options)}/diff`,
      query: {
        after: options.after,
        amount: checkAmount(options),
        prefix: checkPrefix(options.prefix) || undefined,
      },
    });
    return toPage(body, toDiff);
  }

  /** {@inheritDoc DataRepository.merge} */
  async merge(options: MergeOptions): Promise<MergeResult> {
    const before = await this.getBranch({ repository: options.repository, branch: options.destination });
    let reference: string;
    const requestId = randomUUID();
    const destination = { repository: options.repository, branch: options.destination };
    try {
      const body = await this.#call<{ reference: string }>({
        method: 'POST',
        path: `${this.#ref(options.repository, options.source)}/merge/${enc(checkBranchName(options.destination))}`,
        json: {
          ...(options.message === undefined ? {} : { message: options.message }),
          metadata: { ...checkMetadata(options.metadata), [LAKEFS_REQUEST_ID_KEY]: requestId },
          ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
        },
        // Merged already: the destination moved to our merge commit.
        recover: async () => {
          const head = await this.getBranch(destination);
          if (head.commitId === before.commitId) return undefined;
          const found = await this.#findCommit(destination, requestId);
          return found === undefined ? undefined : { reference: found.id };
        },
      });
      reference = body.reference;
    } catch (error) {
      if (error instanceof HttpError && error.status === 400 && /no changes/i.test(error.body)) {
        return { reference: before.commitId, kind: 'none' };
      }
      // lakeFS answers 400 "uncommitted changes (dirty branch)": the embedded backend's code and message.
      if (
        error instanceof HttpError &&
        error.status === 400 &&
        /dirty branch|uncommitted changes/i.test(error.body)
      ) {
        throw uncommittedChangesBeforeMerge(options.repository, options.destination, error);
      }
      if (isLakeloopError(error, 'CONFLICT')) {
        throw new LakeloopError(
          'CONFLICT',
          `Merging "${options.source}" into "${options.destination}" conflicts; retry with strategy dest-wins or source-wins, or resolve on a branch.`,
          {
            cause: error,
            details: {
              repository: options.repository,
              source: options.source,
              destination: options.destination,
            },
          },
        );
      }
      throw error;
    }
    if (reference === before.commitId) return { reference, kind: 'none' };
    return { reference, kind: 'merge' };
  }

  /** {@inheritDoc DataRepository.revert} */
  async revert(options: RevertOptions): Promise<Commit> {
    const { repository, branch, ref } = options;
    const parentNumber = checkParentNumber(options.parentNumber);
    const address = { repository, branch };
    const requestId = randomUUID();
    try {
      await this.#call({
        method: 'POST',
        path: `${this.#branch(address)}/revert`,
        json: {
          ref: checkRef(ref),
          // 0 = not given: lakeFS then takes the only parent, and refuses a merge commit (409).
          parent_number: parentNumber ?? 0,
          commit_overrides: {
            ...(options.message === undefined ? {} : { message: options.message }),
            metadata: { ...checkMetadata(options.metadata), [LAKEFS_REQUEST_ID_KEY]: requestId },
          },
        },
        raw: true,
        // Reverted already: the branch has the commit carrying our request id.
        recover: async () =>
          (await this.#findCommit(address, requestId)) === undefined
            ? undefined
            : new Response(null, { status: 204 }),
      });
    } catch (error) {
      throw revertError(error, {
        repository,
        branch,
        ref,
        ...(parentNumber === undefined ? {} : { parentNumber }),
      });
    }
    // lakeFS answers 204 without the commit: find it on the branch by its request id.
    const found = await this.#findCommit(address, requestId);
    return found === undefined ? this.getCommit({ repository, ref: branch }) : toCommit(found);
  }

  // ---------------------------------------------------------------- tags

  /** {@inheritDoc DataRepository.createTag} */
  async createTag(options: { repository: string; name: string; ref: string }): Promise<RefInfo> {
    const name = checkTagName(options.name);
    const body = await this.#call<ApiRef>(
      {
        method: 'POST',
        path: `${this.#repo(options.repository)}/tags`,
        json: { id: name, ref: checkRef(options.ref) },
        // The tag exists on the ref's commit: the unanswered attempt created it.
        recover: async () => {
          const tag = await this.#orUndefined(() =>
            this.#call<ApiRef>({
              method: 'GET',
              path: `${this.#repo(options.repository)}/tags/${enc(name)}`,
            }),
          );
          if (tag === undefined) return undefined;
          const target = await this.getCommit({ repository: options.repository, ref: options.ref });
          return tag.commit_id === target.id ? tag : undefined;
        },
      },
      { 409: 'ALREADY_EXISTS' },
    );
    return toRef(body);
  }

  /** {@inheritDoc DataRepository.listTags} */
  async listTags(options: PageOptions & { repository: string; prefix?: string }): Promise<Page<RefInfo>> {
    const body = await this.#call<ApiList<ApiRef>>({
      method: 'GET',
      path: `${this.#repo(options.repository)}/tags`,
      query: { prefix: options.prefix, after: options.after, amount: checkAmount(options) },
    });
    return toPage(body, toRef);
  }

  /** {@inheritDoc DataRepository.deleteTag} */
  async deleteTag(options: { repository: string; tag: string }): Promise<void> {
    await this.#call({
      method: 'DELETE',
      path: `${this.#repo(options.repository)}/tags/${enc(options.tag)}`,
    });
  }

  // ---------------------------------------------------------------- objects

  /** {@inheritDoc DataRepository.putObject} */
  async putObject(options: PutObjectOptions): Promise<ObjectStat> {
    const path = checkObjectPath(options.path);
    const metadata = checkObjectMetadata(options.metadata);
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/octet-stream',
    };
    for (const [key, value] of Object.entries(metadata))
      headers[`x-lakefs-meta-${key.toLowerCase()}`] = value;
    const { content } = options;
    const inMemory = typeof content === 'string' || content instanceof Uint8Array;
    const body: HttpRequest['body'] = inMemory
      ? typeof content === 'string'
        ? content
        : new Uint8Array(content.buffer, content.byteOffset, content.byteLength)
      : (Readable.toWeb(
          content instanceof Readable ? content : Readable.from(content),
        ) as ReadableStream<Uint8Array>);
    const stats = await this.#call<ApiObjectStats>({
      method: 'POST',
      path: `${this.#branch(options)}/objects`,
      query: { path },
      headers,
      body,
      // Uploading the same bytes to the same path again only overwrites them; a stream cannot be replayed.
      retry: inMemory,
      idempotent: inMemory,
    });
    return toStat(stats);
  }

  /** {@inheritDoc DataRepository.getObject} */
  async getObject(options: ObjectAddress): Promise<Readable> {
    const response = await this.#call<Response>({
      method: 'GET',
      path: `${this.#ref(options.repository, options.ref)}/objects`,
      query: { path: checkObjectPath(options.path) },
      raw: true,
    });
    if (response.body === null) return Readable.from([]);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  /** {@inheritDoc DataRepository.statObject} */
  async statObject(options: ObjectAddress): Promise<ObjectStat> {
    const stats = await this.#call<ApiObjectStats>({
      method: 'GET',
      path: `${this.#ref(options.repository, options.ref)}/objects/stat`,
      query: { path: checkObjectPath(options.path), user_metadata: true },
    });
    return toStat(stats);
  }

  /** {@inheritDoc DataRepository.listObjects} */
  async listObjects(options: ListObjectsOptions): Promise<Page<ObjectListEntry>> {
    const body = await this.#call<ApiList<ApiObjectStats>>({
      method: 'GET',
      path: `${this.#ref(options.repository, options.ref)}/objects/ls`,
      query: {
        prefix: checkPrefix(options.prefix) || undefined,
        delimiter: options.delimiter,
        after: options.after,
        amount: checkAmount(options),
        user_metadata: true,
      },
    });
    return toPage(body, (item): ObjectListEntry =>
      item.path_type === 'common_prefix'
        ? { pathType: 'common_prefix', path: item.path }
        : { pathType: 'object', ...toStat(item) },
    );
  }

  /** {@inheritDoc DataRepository.deleteObject} */
  async deleteObject(options: BranchAddress & { path: string }): Promise<void> {
    await this.#call({
      method: 'DELETE',
      path: `${this.#branch(options)}/objects`,
      query: { path: checkObjectPath(options.path) },
    });
  }

  /** {@inheritDoc DataRepository.getBranchProtection} */
  async getBranchProtection(options: { repository: string }): Promise<BranchProtection> {
    const response = await this.#call<Response>({
      method: 'GET',
      path: `${this.#repo(options.repository)}/settings/branch_protection`,
      raw: true,
    });
    const rules = (await response.json()) as { pattern: string }[];
    return {
      patterns: rules.map((rule) => rule.pattern).sort(),
      etag: response.headers.get('etag') ?? '',
    };
  }

  /** {@inheritDoc DataRepository.setBranchProtection} */
  async setBranchProtection(options: SetBranchProtectionOptions): Promise<void> {
    const patterns = checkBranchPatterns(options.patterns);
    // lakeFS gives no ETag for an empty rule list and refuses an empty If-Match, so "only if there
    // are none" is checked by reading first and then sent unconditionally (as lakectl does).
    if (options.ifMatch === '' && (await this.getBranchProtection(options)).patterns.length > 0) {
      throw branchProtectionChanged(options.repository);
    }
    const ifMatch = options.ifMatch === '' ? undefined : options.ifMatch;
    try {
      await this.#call({
        method: 'PUT',
        path: `${this.#repo(options.repository)}/settings/branch_protection`,
        json: patterns.map((pattern) => ({ pattern })),
        ...(ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } }),
        raw: true,
      });
    } catch (error) {
      if (error instanceof HttpError && error.status === 412) {
        throw branchProtectionChanged(options.repository, error);
      }
      throw error;
    }
  }

  /** Nothing to release (fetch keeps no per-client state). */
  async close(): Promise<void> {
    // no open resources
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- internals

  #repo(repository: string): string {
    return `${API}/repositories/${enc(checkRepositoryName(repository))}`;
  }

  #branch(options: BranchAddress): string {
    return `${this.#repo(options.repository)}/branches/${enc(checkBranchName(options.branch))}`;
  }

  #ref(repository: string, ref: string): string {
    return `${this.#repo(repository)}/refs/${enc(checkRef(ref))}`;
  }

  /** The commit carrying `requestId` among the branch's recent commits, in the API's shape. */
  async #findCommit(branch: BranchAddress, requestId: string): Promise<ApiCommit | undefined> {
    const body = await this.#call<ApiList<ApiCommit>>({
      method: 'GET',
      path: `${this.#ref(branch.repository, branch.branch)}/commits`,
      query: { amount: RECOVERY_LOG_DEPTH },
    });
    return body.results.find((commit) => commit.metadata?.[LAKEFS_REQUEST_ID_KEY] === requestId);
  }

  /** The call's answer, or undefined when it is NOT_FOUND. */
  async #orUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (isLakeloopError(error, 'NOT_FOUND')) return undefined;
      throw error;
    }
  }

  /** Sends a request; remaps status codes where lakeFS's status means something more specific here. */
  async #call<T>(request: HttpRequest, remap: Partial<Record<number, ErrorCode>> = {}): Promise<T> {
    try {
      return request.raw === true
        ? ((await this.#http.request({ ...request, raw: true })) as T)
        : await this.#http.request<T>(request);
    } catch (error) {
      // lakeFS answers 403 "cannot write to / commit to protected branch": the embedded backend's error.
      if (error instanceof HttpError && error.status === 403 && /protected branch/i.test(error.body)) {
        const [, repository = '', branch = ''] =
          /\/repositories\/([^/]+)\/branches\/([^/?]+)/.exec(request.path) ?? [];
        throw protectedBranchError({
          repository: decodeURIComponent(repository),
          branch: decodeURIComponent(branch),
          action: /commit/i.test(error.body) && !/write/i.test(error.body) ? 'commit' : 'staging_write',
          cause: error,
        });
      }
      if (error instanceof HttpError) {
        const code = remap[error.status];
        const mapped =
          code === undefined
            ? error
            : new HttpError({
                code,
                status: error.status,
                body: error.body,
                message: error.message,
                cause: error.cause,
              });
        throw explainLakeFsError(mapped, request, this.endpoint);
      }
      throw error;
    }
  }
}

/** Maps lakeFS's revert answers to the embedded backend's codes and messages (data-errors.ts). */
function revertError(
  error: unknown,
  target: { repository: string; branch: string; ref: string; parentNumber?: number },
): unknown {
  if (!(error instanceof HttpError)) return error;
  const { repository, branch, ref } = target;
  if (error.status === 400 && /dirty branch|uncommitted changes/i.test(error.body)) {
    return uncommittedChangesBeforeRevert(repository, branch, error);
  }
  if (error.status === 400 && /no changes/i.test(error.body)) {
    return nothingToRevert({ repository, branch, ref }, error);
  }
  if (/parent number/i.test(error.body) && (error.status === 400 || error.status === 409)) {
    return revertParentNumberInvalid(
      {
        repository,
        ref,
        ...(target.parentNumber === undefined ? {} : { parentNumber: target.parentNumber }),
      },
      error,
    );
  }
  if (error.status === 409) {
    return new LakeloopError(
      'CONFLICT',
      `Reverting "${ref}" on "${branch}" conflicts: the branch changed the same paths since (lakeFS does not say which; \`lakeloop data diff ${repository} ${ref} ${branch}\` shows them). Revert on a branch made from "${ref}", or undo those paths by hand.`,
      { cause: error, details: { repository, branch, ref } },
    );
  }
  return error;
}

function toPage<TApi, T>(body: ApiList<TApi>, convert: (item: TApi) => T): Page<T> {
  return {
    results: body.results.map(convert),
    hasMore: body.pagination.has_more,
    nextOffset: body.pagination.has_more ? body.pagination.next_offset : '',
  };
}

function toRepository(body: ApiRepository): RepositoryInfo {
  return {
    name: body.id,
    defaultBranch: body.default_branch,
    creationDate: new Date(body.creation_date * 1000),
    storageNamespace: body.storage_namespace,
  };
}

function toRef(body: ApiRef): RefInfo {
  return { name: body.id, commitId: body.commit_id };
}

function toCommit(body: ApiCommit): Commit {
  const { [LAKEFS_REQUEST_ID_KEY]: _requestId, ...metadata } = body.metadata ?? {};
  return {
    id: body.id,
    parents: body.parents,
    committer: body.committer,
    message: body.message,
    creationDate: new Date(body.creation_date * 1000),
    metadata,
    metaRangeId: body.meta_range_id,
  };
}

function toDiff(body: ApiDiff): DiffEntry {
  return {
    type: body.type,
    path: body.path,
    pathType: body.path_type,
    // lakeFS reports a removed entry's size as 0 (it does not look up the old size): unknown here.
    ...(body.size_bytes === undefined || body.type === 'removed' ? {} : { sizeBytes: body.size_bytes }),
  };
}

function toStat(body: ApiObjectStats): ObjectStat {
  return {
    path: body.path,
    checksum: body.checksum,
    sizeBytes: body.size_bytes ?? 0,
    contentType: body.content_type ?? 'application/octet-stream',
    // lakeFS carries user metadata in HTTP headers (case-insensitive): keys come back lower-cased.
    metadata: Object.fromEntries(
      Object.entries(body.metadata ?? {}).map(([key, value]) => [
        key.toLowerCase().replace(/^x-lakefs-meta-/, ''),
        value,
      ]),
    ),
    mtime: new Date(body.mtime * 1000),
  };
}
