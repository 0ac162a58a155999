/**
 * Vitest setup file (runs in every test worker before its tests): the worker's environment loses
 * the caller's `LAKEFS_*` variables, `LAKELOOP_DATA_BACKEND` and lakectl's file, so no test — nor
 * an example it imports, nor a CLI or daemon process it starts, which inherit this environment —
 * can reach a lakeFS server configured in the caller's shell. With `LAKELOOP_TEST_LAKEFS=1` the
 * values are kept aside for the real-server cases (test/support/lakefs-test-env.ts).
 */
import { isolateFromCallerLakeFs } from './support/lakefs-test-env.js';

isolateFromCallerLakeFs();

// Nor a Redis queue or a shared value store configured in the caller's shell: the queue tests start
// their own Redis (test/support/redis-global-setup.ts) and S3 server, and pass them explicitly.
for (const key of [
  'LAKELOOP_REDIS_URL',
  'LAKELOOP_IO_URL',
  'LAKELOOP_EXECUTOR',
  'LAKELOOP_QUEUE',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
]) {
  Reflect.deleteProperty(process.env, key);
}
