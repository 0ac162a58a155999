/**
 * The prediction log of `lakeloop serve --log-predictions lakefs://repo/branch/prefix/`: what the
 * server answered — inputs and predictions, with the version that answered — becomes versioned
 * data the pipeline can monitor and, later, label. Off the request path: `record` only keeps a
 * reference to the request's arrays in a bounded buffer (full → the rows are dropped and counted,
 * a request never waits); every `everyRows` rows or `everySeconds` seconds a flush encodes the
 * buffer as one Parquet file per model version (in a worker thread, parquet-encoder.ts), stages
 * the files and commits them in one commit. Crash safety comes from the data repository: each
 * file is staged whole, and a commit is atomic — a killed server leaves committed files whole and
 * at most some whole files staged, which the next commit on the branch takes along.
 *
 * @example
 * ```ts
 * const log = await PredictionLog.open({ data, uri: 'lakefs://flights/predictions/served/', everyRows: 10_000, everySeconds: 60 });
 * log.record({ model, matrix, rows, predictions });
 * await log.close(); // flushes
 * ```
 */
import { describeError, isLakeloopError, LakeloopError } from '../errors.js';
import type { DataRepository } from '../versioning/data-repository.js';
import { parseDataUri } from '../versioning/data-uri.js';
import type { ServingLogger } from './alias-follower.js';
import { ParquetEncoder } from './parquet-encoder.js';
import type { ServedModel } from './served-model.js';

/** Options of {@link PredictionLog.open}. */
export interface PredictionLogOptions {
  data: DataRepository;
  /** `lakefs://<repository>/<branch>/<prefix>/`: where the files go (the branch must exist). */
  uri: string;
  /** Commit when this many rows wait. Default 10,000. */
  everyRows?: number;
  /** Commit waiting rows at least this often. Default 60. */
  everySeconds?: number;
  /** Rows the buffer holds at most; beyond, rows are dropped (and counted). Default 100,000. */
  maxBufferedRows?: number;
  /** Distinguishes the files of several processes logging to one prefix. Default the pid. */
  fileTag?: string;
  /** Default: silent. */
  logger?: ServingLogger;
  /** Default `Date.now`. */
  now?: () => number;
}

/** One answered request. */
export interface LoggedRequest {
  model: ServedModel;
  matrix: Float32Array;
  rows: number;
  predictions: Float64Array;
}

/** What the log has done, for `GET /model`. */
export interface PredictionLogStats {
  uri: string;
  bufferedRows: number;
  committedRows: number;
  droppedRows: number;
  commits: number;
  lastCommitId: string | undefined;
  lastError: string | undefined;
}

interface Buffered extends LoggedRequest {
  servedAtMs: number;
}

/** The prediction log (see the module comment). */
export class PredictionLog {
  readonly #data: DataRepository;
  readonly #repository: string;
  readonly #branch: string;
  readonly #prefix: string;
  readonly #everyRows: number;
  readonly #maxBufferedRows: number;
  readonly #fileTag: string;
  readonly #logger: ServingLogger | undefined;
  readonly #now: () => number;
  readonly #encoder = new ParquetEncoder();
  readonly #timer: NodeJS.Timeout;
  readonly #stats: PredictionLogStats;
  #buffer: Buffered[] = [];
  #flushing: Promise<void> | undefined;
  #files = 0;
  #closed = false;

  private constructor(
    options: PredictionLogOptions,
    target: { repository: string; branch: string; prefix: string },
  ) {
    this.#data = options.data;
    this.#repository = target.repository;
    this.#branch = target.branch;
    this.#prefix = target.prefix;
    this.#everyRows = options.everyRows ?? 10_000;
    this.#maxBufferedRows = options.maxBufferedRows ?? 100_000;
    this.#fileTag = options.fileTag ?? String(process.pid);
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#stats = {
      uri: options.uri,
      bufferedRows: 0,
      committedRows: 0,
      droppedRows: 0,
      commits: 0,
      lastCommitId: undefined,
      lastError: undefined,
    };
    this.#timer = setInterval(
      () => {
        if (this.#stats.bufferedRows > 0) void this.flush();
      },
      (options.everySeconds ?? 60) * 1000,
    );
    this.#timer.unref();
  }

  /** Checks the destination (the repository and the branch must exist) and starts the log. */
  static async open(options: PredictionLogOptions): Promise<PredictionLog> {
    const parsed = parseDataUri(options.uri);
    const prefix = parsed.path === '' || parsed.path.endsWith('/') ? parsed.path : `${parsed.path}/`;
    try {
      await options.data.getBranch({ repository: parsed.repository, branch: parsed.ref });
    } catch (cause) {
      throw new LakeloopError(
        'NOT_FOUND',
        `--log-predictions ${options.uri}: no branch "${parsed.ref}" in data repository "${parsed.repository}"; create it first (\`lakeloop data branch create\`).`,
        { cause },
      );
    }
    return new PredictionLog(options, { repository: parsed.repository, branch: parsed.ref, prefix });
  }

  /** Counts of what was buffered, committed and dropped. */
  stats(): PredictionLogStats {
    return { ...this.#stats };
  }

  /** Buffers one answered request (O(1), never blocks; drops when the buffer is full). */
  record(entry: LoggedRequest): void {
    if (this.#closed || this.#stats.bufferedRows + entry.rows > this.#maxBufferedRows) {
      this.#stats.droppedRows += entry.rows;
      return;
    }
    this.#buffer.push({ ...entry, servedAtMs: this.#now() });
    this.#stats.bufferedRows += entry.rows;
    if (this.#stats.bufferedRows >= this.#everyRows && this.#flushing === undefined) void this.flush();
  }

  /** Writes and commits what is buffered now (one flush at a time; resolves when this one is done). */
  flush(): Promise<void> {
    const next = (this.#flushing ?? Promise.resolve()).then(() => this.#flushOnce());
    this.#flushing = next;
    void next.finally(() => {
      if (this.#flushing === next) this.#flushing = undefined;
    });
    return next;
  }

  /** Flushes what is buffered and stops (later records are dropped). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
    await this.#encoder.close();
  }

  async #flushOnce(): Promise<void> {
    const taken = this.#buffer;
    if (taken.length === 0) return;
    this.#buffer = [];
    const rows = taken.reduce((n, entry) => n + entry.rows, 0);
    this.#stats.bufferedRows -= rows;
    try {
      const groups = new Map<ServedModel, Buffered[]>();
      for (const entry of taken) groups.set(entry.model, [...(groups.get(entry.model) ?? []), entry]);
      const versions: string[] = [];
      for (const [model, entries] of groups) {
        await this.#stageFile(model, entries);
        versions.push(model.info.version);
      }
      const [first] = groups.keys();
      const commit = await this.#commit({
        message: `lakeloop serve: ${rows} prediction(s) of ${first?.info.name ?? ''} v${versions.join(', v')}`,
        metadata: {
          'lakeloop.model': first?.info.name ?? '',
          'lakeloop.model_versions': versions.join(','),
          'lakeloop.rows': String(rows),
          'lakeloop.dropped_rows': String(this.#stats.droppedRows),
        },
      });
      this.#stats.committedRows += rows;
      this.#stats.commits++;
      if (commit !== undefined) this.#stats.lastCommitId = commit;
      this.#stats.lastError = undefined;
      this.#logger?.info(
        { rows, commitId: commit, uri: this.#stats.uri },
        `Prediction log: ${rows} row(s) committed to ${this.#stats.uri}`,
      );
    } catch (error) {
      // The rows are lost (counted as dropped); staged files stay and go with the next commit.
      this.#stats.droppedRows += rows;
      this.#stats.lastError = describeError(error);
      this.#logger?.error(
        { rows, error: this.#stats.lastError },
        `Prediction log: ${rows} row(s) not committed: ${this.#stats.lastError}`,
      );
    }
  }

  async #stageFile(model: ServedModel, entries: readonly Buffered[]): Promise<void> {
    const width = model.columns;
    const rows = entries.reduce((n, entry) => n + entry.rows, 0);
    const matrix = new Float32Array(rows * width);
    const predictions = new Float64Array(rows);
    const servedAtMs = new Float64Array(rows);
    let at = 0;
    for (const entry of entries) {
      matrix.set(entry.matrix.subarray(0, entry.rows * width), at * width);
      predictions.set(entry.predictions, at);
      servedAtMs.fill(entry.servedAtMs, at, at + entry.rows);
      at += entry.rows;
    }
    const bytes = await this.#encoder.encode({
      modelName: model.info.name,
      modelVersion: model.info.version,
      featureNames: model.featureNames,
      matrix,
      predictions,
      servedAtMs,
      rows,
    });
    const stamp = new Date(servedAtMs[0] ?? this.#now()).toISOString();
    const path = `${this.#prefix}${stamp.slice(0, 10)}/${stamp.replaceAll(/[-:.]/g, '')}-${this.#fileTag}-${this.#files++}-v${model.info.version}.parquet`;
    await this.#data.putObject({
      repository: this.#repository,
      branch: this.#branch,
      path,
      content: bytes,
      contentType: 'application/vnd.apache.parquet',
      metadata: { 'lakeloop-rows': String(rows), 'lakeloop-model-version': model.info.version },
    });
  }

  /** Commits the staged files; undefined when another process's commit took them along already. */
  async #commit(options: { message: string; metadata: Record<string, string> }): Promise<string | undefined> {
    try {
      return (
        await this.#data.commit({
          repository: this.#repository,
          branch: this.#branch,
          message: options.message,
          metadata: options.metadata,
          committer: 'lakeloop-serve',
        })
      ).id;
    } catch (error) {
      if (
        isLakeloopError(error, 'PRECONDITION_FAILED') &&
        /nothing to commit|no changes/i.test(error.message)
      )
        return undefined;
      throw error;
    }
  }
}
