/**
 * `dataCommitSensor`: a sensor that requests one run per new commit of a branch of a data
 * repository (its first-parent history: a merge is one commit, the merged branch's commits are
 * not runs), oldest first, with run key = commit id (so each commit triggers exactly once) and
 * the tags `lakeloop/data_commit`, `lakeloop/data_repository` and `lakeloop/data_branch` (assets
 * read the data at exactly that commit). The cursor is the last processed commit id. It polls the
 * branch head every second (cheap: one head lookup when nothing changed), and the daemon also
 * evaluates it immediately when the repository reports a commit or merge: the embedded
 * repository's `onCommit` (the sensor's `wake`; it also hears other processes on the home), or a lakeFS webhook on `POST /api/hooks/lakefs`
 * (`Daemon.wake(dataCommitWakeKey(...))`). Core knows no data repository: this lives in lakeloop/data.
 *
 * @example
 * ```ts
 * import { dataCommitSensor, openDataRepository } from 'lakeloop/data';
 * const data = await openDataRepository({ home: '.lakeloop' });
 * const onNewData = dataCommitSensor({ name: 'new_flights', repository: 'flights', branch: 'main', job: 'retrain', dataRepository: data });
 * export const defs = new Definitions({ assets, jobs: [retrain], sensors: [onNewData] });
 * ```
 */
import { LakeloopError } from '../errors.js';
import { defineSensor } from '../core/definitions/sensor-definition.js';
import type {
  RunRequest,
  SensorDefinition,
  SensorEvaluationContext,
  SensorResult,
  SensorWake,
} from '../core/definitions/sensor-definition.js';
import type { ResourceMap } from '../core/definitions/asset-context.js';

// The run tags naming the data commit live with DataCommitRef in core definitions (a run of any
// kind can be for a data commit); re-exported here, next to the sensor that sets them.
import { DATA_BRANCH_TAG, DATA_COMMIT_TAG, DATA_REPOSITORY_TAG } from '../core/definitions/data-commit.js';
export { DATA_BRANCH_TAG, DATA_COMMIT_TAG, DATA_REPOSITORY_TAG } from '../core/definitions/data-commit.js';

/** A commit or merge on a branch, as a data repository client reports it in process. */
export interface CommitNotification {
  repository: string;
  branch: string;
  commitId?: string;
}

/** The part of a data repository client that pushes commit notifications (the embedded repository has it). */
export interface CommitNotifier {
  onCommit?(
    listener: (event: {
      repository: string;
      branch: string;
      commitId: string;
      kind: 'commit' | 'merge';
    }) => void,
  ): () => void;
}

/**
 * The key under which a commit on `repository`/`branch` wakes the data-commit sensors watching it
 * (`Daemon.wake(key)`; the lakeFS webhook endpoint calls it).
 *
 * @example
 * ```ts
 * daemon.wake(dataCommitWakeKey({ repository: 'flights', branch: 'main' })); // ['new_flights']
 * ```
 */
export function dataCommitWakeKey(commit: { repository: string; branch: string }): string {
  return `data-commit:${commit.repository}/${commit.branch}`;
}

/** A commit as the sensor needs it (a `Commit` of lakeloop/data fits). */
export interface SensedCommit {
  id: string;
  parents: string[];
  message: string;
  metadata: Record<string, string>;
  creationDate: Date;
}

/**
 * The part of a data repository the sensor uses (structural, so core does not depend on a backend;
 * every `DataRepository` of lakeloop/data fits).
 */
export interface CommitLogReader extends CommitNotifier {
  getBranch(options: { repository: string; branch: string }): Promise<{ commitId: string }>;
  log(options: {
    repository: string;
    ref: string;
    firstParent?: boolean;
    after?: string;
    amount?: number;
  }): Promise<{ results: SensedCommit[]; hasMore: boolean; nextOffset: string }>;
  diff(options: {
    repository: string;
    left: string;
    right: string;
    prefix?: string;
    amount?: number;
  }): Promise<{ results: unknown[] }>;
}

/** What {@link dataCommitSensor} takes. */
export interface DataCommitSensorSpec {
  name: string;
  /** Repository name. */
  repository: string;
  /** Branch to watch. */
  branch: string;
  /** Job (or its name) launched per commit. */
  job: string | { readonly name: string };
  /** Only commits that changed a path under this prefix request runs (others just move the cursor). Default: all. */
  pathPrefix?: string;
  /** The data repository client. Default: the resource named by `resourceKey`. */
  dataRepository?: CommitLogReader;
  /** Resource of the Definitions holding the client, when `dataRepository` is not given. Default `'dataRepository'`. */
  resourceKey?: string;
  /** Polling interval. Default 1 second. */
  minimumIntervalSeconds?: number;
  /** Default `'RUNNING'`. */
  defaultStatus?: 'RUNNING' | 'STOPPED';
  /** Partition of the run launched for a commit. Default none. */
  partitionFor?: (commit: SensedCommit) => string | undefined;
  /** Extra tags of every run. Default none. */
  tags?: Record<string, string>;
  /** At most this many commits are handled per evaluation (the cursor moves to the last one). Default 100. */
  maxCommitsPerTick?: number;
  description?: string;
}

const PAGE = 1000;

/**
 * Defines a sensor that launches `job` once per new commit on `repository`/`branch`.
 *
 * @example
 * ```ts
 * const onNewData = dataCommitSensor({ name: 'new_flights', repository: 'flights', branch: 'main', job: 'retrain' });
 * ```
 */
export function dataCommitSensor(spec: DataCommitSensorSpec): SensorDefinition {
  const resourceKey = spec.resourceKey ?? 'dataRepository';
  const maxCommits = spec.maxCommitsPerTick ?? 100;
  const where = `${spec.repository}/${spec.branch}`;

  const clientOf = (ctx: SensorEvaluationContext): CommitLogReader => {
    if (spec.dataRepository !== undefined) return spec.dataRepository;
    const candidate = ctx.resources[resourceKey] as Partial<CommitLogReader> | undefined;
    if (
      typeof candidate?.getBranch !== 'function' ||
      typeof candidate.log !== 'function' ||
      typeof candidate.diff !== 'function'
    ) {
      throw new LakeloopError(
        'DEFINITION_ERROR',
        `Sensor "${spec.name}" needs a data repository: pass \`dataRepository\` or add a resource "${resourceKey}" (e.g. openDataRepository()) to the Definitions.`,
      );
    }
    return candidate as CommitLogReader;
  };

  /**
   * The branch's commits after `cursor` up to `head`, newest first: its first-parent history, so a
   * merge is one commit and the merged branch's commits (states `main` never had) are not runs.
   * All of that history when the cursor is not on it.
   */
  const commitsSince = async (client: CommitLogReader, head: string, cursor: string | undefined) => {
    const fresh: SensedCommit[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await client.log({
        repository: spec.repository,
        ref: head,
        firstParent: true,
        amount: PAGE,
        ...(after === undefined ? {} : { after }),
      });
      for (const commit of page.results) {
        if (commit.id === cursor) return fresh;
        fresh.push(commit);
      }
      if (!page.hasMore || page.nextOffset === '') return fresh;
      after = page.nextOffset;
    }
  };

  const evaluate = async (ctx: SensorEvaluationContext): Promise<SensorResult> => {
    const client = clientOf(ctx);
    const head = (await client.getBranch({ repository: spec.repository, branch: spec.branch })).commitId;
    if (head === ctx.cursor) return { skipReason: `No new commit on ${where} (head ${head.slice(0, 12)}).` };
    ctx.signal.throwIfAborted();
    // The repository's initial (parentless, empty) commit holds no data: never a run.
    const pending = (await commitsSince(client, head, ctx.cursor))
      .filter((c) => c.parents.length > 0)
      .reverse();
    const batch = pending.slice(0, maxCommits);
    const last = batch.at(-1);
    if (last === undefined) return { skipReason: `No new data commit on ${where}.`, cursor: head };
    let wanted = batch;
    const prefix = spec.pathPrefix;
    if (prefix !== undefined) {
      // What each commit brought to the branch: its diff against its first parent (for a merge, the
      // merged changes). Not `log --prefix`, which lakeFS answers without merge commits.
      const touches = await Promise.all(
        batch.map(async (commit) => {
          const [parent] = commit.parents;
          if (parent === undefined) return false;
          const diff = await client.diff({
            repository: spec.repository,
            left: parent,
            right: commit.id,
            prefix,
            amount: 1,
          });
          return diff.results.length > 0;
        }),
      );
      wanted = batch.filter((_, index) => touches[index] === true);
    }
    const cursor = pending.length > batch.length ? last.id : head;
    if (wanted.length === 0) {
      return {
        skipReason: `${batch.length} new commit(s) on ${where}, none under "${spec.pathPrefix ?? ''}".`,
        cursor,
      };
    }
    const runRequests = wanted.map((commit): RunRequest => {
      const request: RunRequest = {
        runKey: commit.id,
        tags: {
          ...(spec.tags ?? {}),
          [DATA_COMMIT_TAG]: commit.id,
          [DATA_REPOSITORY_TAG]: spec.repository,
          [DATA_BRANCH_TAG]: spec.branch,
        },
      };
      const partition = spec.partitionFor?.(commit);
      if (partition !== undefined) request.partition = partition;
      return request;
    });
    return { runRequests, cursor };
  };

  return defineSensor({
    name: spec.name,
    job: spec.job,
    minimumIntervalSeconds: spec.minimumIntervalSeconds ?? 1,
    defaultStatus: spec.defaultStatus ?? 'RUNNING',
    description: spec.description ?? `One run of the job per new commit on ${where}.`,
    wake: wakeOnCommit(spec, resourceKey),
    wakeKeys: [dataCommitWakeKey(spec)],
    evaluate,
  });
}

/** Wakes the sensor on the client's in-process commit notifications for its branch (when it has them). */
function wakeOnCommit(spec: DataCommitSensorSpec, resourceKey: string): SensorWake {
  return (trigger, { resources }: { readonly resources: ResourceMap }) => {
    const client = (spec.dataRepository ?? resources[resourceKey]) as CommitNotifier | undefined;
    if (typeof client?.onCommit !== 'function') return () => undefined;
    return client.onCommit((event) => {
      if (event.repository === spec.repository && event.branch === spec.branch) trigger();
    });
  };
}
