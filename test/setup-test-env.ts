/**
 * Vitest setup file (runs in every test worker before its tests): the worker's environment loses
 * the caller's `LAKEFS_*` variables, `LAKELOOP_DATA_BACKEND` and lakectl's file, so no test — nor
 * an example it imports, nor a CLI or daemon process it starts, which inherit this environment —
 * can reach a lakeFS server configured in the caller's shell. With `LAKELOOP_TEST_LAKEFS=1` the
 * values are kept aside for the real-server cases (test/support/lakefs-test-env.ts). It also loses
 * `LAKELOOP_STORAGE_URL`, so no test (nor a process it starts) writes to a PostgreSQL storage
 * configured in the caller's shell: the PostgreSQL tests use the private cluster of the global
 * setup, or the server `LAKELOOP_TEST_STORAGE_URL` names when the caller asks for one explicitly.
 */
import { isolateFromCallerLakeFs } from './support/lakefs-test-env.js';

isolateFromCallerLakeFs();

// Nor a storage, Redis queue or shared value store configured in the caller's shell: the tests
// start their own PostgreSQL, Redis and S3 servers and pass them explicitly.
for (const key of [
  'LAKELOOP_STORAGE_URL',
  'LAKELOOP_REDIS_URL',
  'LAKELOOP_IO_URL',
  'LAKELOOP_EXECUTOR',
  'LAKELOOP_QUEUE',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
]) {
  Reflect.deleteProperty(process.env, key);
}
