/**
 * The Redis connection of the queue executor and its workers: `LAKELOOP_REDIS_URL` (a
 * `redis://[user:password@]host:port[/db]` or `rediss://…` URL) as ioredis connections with the
 * settings BullMQ needs (`maxRetriesPerRequest: null`: a blocked command waits for Redis to come
 * back instead of failing the worker). The password never appears in messages ({@link redactRedisUrl}).
 *
 * @example
 * ```ts
 * const url = redisUrlFrom(process.env); // throws with what to set when missing
 * const redis = connectRedis(url, 'lakeloop-coordinator');
 * ```
 */
import { Redis } from 'ioredis';
import { LakeloopError } from '../../../errors.js';

/** The URL without its password (for messages and logs). */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'REDACTED';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

/** Checks a Redis URL; throws INVALID_ARGUMENT with what to fix. */
export function checkRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `LAKELOOP_REDIS_URL is not a URL (${redactRedisUrl(url)}); use redis://host:6379 (or rediss:// for TLS).`,
      { cause },
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `LAKELOOP_REDIS_URL must start with redis:// or rediss:// (got ${parsed.protocol}//…).`,
    );
  }
  return url;
}

/** `LAKELOOP_REDIS_URL` from `env`; throws a clear error when it is not set. */
export function redisUrlFrom(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.LAKELOOP_REDIS_URL;
  if (url === undefined || url.trim() === '') {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'The queue executor needs Redis: set LAKELOOP_REDIS_URL=redis://host:6379 (the same on the daemon and every `lakeloop worker`).',
    );
  }
  return checkRedisUrl(url.trim());
}

/**
 * `redis` with an error listener: ioredis reconnects by itself and the callers see failed
 * commands; without a listener every failed reconnect prints "Unhandled error event".
 */
export function quiet(redis: Redis): Redis {
  redis.on('error', () => undefined);
  return redis;
}

/** An ioredis connection for BullMQ (`connectionName` shows in `CLIENT LIST`). */
export function connectRedis(url: string, connectionName: string): Redis {
  return quiet(
    new Redis(checkRedisUrl(url), {
      maxRetriesPerRequest: null,
      connectionName,
      // Reconnect with a capped backoff forever: a Redis restart (AOF) must not end the worker.
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
    }),
  );
}
