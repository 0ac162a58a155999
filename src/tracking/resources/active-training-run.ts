/**
 * A training run started from a step (`ctx.resources.tracking.startRun`): params and metrics are
 * buffered and written in batches (on `flush`, on dispose and at the end), tags, artifacts and
 * models are written at once, and the run's final status is written by the step's end
 * (see tracking-resource.ts) unless `end()` was called first.
 *
 * @example
 * ```ts
 * await using run = await ctx.resources.tracking.startRun({ experiment: 'flights' });
 * run.logParams({ learning_rate: 0.1 });
 * for (let i = 0; i < 100; i++) run.logMetric('train_loss', loss[i], i);
 * await run.logModel({ model }); // signature from the model's feature names
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { Clock } from '../../clock.js';
import { MetricBuffer } from '../metric-buffer.js';
import { logModel } from '../model/model-logging.js';
import type { LogModelOptions } from '../model/model-logging.js';
import type { TrackingStore } from '../tracking-store.js';
import type { DatasetInput, TrackingRunStatus } from '../tracking-types.js';
import { validateKey } from '../tracking-validation.js';

/** A param value (written as its string form, as MLflow does). */
export type ParamValue = string | number | boolean;

/** Statuses a training run can end with. */
export type TrainingRunEndStatus = Extract<TrackingRunStatus, 'FINISHED' | 'FAILED' | 'KILLED'>;

/** A RUNNING training run bound to one step. */
export class ActiveTrainingRun implements AsyncDisposable {
  /** The training run's id. */
  readonly id: string;
  readonly experimentId: string;
  readonly runName: string;
  /** The store it writes to (for what this class does not wrap). */
  readonly store: TrackingStore;
  readonly #metrics: MetricBuffer;
  /** Params logged (written or not): a second, different value is refused at once. */
  readonly #params = new Map<string, string>();
  #unwrittenParams: Record<string, string> = {};
  #status: TrainingRunEndStatus | undefined;

  constructor(init: {
    store: TrackingStore;
    runId: string;
    experimentId: string;
    runName: string;
    clock?: Clock;
  }) {
    this.store = init.store;
    this.id = init.runId;
    this.experimentId = init.experimentId;
    this.runName = init.runName;
    this.#metrics = new MetricBuffer({
      store: init.store,
      runId: init.runId,
      ...(init.clock === undefined ? {} : { clock: init.clock }),
    });
  }

  /** The status it ended with, or undefined while RUNNING. */
  get endStatus(): TrainingRunEndStatus | undefined {
    return this.#status;
  }

  /** Buffers a param; CONFLICT at once when the key already has another value. */
  logParam(key: string, value: ParamValue): void {
    this.#writable();
    validateKey('param', key);
    const text = String(value);
    const earlier = this.#params.get(key);
    if (earlier === text) return;
    if (earlier !== undefined) {
      throw new LakeloopError(
        'CONFLICT',
        `Param "${key}" of training run ${this.id} is already "${earlier}"; params are immutable, log "${text}" under another key.`,
      );
    }
    this.#params.set(key, text);
    this.#unwrittenParams[key] = text;
  }

  /** Buffers several params (see {@link logParam}). */
  logParams(params: Readonly<Record<string, ParamValue>>): void {
    for (const [key, value] of Object.entries(params)) this.logParam(key, value);
  }

  /** Buffers one metric point (`step` default 0); written in batches of 1000. */
  logMetric(key: string, value: number, step = 0): void {
    this.#writable();
    this.#metrics.log(key, value, step);
  }

  /** Buffers several metrics at the same step. */
  logMetrics(metrics: Readonly<Record<string, number>>, step = 0): void {
    for (const [key, value] of Object.entries(metrics)) this.logMetric(key, value, step);
  }

  /** Sets a tag now. */
  async setTag(key: string, value: string): Promise<void> {
    await this.setTags({ [key]: value });
  }

  /** Sets tags now. */
  async setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    this.#writable();
    await this.store.setTags(this.id, tags);
  }

  /** Logs a local file as `<artifactPath>/<file name>` (MLflow's `log_artifact`). */
  async logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    this.#writable();
    await this.store.logArtifact(this.id, localPath, artifactPath);
  }

  /** Logs a local folder's contents under `artifactPath` (MLflow's `log_artifacts`). */
  async logArtifacts(localDir: string, artifactPath?: string): Promise<void> {
    this.#writable();
    await this.store.logArtifact(this.id, localDir, artifactPath);
  }

  /** Records input datasets. */
  async logInputs(inputs: readonly DatasetInput[]): Promise<void> {
    this.#writable();
    await this.store.logInputs(this.id, inputs);
  }

  /** Logs a model folder (see `logModel`; the signature is inferred from a lakeloop model). */
  async logModel(options: LogModelOptions): Promise<{ artifactPath: string; modelUuid: string }> {
    this.#writable();
    return logModel(this.store, this.id, options);
  }

  /** Writes the buffered params and metrics. */
  async flush(): Promise<void> {
    const params = this.#unwrittenParams;
    if (Object.keys(params).length > 0) {
      await this.store.logParams(this.id, params);
      this.#unwrittenParams = {};
    }
    await this.#metrics.flush();
  }

  /**
   * Flushes and ends the run (once; later calls do nothing). When the flush fails the run ends
   * FAILED and the flush's error is thrown: a run whose data is incomplete is never FINISHED.
   */
  async end(status: TrainingRunEndStatus = 'FINISHED'): Promise<void> {
    if (this.#status !== undefined) return;
    const flushed = await this.flush().then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    this.#status = flushed.ok ? status : 'FAILED';
    await this.store.endRun(this.id, this.#status);
    if (!flushed.ok) {
      throw flushed.error instanceof Error
        ? flushed.error
        : new LakeloopError('INTERNAL', `Training run ${this.id} ended FAILED: ${String(flushed.error)}`);
    }
  }

  /** Flushes only: the status is written when the step ends (JavaScript's dispose cannot see a throw). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#status === undefined) await this.flush();
  }

  #writable(): void {
    if (this.#status !== undefined) {
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        `Training run ${this.id} has ended (${this.#status}); start another run to log more.`,
      );
    }
  }
}
