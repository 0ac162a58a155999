/**
 * `lakeloop serve --workers N` with `node:cluster`: the primary forks N workers that share the
 * listening socket; each worker loads the model and follows the alias itself (a swap is seen by
 * every worker within one poll). The primary only relays: it prints the banner once every worker
 * listens, forwards a `POST /rollback` answered by one worker to the others, and stops the workers
 * on SIGINT/SIGTERM. Why the default is 1 worker: on a 2-core machine one process already keeps a
 * core busy with HTTP and a second one with onnxruntime; a second worker mostly competes with the
 * load generator and the OS for the same two cores (measured in docs/serving.md).
 *
 * @example
 * ```ts
 * if (cluster.isPrimary) await runServingPrimary({ workers: 2, onListening: (url) => console.log(url) });
 * else process.on('message', onPrimaryMessage(handle));
 * ```
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { LakeloopError } from '../errors.js';

/** Messages between the primary and its workers. */
export type ClusterMessage =
  | { type: 'listening'; url: string; version: string }
  | { type: 'failed'; message: string }
  | { type: 'rollback' }
  | { type: 'stop' };

function isClusterMessage(value: unknown): value is ClusterMessage {
  return (
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
  );
}

/** Options of {@link runServingPrimary}. */
export interface ServingPrimaryOptions {
  workers: number;
  /** Called once every worker listens. */
  onListening: (url: string, version: string) => void;
  /** Resolves when the primary should stop the workers (e.g. on SIGINT). */
  stopSignal: Promise<unknown>;
}

/** Runs the primary: forks, relays rollbacks, stops the workers; rejects when a worker fails to start. */
export async function runServingPrimary(options: ServingPrimaryOptions): Promise<void> {
  const workers: Worker[] = [];
  let ready = 0;
  let stopping = false;
  const started = new Promise<void>((resolve, reject) => {
    for (let i = 0; i < options.workers; i++) {
      const worker = cluster.fork();
      workers.push(worker);
      worker.on('message', (message: unknown) => {
        if (!isClusterMessage(message)) return;
        if (message.type === 'listening') {
          ready++;
          if (ready === options.workers) {
            options.onListening(message.url, message.version);
            resolve();
          }
        } else if (message.type === 'failed') {
          reject(new LakeloopError('UNAVAILABLE', `A serving worker failed to start: ${message.message}`));
        } else if (message.type === 'rollback') {
          // A rollback answered by one worker: the others serve the previous version too.
          for (const other of workers) if (other !== worker && other.isConnected()) other.send(message);
        }
      });
      worker.on('exit', (code, signal: string | null) => {
        if (!stopping)
          reject(new LakeloopError('UNAVAILABLE', `A serving worker exited (${signal ?? `code ${code}`}).`));
      });
    }
  });
  const exited = (): Promise<void> =>
    Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) resolve();
            else
              worker.once('exit', () => {
                resolve();
              });
          }),
      ),
    ).then(() => undefined);
  try {
    await started;
  } catch (error) {
    stopping = true;
    await stopWorkers(workers, exited);
    throw error;
  }
  await options.stopSignal;
  stopping = true;
  await stopWorkers(workers, exited);
}

/**
 * Asks each worker to stop (a message, not a signal: a worker closing its server still needs the
 * IPC channel, which `worker.kill()` cuts first), and kills those still running after 10 s.
 */
async function stopWorkers(workers: readonly Worker[], exited: () => Promise<void>): Promise<void> {
  for (const worker of workers)
    if (worker.isConnected()) worker.send({ type: 'stop' } satisfies ClusterMessage);
  const timer = setTimeout(() => {
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
  }, 10_000);
  await exited();
  clearTimeout(timer);
}

/** In a worker: resolves when the primary asks it to stop (never outside a cluster). */
export function untilPrimaryStops(): Promise<'stop'> {
  return new Promise((resolve) => {
    if (!cluster.isWorker) return;
    const listener = (message: unknown): void => {
      if (isClusterMessage(message) && message.type === 'stop') {
        process.off('message', listener);
        resolve('stop');
      }
    };
    process.on('message', listener);
  });
}

/** In a worker: tells the primary something (no-op outside a cluster). */
export function tellPrimary(message: ClusterMessage): void {
  if (cluster.isWorker) process.send?.(message);
}

/** In a worker: calls `onRollback` when another worker rolled back. Returns the unsubscribe function. */
export function onPeerRollback(onRollback: () => void): () => void {
  const listener = (message: unknown): void => {
    if (isClusterMessage(message) && message.type === 'rollback') onRollback();
  };
  process.on('message', listener);
  return () => process.off('message', listener);
}
