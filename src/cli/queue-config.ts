/**
 * The executor of `lakeloop dev` and `lakeloop daemon`, chosen by configuration (the pipeline never
 * changes): `--executor in-process` (default) or `queue` (`LAKELOOP_EXECUTOR`), the queue on
 * `LAKELOOP_REDIS_URL` named by `--queue` (`LAKELOOP_QUEUE`, default `lakeloop`).
 *
 * @example
 * ```ts
 * const executor = executorFromConfig({ executor: 'queue', queue: 'prod', defs: 'defs.ts' });
 * ```
 */
import { resolve } from 'node:path';
import { LakeloopError } from '../errors.js';
import type { Executor } from '../core/execution/executor.js';
import { queueExecutor } from '../core/execution/queue/queue-executor.js';
import { redisUrlFrom } from '../core/execution/queue/redis-url.js';

/** The executor kinds the daemon accepts. */
export const DAEMON_EXECUTORS = ['in-process', 'queue'] as const;

/** What the command line (and environment) said. */
export interface ExecutorConfig {
  /** `in-process` or `queue`. Default in-process. */
  executor?: string;
  /** Queue name. Default `lakeloop`. */
  queue?: string;
  /** The definitions module (workers load it unless they have their own `--defs`). */
  defs?: string;
  env?: NodeJS.ProcessEnv;
}

/** The executor to open the instance with (undefined: the instance's default, in-process). */
export function executorFromConfig(config: ExecutorConfig): Executor | undefined {
  const env = config.env ?? process.env;
  const kind = config.executor ?? 'in-process';
  switch (kind) {
    case 'in-process':
      return undefined;
    case 'queue':
      return queueExecutor({
        redisUrl: redisUrlFrom(env),
        queue: config.queue ?? 'lakeloop',
        ...(config.defs === undefined ? {} : { module: resolve(config.defs) }),
      });
    default:
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Unknown executor "${kind}" (--executor / LAKELOOP_EXECUTOR); use ${DAEMON_EXECUTORS.join(' or ')}.`,
      );
  }
}
