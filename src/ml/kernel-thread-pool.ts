/**
 * A pool of `worker_threads` workers that share the training arena (one shared `WebAssembly.Memory`) with
 * the main thread and are driven synchronously with `Atomics.wait`/`Atomics.notify`: one control
 * word per task instead of a `postMessage` per tree node. The main thread always takes part 0 of
 * a task itself; workers take parts 1..threads-1.
 *
 * @example
 * ```ts
 * await using pool = await KernelThreadPool.start({ threads: 2, shared: { memory, regions, columns, histogramBytes, kernels } });
 * pool.run({ task: 'histogramAll', start: 0, count: rows }, (from, to) => kernels.histogramAll(from, to, hist));
 * ```
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LakeloopError } from '../errors.js';
import {
  arriveAtBarrier,
  kernelWorkerSource,
  partRange,
  type KernelWorkerData,
  type PartitionSpec,
} from './gbdt-kernels.js';
import type { GbdtPhaseProfile } from './gbdt-phase-profile.js';

/**
 * Polls of a control word before a thread sleeps in `Atomics.wait`: about 30 microseconds, which
 * covers the calling thread's work between two tasks of a tree (merging a histogram, finding two
 * splits), so most tasks find the workers awake. Measured on 200k-row fits: 2,000 polls (~11 µs)
 * 0.75 s, 6,000 polls 0.72 s on a quiet machine; with another process busy on one of two cores
 * 1.17 s and 1.33 s (the spinning thread steals the core of the one it waits for; 20,000 polls
 * made that 1.9 s). With more threads than cores, none at all, as OpenMP runtimes also throttle.
 */
function spinLimitFor(threads: number): number {
  return threads <= availableParallelism() ? 6_000 : 0;
}

/**
 * Most threads a pool runs (the calling one included): the control words hold one "done" word and
 * one result word per thread, in blocks of 16 (see `kernelWorkerMain`).
 */
export const MAX_POOL_THREADS = 16;

/** Seconds a task may take before the pool considers a worker dead. */
const JOIN_TIMEOUT_SECONDS = 600;

/** The tasks a worker knows. */
export const KernelTask = {
  histogramAll: 1,
  gradients: 3,
  binning: 4,
  partition: 5,
  logistic: 6,
  partitionHistogram: 7,
  histogramSums: 9,
} as const;

/** A task name, e.g. `'histogramAll'`. */
export type KernelTask = keyof typeof KernelTask;

/** One task run across the pool. */
export interface KernelRun {
  task: KernelTask;
  /** First position of the range the parts share. */
  start: number;
  /** Length of the range. */
  count: number;
  /** Objective code for `gradients` (0 log-loss, 1 squared error). Default 0. */
  objective?: number;
  /** Output row offset for `binning`. Default 0. */
  outOffset?: number;
  /**
   * `partition`/`partitionHistogram`: the partition as the calling thread's part sees it (every
   * worker builds its own from the control words, with its own staging and histogram addresses).
   */
  partition?: PartitionSpec;
  /** `gradients`: the leaf table of the values to add to the scores first (byte address, entries). */
  leafTable?: { address: number; leaves: number };
}

/** Options of {@link KernelThreadPool.start}. */
export interface KernelThreadPoolOptions {
  /** Total threads including the main thread (>= 1; more than {@link MAX_POOL_THREADS} run as that many). With 1 no worker is started. */
  threads: number;
  /** What every worker maps: the shared training arena and the kernels; required when threads > 1. */
  shared: Omit<KernelWorkerData, 'index' | 'threads' | 'control' | 'spinLimit'> | null;
}

/** Synchronous fork-join over worker threads sharing memory. */
export class KernelThreadPool {
  readonly threads: number;
  /** When set and enabled, counts tasks and the time spent joining the workers. */
  profile: GbdtPhaseProfile | undefined;
  readonly #workers: Worker[];
  readonly #control: Int32Array;
  readonly #spinLimit: number;
  #generation = 0;
  #closed = false;
  /** A worker failed or stopped answering: no more tasks, but `close` still stops the others. */
  #broken = false;

  private constructor(threads: number, workers: Worker[], control: Int32Array) {
    this.threads = threads;
    this.#workers = workers;
    this.#control = control;
    this.#spinLimit = spinLimitFor(threads);
  }

  /** Starts `threads - 1` workers and resolves once all of them run. */
  static async start(options: KernelThreadPoolOptions): Promise<KernelThreadPool> {
    const threads = Math.min(MAX_POOL_THREADS, Math.max(1, Math.floor(options.threads)));
    // 64 control words, then room for a failing worker's message (see `kernelWorkerMain`).
    const control = new Int32Array(new SharedArrayBuffer(64 * 4 + 4096), 0, 64);
    if (threads === 1 || options.shared === null) return new KernelThreadPool(1, [], control);
    const source = kernelWorkerSource();
    const workers: Worker[] = [];
    try {
      for (let index = 1; index < threads; index++) {
        const worker = new Worker(source, {
          eval: true,
          workerData: {
            ...options.shared,
            index,
            threads,
            control: control.buffer,
            spinLimit: spinLimitFor(threads),
          } satisfies KernelWorkerData,
        });
        workers.push(worker);
      }
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once('online', resolve);
              worker.once('error', reject);
            }),
        ),
      );
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw new LakeloopError('INTERNAL', 'Could not start training worker threads; retry with threads: 1.', {
        cause: error,
      });
    }
    return new KernelThreadPool(threads, workers, control);
  }

  /**
   * Runs a task: workers take parts 1.., `mainPart(from, to)` runs part 0 on this thread; returns
   * when every part is done.
   */
  run(spec: KernelRun, mainPart: (from: number, to: number) => void): void {
    if (this.#closed) throw new LakeloopError('PRECONDITION_FAILED', 'The kernel thread pool is closed.');
    if (this.#broken) {
      throw new LakeloopError(
        'INTERNAL',
        'A training worker thread failed earlier; retry, or train with threads: 1.',
      );
    }
    if (this.threads === 1) {
      mainPart(spec.start, spec.start + spec.count);
      return;
    }
    const control = this.#control;
    const generation = ++this.#generation;
    control[1] = KernelTask[spec.task];
    control[2] = spec.start;
    control[3] = spec.count;
    control[4] = spec.objective ?? 0;
    control[5] = spec.outOffset ?? 0;
    const partition = spec.partition;
    control[6] = partition?.feature ?? 0;
    control[7] = partition?.bin ?? 0;
    control[8] = partition?.missingLeft ?? 0;
    control[9] = partition?.histogram?.left === true ? 1 : 0;
    control[10] = spec.leafTable?.address ?? 0;
    control[11] = spec.leafTable?.leaves ?? 0;
    control[12] = partition?.allRows === true ? 1 : 0;
    control[13] = 0; // the barrier inside partition tasks (see `arriveAtBarrier`)
    control[49] = partition?.source ?? 0;
    control[50] = partition?.target ?? 0;
    control[51] = partition?.countLeft ?? 0;
    Atomics.store(control, 0, generation);
    Atomics.notify(control, 0);
    const [from, to] = partRange(spec.start, spec.count, 0, this.threads);
    mainPart(from, to);
    const profile = this.profile;
    if (profile?.enabled === true) {
      const since = performance.now();
      this.#join(generation);
      profile.poolTasks++;
      profile.joinWaitMs += performance.now() - since;
      return;
    }
    this.#join(generation);
  }

  /**
   * The calling thread's part of the barrier inside a partition task with more than two parts: it
   * has partitioned its share, so the middle parts may gather theirs (see `partitionPart`). It does
   * not wait: the join at the end of the task does.
   */
  arriveAtBarrier(): void {
    arriveAtBarrier(this.#control, this.threads);
  }

  #join(generation: number): void {
    const control = this.#control;
    for (let part = 1; part < this.threads; part++) {
      // Spin first (bounded): shares usually finish within microseconds of each other.
      for (
        let spin = 0;
        spin < this.#spinLimit &&
        Atomics.load(control, 16 + part) !== generation &&
        Atomics.load(control, 15) === 0;
        spin++
      );
      // A task takes milliseconds; a worker silent for minutes has died (its exit event cannot
      // be delivered while this thread waits), so give up instead of hanging forever.
      for (let waited = 0; ; waited++) {
        this.#throwIfWorkerFailed();
        const done = Atomics.load(control, 16 + part);
        if (done === generation) break;
        if (waited > JOIN_TIMEOUT_SECONDS) {
          this.#broken = true;
          throw new LakeloopError(
            'INTERNAL',
            `Training worker thread ${part} stopped answering; retry, or train with threads: 1.`,
          );
        }
        Atomics.wait(control, 16 + part, done, 1000);
      }
    }
  }

  /** Throws (and closes the pool) once a worker has reported a failure. */
  #throwIfWorkerFailed(): void {
    const control = this.#control;
    const part = Atomics.load(control, 15);
    if (part === 0) return;
    this.#broken = true;
    const bytes = new Uint8Array(control.buffer, 256, control[48]);
    const message = new TextDecoder().decode(bytes.slice());
    throw new LakeloopError(
      'INTERNAL',
      `Training worker thread ${part} failed (${message.split('\n')[0] ?? ''}); retry, or train with threads: 1.`,
      { cause: new Error(message) },
    );
  }

  /** The control words: after a task, part p's result (partition: left rows) is at 32 + p. */
  get control(): Int32Array {
    return this.#control;
  }

  /** Stops the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#workers.length === 0) return;
    const control = this.#control;
    control[1] = 0;
    Atomics.store(control, 0, ++this.#generation);
    Atomics.notify(control, 0);
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
