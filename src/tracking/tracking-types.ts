/**
 * The records of experiment tracking and the model registry, in MLflow's vocabulary: experiments,
 * runs (here "training runs", to keep them apart from pipeline runs), params, metrics, tags,
 * input datasets, artifacts, registered models, model versions and aliases.
 *
 * @example
 * ```ts
 * const metric: Metric = { key: 'auc', value: 0.79, step: 0, timestamp: Date.now() };
 * ```
 */

/** Status of a training run (MLflow's `RunStatus`). */
export const TrackingRunStatus = {
  RUNNING: 'RUNNING',
  SCHEDULED: 'SCHEDULED',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
} as const;
/** A training-run status. */
export type TrackingRunStatus = (typeof TrackingRunStatus)[keyof typeof TrackingRunStatus];

/** Statuses `endRun` accepts. */
export const TERMINAL_RUN_STATUSES: readonly TrackingRunStatus[] = ['FINISHED', 'FAILED', 'KILLED'];

/** An experiment: a named group of training runs. */
export interface Experiment {
  experimentId: string;
  name: string;
  /** Where the runs' artifacts live (a folder, or `mlflow-artifacts:/<id>`). */
  artifactLocation: string;
  lifecycleStage: 'active' | 'deleted';
  tags: Record<string, string>;
  creationTime: number | undefined;
}

/** One metric point. `value` may be NaN or ±Infinity (as in MLflow). */
export interface Metric {
  key: string;
  value: number;
  /** Default 0. */
  step: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** A metric point as a caller logs it; `step` and `timestamp` default to 0 and the clock. */
export interface MetricInput {
  key: string;
  value: number;
  step?: number;
  timestamp?: number;
}

/** An input dataset of a run (MLflow's `DatasetInput`): here usually a data repository commit. */
export interface DatasetInput {
  name: string;
  /** A short content digest (e.g. the commit id). */
  digest: string;
  /** Kind of source, e.g. `'lakeloop-data'`, `'lakefs'`, `'local'`. */
  sourceType: string;
  /** Where the data comes from, e.g. `lakeloop://flights/<commit id>`. */
  source: string;
  /** Optional schema and profile, JSON strings as in MLflow. */
  schema?: string;
  profile?: string;
  /** Dataset-input tags such as `mlflow.data.context` = `training`. */
  tags?: Record<string, string>;
}

/** The summary of a training run. */
export interface TrackingRunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  status: TrackingRunStatus;
  startTime: number;
  endTime: number | undefined;
  /** `file:`-style folder (embedded) or `mlflow-artifacts:/...` (MLflow). */
  artifactUri: string;
}

/** A training run with its data. */
export interface TrackingRun {
  info: TrackingRunInfo;
  /** Latest value of each metric (highest step, then latest timestamp). */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  inputs: DatasetInput[];
}

/** What {@link TrackingStore.logBatch} writes; each part is optional. */
export interface LogBatch {
  metrics?: readonly MetricInput[];
  /** Params as a record or a list (immutable once logged). */
  params?: Readonly<Record<string, string | number | boolean>>;
  tags?: Readonly<Record<string, string>>;
}

/** One entry of an artifact listing. */
export interface ArtifactInfo {
  /** Path relative to the run's artifact root, with `/` separators. */
  path: string;
  isDir: boolean;
  /** Size in bytes (files only). */
  fileSize: number | undefined;
}

/** A comparison in a metric filter. */
export type MetricComparator = '>' | '>=' | '<' | '<=' | '=' | '!=';

/**
 * A comparison on a string (params, tags), as in MLflow: `LIKE` matches `%` (any run of characters)
 * and `_` (one character) case-sensitively, `ILIKE` case-insensitively.
 */
export type StringComparator = '=' | '!=' | 'LIKE' | 'ILIKE';

/** Every {@link StringComparator}. */
export const STRING_COMPARATORS: readonly StringComparator[] = ['=', '!=', 'LIKE', 'ILIKE'];

/** Every {@link MetricComparator}. */
export const METRIC_COMPARATORS: readonly MetricComparator[] = ['>', '>=', '<', '<=', '=', '!='];

/** One comparison of a param's or tag's value; runs without the key never match (as in MLflow). */
export interface StringFilter {
  key: string;
  comparator: StringComparator;
  value: string;
}

/** Filter and order of {@link TrackingStore.searchRuns}. */
export interface SearchRunsQuery {
  experimentIds: readonly string[];
  /** Runs carrying all these tags (exact values). */
  tags?: Readonly<Record<string, string>>;
  /** Runs whose tags satisfy all these comparisons (besides `tags`). */
  tagFilters?: readonly StringFilter[];
  /** Runs whose params satisfy all these comparisons. */
  params?: readonly StringFilter[];
  /** Runs whose latest metric values satisfy all these comparisons. */
  metrics?: readonly { key: string; comparator: MetricComparator; value: number }[];
  /** Only runs in one of these statuses. */
  statuses?: readonly TrackingRunStatus[];
  /** Order by a metric (`metrics.<key>`), or `start_time` (default), descending unless `ascending`. */
  orderBy?: { field: 'start_time' } | { field: 'metric'; key: string };
  ascending?: boolean;
  /** Default 1000. */
  maxResults?: number;
}

/** What {@link TrackingStore.searchRunsPage} takes: a search, and where the previous page ended. */
export interface SearchRunsPageQuery extends SearchRunsQuery {
  /** The previous page's `nextPageToken`; default: the first page. Opaque, store-specific. */
  pageToken?: string;
}

/** One page of {@link TrackingStore.searchRunsPage}. */
export interface SearchRunsPage {
  runs: TrackingRun[];
  /** Give it back as `pageToken` for the next page; undefined on the last page. */
  nextPageToken: string | undefined;
}

/** A registered model: a named series of model versions with aliases. */
export interface RegisteredModel {
  name: string;
  description: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  tags: Record<string, string>;
  /** Alias -> version, e.g. `{ champion: '3' }`. */
  aliases: Record<string, string>;
  /** Newest version number, when there is one. */
  latestVersion: string | undefined;
}

/** One version of a registered model. */
export interface ModelVersion {
  name: string;
  /** `'1'`, `'2'`, ... (strings, as in MLflow). */
  version: string;
  /** Where the model folder is (`runs:`-style or `mlflow-artifacts:/...`). */
  source: string;
  runId: string | undefined;
  description: string;
  tags: Record<string, string>;
  aliases: string[];
  creationTimestamp: number;
  status: 'READY' | 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION';
}

/** One recorded move of an alias (see `ModelRegistry.aliasHistory`). */
export interface AliasMove {
  /** The registered model. */
  name: string;
  alias: string;
  /** The version it pointed at before; undefined when the alias was new. */
  fromVersion: string | undefined;
  /** The version it points at since; undefined when the alias was deleted. */
  toVersion: string | undefined;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** Why (may be empty). */
  reason: string;
  /** Who: a user name or a pipeline run (`lakeloop run <id>`). */
  by: string;
}

/** Tags lakeloop sets on model versions and training runs to keep lineage. */
export const LineageTag = {
  /** The data repository commit the model was trained on. */
  DATA_COMMIT: 'lakeloop.data_commit',
  /** The data repository (name or URI). */
  DATA_REPOSITORY: 'lakeloop.data_repository',
  /** The branch the data commit was read from, when known. */
  DATA_BRANCH: 'lakeloop.data_branch',
  /** The pipeline run that trained the model. */
  PIPELINE_RUN_ID: 'lakeloop.pipeline_run_id',
  /** The asset whose step started the training run. */
  ASSET_KEY: 'lakeloop.asset_key',
  /** The partition of that step, for partitioned assets. */
  PARTITION: 'lakeloop.partition',
  /** The step's attempt (1 for the first, 2 after one retry). */
  ATTEMPT: 'lakeloop.attempt',
} as const;
