/**
 * `lakeloop worker`: takes steps from the queue executor's queue (on `LAKELOOP_REDIS_URL`) and runs
 * each in a sandboxed child process until SIGINT/SIGTERM; then it takes no new step, lets the
 * running ones finish for `--shutdown-grace-ms` and hands the rest back to the queue (a second
 * signal exits at once: those steps are recovered by another worker after the lock expires).
 *
 * @example
 * ```sh
 * LAKELOOP_REDIS_URL=redis://queue-host:6379 LAKELOOP_IO_URL=s3://values/prod \
 *   lakeloop worker --queue lakeloop --concurrency 4 --defs pipelines/flight-delays/definitions.ts
 * ```
 */
import { resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { LakeloopError } from '../../errors.js';
import { ioUrlFromEnv } from '../../core/execution/io/io-manager-url.js';
import { QUEUE_WORKER_DEFAULTS, QueueWorker } from '../../core/execution/queue/queue-worker.js';
import { redactRedisUrl, redisUrlFrom } from '../../core/execution/queue/redis-url.js';
import { instanceHome } from '../instance-home.js';

interface WorkerCliOptions {
  queue: string;
  prefix: string;
  concurrency: number;
  defs?: string;
  name?: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  shutdownGraceMs: number;
  quiet?: boolean;
}

function wholeNumber(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `${name} must be a whole number >= ${min} (got ${JSON.stringify(value)}).`,
      );
    }
    return n;
  };
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = (): void => {
        process.stderr.write(
          'lakeloop worker: forced exit (running steps go back to the queue when their lock expires).\n',
        );
        process.exit(130);
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolveSignal(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Registers `lakeloop worker`. */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run steps of the queue executor (LAKELOOP_REDIS_URL) in sandboxed child processes')
    .addOption(new Option('--queue <name>', 'queue name').env('LAKELOOP_QUEUE').default('lakeloop'))
    .addOption(new Option('--prefix <prefix>', 'Redis key prefix of the queue').default('lakeloop'))
    .option('--concurrency <n>', 'steps at once (one child process each)', wholeNumber('--concurrency', 1), 1)
    .option('--defs <file>', 'definitions module for every step (default: the one each step names)')
    .option('--name <name>', 'worker name shown in run events (default <host>:<pid>)')
    .option(
      '--lock-duration-ms <ms>',
      `job lock duration (default ${QUEUE_WORKER_DEFAULTS.lockDurationMs})`,
      wholeNumber('--lock-duration-ms', 100),
    )
    .option(
      '--stalled-interval-ms <ms>',
      `how often dead workers' steps are looked for (default ${QUEUE_WORKER_DEFAULTS.stalledIntervalMs})`,
      wholeNumber('--stalled-interval-ms', 100),
    )
    .option(
      '--max-stalled-count <n>',
      `times a step may lose its worker before it fails (default ${QUEUE_WORKER_DEFAULTS.maxStalledCount})`,
      wholeNumber('--max-stalled-count', 1),
    )
    .option(
      '--shutdown-grace-ms <ms>',
      'on SIGTERM, how long running steps may finish before they are handed back',
      wholeNumber('--shutdown-grace-ms', 0),
      30_000,
    )
    .option('--quiet', 'print only the start and stop lines')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<WorkerCliOptions>();
      const redisUrl = redisUrlFrom(process.env);
      const ioUrl = ioUrlFromEnv();
      const signal = untilSignal();
      const worker = await QueueWorker.start({
        redisUrl,
        queue: options.queue,
        prefix: options.prefix,
        concurrency: options.concurrency,
        instanceHome: instanceHome(command),
        ...(options.defs === undefined ? {} : { module: resolve(options.defs) }),
        ...(ioUrl === undefined ? {} : { ioUrl }),
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.lockDurationMs === undefined ? {} : { lockDurationMs: options.lockDurationMs }),
        ...(options.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: options.stalledIntervalMs }),
        ...(options.maxStalledCount === undefined ? {} : { maxStalledCount: options.maxStalledCount }),
        log: (level, message) => {
          if (options.quiet !== true || level === 'ERROR') {
            process.stderr.write(`lakeloop worker: ${level.toLowerCase()}: ${message}\n`);
          }
        },
      });
      process.stdout.write(
        `lakeloop worker ${worker.identity.worker}: queue ${options.prefix}:${options.queue} on ${redactRedisUrl(redisUrl)}, concurrency ${options.concurrency}. Ctrl-C to stop.\n`,
      );
      const received = await signal;
      process.stdout.write(
        `lakeloop worker: ${received}, stopping (${worker.running} step(s) running, handed back after ${options.shutdownGraceMs} ms)...\n`,
      );
      await worker.close({ graceMs: options.shutdownGraceMs });
      process.stdout.write('lakeloop worker: stopped.\n');
    });
}
