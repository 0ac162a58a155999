/**
 * The `TrackingStore` interface: what every tracking backend (embedded SQLite, MLflow server)
 * implements. Names follow MLflow's client API.
 *
 * @example
 * ```ts
 * await using tracking = await openTracking();
 * const experiment = await tracking.getOrCreateExperiment('flight-delays');
 * const run = await tracking.createRun({ experimentId: experiment.experimentId, name: 'train' });
 * await tracking.logBatch(run.info.runId, { params: { lr: 0.1 }, metrics: [{ key: 'auc', value: 0.79 }] });
 * await tracking.endRun(run.info.runId, 'FINISHED');
 * ```
 */
import type {
  ArtifactInfo,
  DatasetInput,
  Experiment,
  LogBatch,
  Metric,
  SearchRunsPage,
  SearchRunsPageQuery,
  SearchRunsQuery,
  TrackingRun,
  TrackingRunStatus,
} from './tracking-types.js';
import type { DownsampledMetric, DownsampleOptions } from './metric-downsampling.js';

/** Options of {@link TrackingStore.createRun}. */
export interface CreateRunOptions {
  experimentId: string;
  /** Run name (MLflow's `mlflow.runName`). Default: a generated name. */
  name?: string;
  tags?: Readonly<Record<string, string>>;
  /** Default: the store's clock. */
  startTime?: number;
}

/** Options of {@link TrackingStore.downloadArtifacts}. */
export interface DownloadArtifactsOptions {
  /** Artifact path (file or folder) relative to the run's root; default: the whole root. */
  path?: string;
  /** Local folder to write into (created when missing). */
  destination: string;
}

/** Experiment tracking: experiments, training runs, params, metrics, tags, inputs, artifacts. */
export interface TrackingStore extends AsyncDisposable {
  /** A description of the backend (`embedded:<path>` or the server URL, never credentials). */
  readonly uri: string;

  /** Returns the experiment called `name`, creating it when missing (safe under races). */
  getOrCreateExperiment(name: string): Promise<Experiment>;
  /** Returns the experiment with this id; NOT_FOUND when there is none. */
  getExperiment(experimentId: string): Promise<Experiment>;
  /** Returns the experiment called `name`; NOT_FOUND when there is none. */
  getExperimentByName(name: string): Promise<Experiment>;
  /** Lists the active experiments, by name. */
  listExperiments(): Promise<Experiment[]>;

  /** Starts a run in RUNNING status. */
  createRun(options: CreateRunOptions): Promise<TrackingRun>;
  /** Returns a run with its latest metrics, params, tags and inputs; NOT_FOUND when unknown. */
  getRun(runId: string): Promise<TrackingRun>;
  /** Ends a run with a terminal status (FINISHED, FAILED, KILLED). */
  endRun(runId: string, status: TrackingRunStatus, endTime?: number): Promise<void>;
  /** Finds runs of experiments by tags, metric comparisons and status. */
  searchRuns(query: SearchRunsQuery): Promise<TrackingRun[]>;
  /**
   * One page (`maxResults` runs, default 1000) of the same search; pass `nextPageToken` back as
   * `pageToken` for the next. INVALID_ARGUMENT on a token this store did not give.
   */
  searchRunsPage(query: SearchRunsPageQuery): Promise<SearchRunsPage>;

  /** Logs params; a different value for a key already logged is a CONFLICT (same value is fine). */
  logParams(runId: string, params: Readonly<Record<string, string | number | boolean>>): Promise<void>;
  /** Logs one metric point (`step` default 0, timestamp from the clock). */
  logMetric(runId: string, key: string, value: number, step?: number): Promise<void>;
  /** Sets tags (overwriting earlier values). */
  setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** Logs metrics, params and tags together; all or nothing on the embedded store. */
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  /** Every point of one metric, by step then timestamp. */
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;
  /**
   * Optional fast path: exactly `downsampleMetric(await getMetricHistory(runId, key), options)`,
   * computed without reading the whole history. Callers go through `sampledMetricHistory`, which
   * falls back to that when a store has none.
   */
  getMetricHistorySampled?(
    runId: string,
    key: string,
    options?: DownsampleOptions,
  ): Promise<DownsampledMetric>;
  /** Records input datasets (e.g. the data repository commit trained on). */
  logInputs(runId: string, inputs: readonly DatasetInput[]): Promise<void>;

  /**
   * Logs a local file or folder. A file lands at `<artifactPath>/<file name>`; a folder's contents
   * land under `<artifactPath>` (MLflow's `log_artifact` / `log_artifacts`).
   */
  logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<void>;
  /** Lists the direct children of `path` (default: the root) in a run's artifacts. */
  listArtifacts(runId: string, path?: string): Promise<ArtifactInfo[]>;
  /** Downloads a file or folder of a run's artifacts; returns the local path written. */
  downloadArtifacts(runId: string, options: DownloadArtifactsOptions): Promise<string>;

  /** Flushes anything buffered and releases resources. */
  close(): Promise<void>;
}
