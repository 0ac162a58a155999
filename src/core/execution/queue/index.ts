/**
 * `lakeloop/queue`: distributed execution (a BullMQ queue on Redis, `lakeloop worker` processes on
 * any host) and the S3 IO manager that lets their values reach every host. A separate entry point
 * so `import 'lakeloop'` does not load BullMQ, ioredis and the AWS SDK.
 *
 * @example
 * ```ts
 * import { queueExecutor } from 'lakeloop/queue';
 * await materialize(defs, { select: '*', instance, executor: queueExecutor({ redisUrl, module: '/srv/defs.ts' }) });
 * ```
 */
export { queueExecutor } from './queue-executor.js';
export type { QueueExecutorOptions } from './queue-executor.js';
export { QUEUE_WORKER_DEFAULTS, QueueWorker } from './queue-worker.js';
export type { QueueWorkerCloseOptions, QueueWorkerOptions } from './queue-worker.js';
export { stepJobId } from './queue-protocol.js';
export type { QueueControlMessage, StepJobData, StepJobProgress } from './queue-protocol.js';
export { redactRedisUrl, redisUrlFrom } from './redis-url.js';
export { S3IoManager } from '../io/s3-io-manager.js';
export type { S3IoManagerOptions } from '../io/s3-io-manager.js';
