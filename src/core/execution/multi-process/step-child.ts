/**
 * One sandboxed step child process (step-worker.ts, forked with the IPC channel) as a handle: it
 * loads the definitions module and opens the IO manager once, then runs step tasks one at a
 * time. A step that blocks its event loop blocks only the child: the process that owns the child
 * (a `lakeloop worker`) keeps renewing its queue locks. Cancellation sends `abort` (the step's
 * `ctx.signal`) and kills the child when the step does not stop within `abortGraceMs`; a child
 * that exits mid-step ends the step as a FAILURE (retryable unless it was canceled).
 *
 * @example
 * ```ts
 * const child = StepChild.start({ module: '/srv/defs.ts', instanceHome, ioUrl: 'file:///shared/values' });
 * const outcome = await child.run(task, { signal, log: (level, message) => {} });
 * await child.close();
 * ```
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LakeloopError } from '../../../errors.js';
import type { SerializedError } from '../../events/event-types.js';
import type { StepChannel, StepOutcome, StepTask } from '../executor.js';
import { serializeError } from '../serialize-error.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';
import { stepFailure } from '../step-failure.js';

const here = fileURLToPath(import.meta.url);
/** The entry module of a step child. */
export const stepWorkerEntry = resolve(here, '..', `step-worker${extname(here)}`);
/**
 * Node arguments of a step child. Run from TypeScript source (tests), it needs tsx and the source
 * condition from the start; compiled, the definitions loader registers what a `.ts` definitions
 * module needs when it loads one.
 */
export const stepWorkerExecArgv =
  extname(here) === '.ts'
    ? [
        '--conditions=lakeloop-source',
        '--import',
        pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
      ]
    : [];

/** Options of {@link StepChild.start}. */
export interface StepChildOptions {
  /** Absolute path of the definitions module. */
  module: string;
  instanceHome: string;
  /** The IO manager's URL (io-manager-url.ts). Default `<instanceHome>/storage`. */
  ioUrl?: string;
  /** How long a canceled step may take to stop before the child is killed. Default 5000 ms. */
  abortGraceMs?: number;
}

/**
 * Sends a message to a step process. A process that is exiting makes the write fail (EPIPE), which
 * must not become an uncaught error: its 'exit' handler settles whatever step was pending.
 */
export function sendToStepProcess(child: ChildProcess, message: ToWorker): void {
  if (!child.connected) return;
  // With a callback a failed write is reported there instead of as an 'error' event.
  child.send(message, () => undefined);
}

interface Pending {
  resolve: (outcome: StepOutcome) => void;
  channel: StepChannel;
  started: number;
}

/** A step child process. */
export class StepChild {
  readonly #child: ChildProcess;
  readonly #abortGraceMs: number;
  readonly #ready: Promise<void>;
  readonly #exited: Promise<void>;
  #initError: SerializedError | undefined;
  #pending: Pending | undefined;
  #alive = true;

  private constructor(options: StepChildOptions) {
    this.#abortGraceMs = options.abortGraceMs ?? 5000;
    this.#child = fork(stepWorkerEntry, [], {
      execArgv: stepWorkerExecArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let readyNow: () => void = () => undefined;
    this.#ready = new Promise<void>((resolveReady) => {
      readyNow = resolveReady;
    });
    this.#child.on('message', (raw: unknown) => {
      const message = raw as FromWorker;
      switch (message.type) {
        case 'ready':
          readyNow();
          break;
        case 'init-error':
          this.#initError = message.error;
          readyNow();
          break;
        case 'log':
          this.#pending?.channel.log(message.level, message.message);
          break;
        case 'outcome': {
          const pending = this.#pending;
          this.#pending = undefined;
          pending?.resolve(message.outcome);
          break;
        }
      }
    });
    this.#exited = new Promise<void>((resolveExit) => {
      this.#child.once('exit', (code, signal) => {
        this.#alive = false;
        const how = signal ?? `code ${code ?? '?'}`;
        this.#initError ??= serializeError(
          new LakeloopError('UNAVAILABLE', `The step child process exited (${how}).`),
        );
        readyNow();
        const pending = this.#pending;
        this.#pending = undefined;
        if (pending !== undefined) {
          const canceled = pending.channel.signal.aborted;
          const error = canceled
            ? new LakeloopError('CANCELED', 'The step was canceled and its child process stopped.')
            : new LakeloopError('STEP_FAILED', `The child process running the step exited (${how}).`);
          pending.resolve(stepFailure(error, !canceled, pending.started));
        }
        resolveExit();
      });
    });
    const init: ToWorker = {
      type: 'init',
      module: options.module,
      instanceHome: options.instanceHome,
      ...(options.ioUrl === undefined ? {} : { ioUrl: options.ioUrl }),
    };
    this.#send(init);
  }

  #send(message: ToWorker): void {
    sendToStepProcess(this.#child, message);
  }

  /** Forks a child and sends it its init message (see {@link ready}). */
  static start(options: StepChildOptions): StepChild {
    return new StepChild(options);
  }

  /** The child's pid. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** False once the child exited. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Resolves when the child loaded its definitions; to the error when it could not. */
  async ready(): Promise<SerializedError | undefined> {
    await this.#ready;
    return this.#initError;
  }

  /** Runs one step (the child must be ready and idle); `ioUrl`: its IO manager, default the child's. */
  async run(task: StepTask, channel: StepChannel, ioUrl?: string): Promise<StepOutcome> {
    const started = Date.now();
    const initError = await this.ready();
    if (initError !== undefined) {
      throw new LakeloopError('DEFINITION_ERROR', `The step child could not start: ${initError.message}`);
    }
    if (this.#pending !== undefined) throw new LakeloopError('INTERNAL', 'The step child is busy.');
    if (channel.signal.aborted) {
      return stepFailure(
        new LakeloopError('CANCELED', `Step "${task.assetKey}" not started: the run was canceled.`),
        false,
        started,
      );
    }
    const onAbort = (): void => {
      const abort: ToWorker = { type: 'abort' };
      this.#send(abort);
      setTimeout(() => {
        if (this.#pending !== undefined) this.#child.kill('SIGKILL');
      }, this.#abortGraceMs).unref();
    };
    try {
      return await new Promise<StepOutcome>((resolveOutcome) => {
        this.#pending = { resolve: resolveOutcome, channel, started };
        const step: ToWorker = { type: 'step', task, ...(ioUrl === undefined ? {} : { ioUrl }) };
        this.#send(step); // messages are handled in order: an abort always finds this step
        channel.signal.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      channel.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Tears down a finished run's run-scoped resources in the child. */
  endRun(runId: string): void {
    const message: ToWorker = { type: 'end-run', runId };
    if (this.#alive) this.#send(message);
  }

  /** Kills the child at once (a step it runs ends as a FAILURE). */
  kill(): void {
    if (this.#alive) this.#child.kill('SIGKILL');
  }

  /** Asks the child to tear down its resources and exit; kills it after `graceMs` (default 10 s). */
  async close(graceMs = 10_000): Promise<void> {
    if (!this.#alive) return;
    const close: ToWorker = { type: 'close' };
    this.#send(close);
    const timer = setTimeout(() => {
      this.kill();
    }, graceMs);
    timer.unref();
    await this.#exited;
    clearTimeout(timer);
  }
}
