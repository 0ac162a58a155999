/**
 * The multi-process executor: independent steps run in parallel in worker processes
 * (`child_process.fork`, TypeScript through tsx), at most `maxConcurrency` at a time. Each
 * worker loads the definitions module by file path, reads its inputs and stores its output
 * through the instance's IO manager, reopened from its `location` (values never cross the IPC channel),
 * and is reused for later steps of the run. Each worker sets up the resources its steps declare
 * (so a run-scoped resource is set up once per worker) and tears them down when the session
 * closes. Cancellation aborts the step's `ctx.signal` in the
 * worker, and kills the worker when it does not stop within `abortGraceMs`.
 *
 * @example
 * ```ts
 * const executor = multiProcessExecutor({ module: 'pipelines/flight-delays/definitions.ts', maxConcurrency: 2 });
 * await materialize(defs, { select: '*', instance, executor });
 * ```
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { LakeloopError } from '../../../errors.js';
import type { SerializedError } from '../../events/event-types.js';
import type { Executor, ExecutorSession, StepChannel, StepOutcome, StepTask } from '../executor.js';
import { serializeError } from '../serialize-error.js';
import { stepFailure } from '../step-failure.js';
import { sendToStepProcess, stepWorkerEntry, stepWorkerExecArgv } from './step-child.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

/** Options of {@link multiProcessExecutor}. */
export interface MultiProcessExecutorOptions {
  /** Path of the definitions module the workers load (the module the run's Definitions come from). */
  module: string;
  /** Worker processes at most. Default: the number of CPUs. */
  maxConcurrency?: number;
  /** How long a canceled step may take to stop before its worker is killed. Default 5000 ms. */
  abortGraceMs?: number;
  /** How long a worker may take to tear down its resources at the end of the run before it is killed. Default 10000 ms. */
  closeGraceMs?: number;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  /** The step it runs now. */
  pending?: { resolve: (outcome: StepOutcome) => void; channel: StepChannel; started: number };
  initError?: SerializedError;
}

/** Creates the multi-process executor. */
export function multiProcessExecutor(options: MultiProcessExecutorOptions): Executor {
  const module = resolve(options.module);
  const maxConcurrency = Math.max(1, options.maxConcurrency ?? availableParallelism());
  const abortGraceMs = options.abortGraceMs ?? 5000;
  const closeGraceMs = options.closeGraceMs ?? 10_000;
  return {
    name: 'multi_process',
    open: (context) => {
      const idle: Worker[] = [];
      const all = new Set<Worker>();

      const spawn = (): Worker => {
        const child = fork(stepWorkerEntry, [], {
          execArgv: stepWorkerExecArgv,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        const worker: Worker = { child, ready: Promise.resolve() };
        worker.ready = new Promise<void>((resolveReady) => {
          child.on('message', (raw: unknown) => {
            const message = raw as FromWorker;
            switch (message.type) {
              case 'ready':
                resolveReady();
                break;
              case 'init-error':
                worker.initError = message.error;
                resolveReady();
                break;
              case 'log':
                // Between steps (a resource teardown at close): a run-level log.
                if (worker.pending !== undefined) worker.pending.channel.log(message.level, message.message);
                else context.log?.(message.level, message.message);
                break;
              case 'outcome': {
                const pending = worker.pending;
                worker.pending = undefined;
                pending?.resolve(message.outcome);
                break;
              }
            }
          });
          child.on('exit', (code, signal) => {
            all.delete(worker);
            const index = idle.indexOf(worker);
            if (index >= 0) idle.splice(index, 1);
            worker.initError ??= serializeError(
              new LakeloopError('UNAVAILABLE', `Worker process exited (${signal ?? `code ${code ?? '?'}`}).`),
            );
            resolveReady();
            const pending = worker.pending;
            worker.pending = undefined;
            if (pending !== undefined) {
              const canceled = pending.channel.signal.aborted;
              const error = canceled
                ? new LakeloopError('CANCELED', 'The step was canceled and its worker process stopped.')
                : new LakeloopError(
                    'STEP_FAILED',
                    `The worker process running the step exited (${signal ?? `code ${code ?? '?'}`}).`,
                  );
              pending.resolve(stepFailure(error, !canceled, pending.started));
            }
          });
        });
        const ioUrl = context.ioManager.location;
        const init: ToWorker = {
          type: 'init',
          module,
          instanceHome: context.instanceHome,
          ...(ioUrl === undefined ? {} : { ioUrl }),
        };
        sendToStepProcess(child, init);
        all.add(worker);
        return worker;
      };

      const session: ExecutorSession = {
        maxConcurrency,
        runStep: async (task: StepTask, channel: StepChannel): Promise<StepOutcome> => {
          const started = Date.now();
          const worker = idle.pop() ?? spawn();
          await worker.ready;
          if (worker.initError !== undefined) {
            worker.child.kill();
            return stepFailure(
              new LakeloopError(
                'DEFINITION_ERROR',
                `A worker process could not start: ${worker.initError.message}${worker.initError.cause === undefined ? '' : ` (${worker.initError.cause.message})`}`,
              ),
              false,
              started,
            );
          }
          if (channel.signal.aborted) {
            idle.push(worker);
            return stepFailure(
              new LakeloopError('CANCELED', `Step "${task.assetKey}" not started: the run was canceled.`),
              false,
              started,
            );
          }
          const onAbort = (): void => {
            const abort: ToWorker = { type: 'abort' };
            sendToStepProcess(worker.child, abort);
            setTimeout(() => {
              if (worker.pending !== undefined) worker.child.kill('SIGKILL');
            }, abortGraceMs).unref();
          };
          const outcome = await new Promise<StepOutcome>((resolveOutcome) => {
            worker.pending = { resolve: resolveOutcome, channel, started };
            const step: ToWorker = { type: 'step', task };
            sendToStepProcess(worker.child, step); // the worker handles messages in order: an abort always finds this step
            channel.signal.addEventListener('abort', onAbort, { once: true });
          });
          channel.signal.removeEventListener('abort', onAbort);
          if (all.has(worker)) idle.push(worker);
          return outcome;
        },
        close: async () => {
          await Promise.all(
            [...all].map(
              (worker) =>
                new Promise<void>((resolveExit) => {
                  if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
                    resolveExit();
                    return;
                  }
                  worker.child.once('exit', () => {
                    resolveExit();
                  });
                  // The worker tears down its resources and exits; kill it if it takes too long.
                  const close: ToWorker = { type: 'close' };
                  sendToStepProcess(worker.child, close);
                  setTimeout(() => worker.child.kill('SIGKILL'), closeGraceMs).unref();
                }),
            ),
          );
          idle.length = 0;
        },
      };
      return Promise.resolve(session);
    },
  };
}
