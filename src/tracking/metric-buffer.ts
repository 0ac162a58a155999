/**
 * A metric buffer for training loops: `log()` is synchronous and cheap; points are written with
 * `logBatch` (one transaction on the embedded store, requests of 1000 on MLflow) every
 * `maxPoints` points and on `flush()` / `close()`. Nothing is dropped silently: when a write
 * fails, the unwritten points go back to the buffer, and the error is thrown by the next
 * `log()`, `flush()` or `close()` (`flush()` retries them).
 *
 * @example
 * ```ts
 * await using buffer = new MetricBuffer({ store: tracking, runId });
 * for (let step = 0; step < 1000; step++) buffer.log('loss', loss[step], step);
 * await buffer.flush();
 * ```
 */
import { LakeloopError, isLakeloopError } from '../errors.js';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import type { TrackingStore } from './tracking-store.js';
import type { MetricInput } from './tracking-types.js';
import { validateKey } from './tracking-validation.js';

/** Options of {@link MetricBuffer}. */
export interface MetricBufferOptions {
  store: TrackingStore;
  runId: string;
  /** Points buffered before a write starts. Default 1000. */
  maxPoints?: number;
  /** Timestamps of the points. Default: the system clock. */
  clock?: Clock;
}

/** Buffers metric points of one run and writes them in batches. */
export class MetricBuffer implements AsyncDisposable {
  readonly #store: TrackingStore;
  readonly #runId: string;
  readonly #maxPoints: number;
  readonly #clock: Clock;
  #points: MetricInput[] = [];
  #writing: Promise<void> = Promise.resolve();
  #error: unknown = undefined;
  #closed = false;

  constructor(options: MetricBufferOptions) {
    this.#store = options.store;
    this.#runId = options.runId;
    this.#maxPoints = Math.max(1, options.maxPoints ?? 1000);
    this.#clock = options.clock ?? systemClock;
  }

  /** Points not yet written. */
  get pending(): number {
    return this.#points.length;
  }

  /** Buffers one point (`step` default 0); throws the error of a failed earlier write. */
  log(key: string, value: number, step = 0): void {
    if (this.#closed) throw new LakeloopError('PRECONDITION_FAILED', 'This metric buffer is closed.');
    this.#throwPending();
    validateKey('metric', key);
    this.#points.push({ key, value, step, timestamp: this.#clock.now() });
    if (this.#points.length >= this.#maxPoints) this.#startWrite();
  }

  /** Writes every buffered point (retrying those of a failed write); throws when a write fails. */
  async flush(): Promise<void> {
    await this.#writing;
    this.#error = undefined;
    this.#startWrite();
    await this.#writing;
    this.#throwPending();
  }

  /** Flushes and closes the buffer (not the store). */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #startWrite(): void {
    if (this.#points.length === 0) return;
    const batch = this.#points;
    this.#points = [];
    this.#writing = this.#writing.then(async () => {
      try {
        await this.#store.logBatch(this.#runId, { metrics: batch });
      } catch (error) {
        const written =
          isLakeloopError(error) && typeof error.details?.written === 'number' ? error.details.written : 0;
        this.#points = [...batch.slice(written), ...this.#points];
        this.#error = error;
      }
    });
  }

  #throwPending(): void {
    if (this.#error === undefined) return;
    const error = this.#error;
    throw new LakeloopError(
      isLakeloopError(error) ? error.code : 'UNAVAILABLE',
      `Writing metrics of run ${this.#runId} failed; ${this.#points.length} points are kept in the buffer: call flush() to retry.`,
      { cause: error },
    );
  }
}
