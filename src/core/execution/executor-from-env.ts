/**
 * The executor `LAKELOOP_EXECUTOR` names, for `Instance.open`: a pipeline driven by a script
 * (`npm start`, a test harness, a notebook) moves to the queue by configuration alone, as
 * `lakeloop daemon --executor queue` does. Unset, empty or `in-process`: undefined (the
 * instance's default); `queue`: the BullMQ executor on `LAKELOOP_REDIS_URL` and `LAKELOOP_QUEUE`
 * (default `lakeloop`), loaded only then so that BullMQ stays out of processes that never use it.
 *
 * @example
 * ```ts
 * const executor = await executorFromEnv({ LAKELOOP_EXECUTOR: 'queue', LAKELOOP_REDIS_URL: 'redis://127.0.0.1:6379' });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { Executor } from './executor.js';

/** The configured executor, or undefined for the default (in-process). */
export async function executorFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Executor | undefined> {
  const kind = env.LAKELOOP_EXECUTOR?.trim() ?? '';
  if (kind === '' || kind === 'in-process') return undefined;
  if (kind !== 'queue') {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Unknown executor "${kind}" in LAKELOOP_EXECUTOR; use in-process or queue.`,
    );
  }
  const [{ queueExecutor }, { redisUrlFrom }] = await Promise.all([
    import('./queue/queue-executor.js'),
    import('./queue/redis-url.js'),
  ]);
  const queue = env.LAKELOOP_QUEUE?.trim() ?? '';
  return queueExecutor({ redisUrl: redisUrlFrom(env), queue: queue === '' ? 'lakeloop' : queue });
}
