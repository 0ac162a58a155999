/**
 * `dataRepositoryResource`: the built-in resource of the data repository. One client per process
 * and instance home (lakeFS when `LAKEFS_ENDPOINT` and keys are set, else the embedded backend in
 * the instance home, as `openDataRepository` decides). At launch it records the branch head on the
 * run (tags `lakeloop/data_commit`, `lakeloop/data_repository`, `lakeloop/data_branch`) unless the
 * run already names a commit of the repository (a data-commit sensor's run); each step then gets a
 * view pinned to that commit, so every step of a run reads the same data even when the branch
 * moves during the run.
 *
 * @example
 * ```ts
 * const data = dataRepositoryResource({ repository: 'flights', branch: 'main' });
 * const months = defineAsset({
 *   key: 'months',
 *   resources: { data },
 *   compute: async (ctx) => (await ctx.resources.data.readTable('months/', { columns: ['delay'] })).rowCount,
 * });
 * ```
 */
import type { Readable } from 'node:stream';
import {
  DATA_BRANCH_TAG,
  DATA_COMMIT_TAG,
  DATA_REPOSITORY_TAG,
  dataCommitFromTags,
} from '../core/definitions/data-commit.js';
import { defineResource } from '../core/definitions/resource-definition.js';
import type { ResourceDefinition, ResourceStep } from '../core/definitions/resource-definition.js';
import { isLakeloopError, LakeloopError } from '../errors.js';
import { resolveDataFiles } from './data-file-set.js';
import { DATA_HOOKS } from './data-hooks.js';
import type { DataHook } from './data-hooks.js';
import type { DataFileSet } from './data-file-set.js';
import { lakeloopDataCacheDir } from './data-paths.js';
import { openData, readJson, readTable, readText } from './data-readers.js';
import type { DataTable, ReadObjectOptions, ReadTableOptions } from './data-readers.js';
import type { DataRepository } from './data-repository.js';
import { createDataRepository } from './data-repository-factory.js';
import type { OpenDataRepositoryOptions } from './data-repository-factory.js';
import { checkBranchName, checkRepositoryName } from './data-names.js';
import { formatDataUri, isDataUri } from './data-uri.js';

/** What {@link dataRepositoryResource} takes. */
export interface DataRepositoryResourceOptions {
  /** The repository steps read. */
  repository: string;
  /** The branch whose head a run reads (when the run names no commit). Default `'main'`. */
  branch?: string;
  /** How to open the backend (`backend`, `lakefs`, `env`). Default: from the environment; `home` is the instance home. */
  open?: Omit<OpenDataRepositoryOptions, 'home' | 'hooks'>;
  /**
   * Pre-commit / pre-merge checks on commits and merges made through this resource's client (a
   * hook without a repository watches this one). `lakeloop data commit/merge --defs <module>` also
   * runs the hooks of the module's data resources. Embedded backend only. Default none.
   */
  hooks?: readonly DataHook[];
  description?: string;
}

/** What the resource sets up once per process and instance home. */
export interface DataRepositoryResourceValue {
  readonly client: DataRepository;
  readonly instanceHome: string;
  /** Heads resolved for runs that recorded no commit, by run id (so they too read one commit). */
  readonly fallbackCommits: Map<string, Promise<string>>;
}

/** A step's view of the data repository, pinned to the commit its run is for. */
export interface DataRepositoryView {
  /** The full client (writes, commits, merges). Its reads are not pinned. */
  readonly repository: DataRepository;
  readonly repositoryName: string;
  /** The branch the resource reads, or the branch the run's commit was the head of. */
  readonly branch: string;
  /** The commit recorded on the run; undefined when the run has none (then the first read resolves the branch head once for the run). */
  readonly commitId: string | undefined;
  /** The commit relative paths read (resolved once per run). */
  resolveCommitId(): Promise<string>;
  /** `lakefs://<repository>/<commit>/<path>` for a relative path; a `lakefs://` URI unchanged. */
  uri(path: string): Promise<string>;
  /** {@link readTable} of a path at the run's commit (or of a full URI as given). */
  readTable(path: string, options?: Omit<ReadTableOptions, 'cacheDir'>): Promise<DataTable>;
  readJson<T = unknown>(path: string, options?: ReadObjectOptions): Promise<T>;
  readText(path: string, options?: ReadObjectOptions): Promise<string>;
  /** A stream of the object's bytes. */
  open(path: string): Promise<Readable>;
  /** Local files of a path (object, prefix or glob), for DuckDB SQL of your own; release them after. */
  files(path: string): Promise<DataFileSet>;
}

/** Run tag of the commit a second data repository resource reads, when the run's data commit is of another repository. */
export function dataCommitTagOf(repository: string): string {
  return `${DATA_COMMIT_TAG}/${repository}`;
}

/** How many runs' fallback heads a process keeps (older ones are resolved again if a step asks). */
const FALLBACK_RUNS = 256;

/**
 * The data repository as a resource (scope 'process'), configured from the environment.
 *
 * @example
 * ```ts
 * const data = dataRepositoryResource({ repository: 'flights' });
 * const rows = defineAsset({ key: 'rows', resources: { data }, compute: async (ctx) => (await ctx.resources.data.readTable('months/')).rowCount });
 * ```
 */
export function dataRepositoryResource(
  options: DataRepositoryResourceOptions,
): ResourceDefinition<DataRepositoryResourceValue, DataRepositoryView> {
  const repository = checkRepositoryName(options.repository);
  const branch = checkBranchName(options.branch ?? 'main');
  const hooks = (options.hooks ?? []).map((hook) => ({ ...hook, repository: hook.repository ?? repository }));
  const open = (home: string): DataRepository =>
    createDataRepository({ ...options.open, home, ...(hooks.length === 0 ? {} : { hooks }) });
  const definition = defineResource<DataRepositoryResourceValue, DataRepositoryView>({
    description:
      options.description ??
      `Data repository ${repository} (branch ${branch}), pinned to the run's data commit`,
    scope: 'process',
    setup: ({ instanceHome }) => ({ client: open(instanceHome), instanceHome, fallbackCommits: new Map() }),
    teardown: (value) => value.client.close(),
    launchTags: async ({ instanceHome, runTags }) => {
      const recorded = dataCommitFromTags(runTags);
      if (recorded?.repository === repository || runTags[dataCommitTagOf(repository)] !== undefined)
        return {};
      const client = open(instanceHome);
      try {
        const head = await branchHead(client, repository, branch);
        // The run's data tags already name another repository's commit: record ours beside them.
        if (recorded !== undefined) return { [dataCommitTagOf(repository)]: head };
        return { [DATA_COMMIT_TAG]: head, [DATA_REPOSITORY_TAG]: repository, [DATA_BRANCH_TAG]: branch };
      } finally {
        await client.close();
      }
    },
    bind: (value, step) => ({ value: pinnedView(value, step, repository, branch) }),
  });
  // Carried for `dataHooksOf(defs.resources)` (the CLI's data commit/merge --defs).
  return Object.assign(definition, { [DATA_HOOKS]: hooks });
}

function pinnedView(
  value: DataRepositoryResourceValue,
  step: ResourceStep,
  repository: string,
  branch: string,
): DataRepositoryView {
  const { client } = value;
  const ours = step.dataCommit?.repository === repository ? step.dataCommit : undefined;
  const commitId = ours?.commitId ?? step.runTags[dataCommitTagOf(repository)];
  const cacheDir = lakeloopDataCacheDir(step.instanceHome);
  const resolveCommitId = (): Promise<string> => {
    if (commitId !== undefined) return Promise.resolve(commitId);
    let head = value.fallbackCommits.get(step.runId);
    if (head === undefined) {
      head = branchHead(client, repository, branch);
      head.catch(() => value.fallbackCommits.delete(step.runId));
      value.fallbackCommits.set(step.runId, head);
      const oldest = value.fallbackCommits.keys().next().value;
      if (value.fallbackCommits.size > FALLBACK_RUNS && oldest !== undefined)
        value.fallbackCommits.delete(oldest);
    }
    return head;
  };
  const uri = async (path: string): Promise<string> =>
    isDataUri(path) ? path : formatDataUri({ repository, ref: await resolveCommitId(), path });
  return {
    repository: client,
    repositoryName: repository,
    branch: ours?.branch ?? branch,
    commitId,
    resolveCommitId,
    uri,
    readTable: async (path, readOptions = {}) =>
      readTable(client, await uri(path), { ...readOptions, cacheDir }),
    readJson: async <T>(path: string, readOptions?: ReadObjectOptions) =>
      readJson<T>(client, await uri(path), readOptions),
    readText: async (path, readOptions) => readText(client, await uri(path), readOptions),
    open: async (path) => openData(client, await uri(path)),
    files: async (path) => resolveDataFiles(client, await uri(path), { cacheDir }),
  };
}

async function branchHead(client: DataRepository, repository: string, branch: string): Promise<string> {
  try {
    return (await client.getBranch({ repository, branch })).commitId;
  } catch (error) {
    if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    throw new LakeloopError(
      'NOT_FOUND',
      `The data resource reads lakefs://${repository}/${branch}/, which does not exist (${error.message}). Create it (\`lakeloop data repo create ${repository}\`), or list what is there with \`lakeloop data repo list\` and \`lakeloop data branch list ${repository}\`.`,
      { cause: error, details: { repository, branch } },
    );
  }
}
