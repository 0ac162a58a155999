/**
 * The Redis part of the Vitest global setup (test/global-setup.ts calls these two functions):
 * starts a private `redis-server` for the queue tests and gives its URL to them with
 * `inject('redisUrl')`, or '' and the reason with `inject('redisUnavailable')`. Suites skip
 * locally with that note; under `CI=true` a missing server fails the run here. Each test uses its
 * own queue prefix on this one server.
 */
import type { TestProject } from 'vitest/node';
import { redisUnavailableReason, startRedisServer } from './redis-server-process.js';
import type { RedisServerProcess } from './redis-server-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test Redis server's URL, or '' when it is not running. */
    redisUrl: string;
    /** Why there is no Redis server ('' when there is one). */
    redisUnavailable: string;
  }
}

let redis: RedisServerProcess | undefined;

/** Starts the server (never under `LAKELOOP_REDIS=0`). */
export async function setupRedis(project: TestProject): Promise<void> {
  project.provide('redisUrl', '');
  if (process.env.LAKELOOP_REDIS === '0') {
    project.provide('redisUnavailable', 'LAKELOOP_REDIS=0: no Redis server was started');
    return;
  }
  const reason = redisUnavailableReason();
  try {
    if (reason !== undefined) throw new Error(reason);
    redis = await startRedisServer();
    project.provide('redisUrl', redis.url);
    project.provide('redisUnavailable', '');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (process.env.CI === 'true') {
      throw new Error(`CI=true and the Redis server the queue tests need cannot start: ${message}`);
    }
    project.provide('redisUnavailable', message);
  }
}

/** Stops the server and removes its folder. */
export async function teardownRedis(): Promise<void> {
  await redis?.stop();
  redis = undefined;
}
