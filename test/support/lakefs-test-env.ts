/**
 * Which tests may reach a real lakeFS: only the real-server cases, and only when asked for
 * explicitly with `LAKELOOP_TEST_LAKEFS=1` (plus `LAKEFS_ENDPOINT`, `LAKEFS_ACCESS_KEY_ID`,
 * `LAKEFS_SECRET_ACCESS_KEY`). test/setup-test-env.ts removes the `LAKEFS_*` variables from every
 * test worker's environment (keeping a copy for {@link lakeFsTestConfig} when asked), so a server
 * configured in the caller's shell (as docs/data.md tells users to do) never receives the commits
 * of an embedded test, of an example, or of a CLI process a test starts. Embedded tests also pass
 * {@link embeddedTestEnv} explicitly, so they stay embedded whatever the worker's environment.
 *
 * @example
 * ```ts
 * const demo = await startDemo({ home, dataset: 'flights-2k', env: embeddedTestEnv() });
 * const lakefs = lakeFsTestConfig(); // undefined unless LAKELOOP_TEST_LAKEFS=1
 * ```
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { resolveLakeFsConfig } from '../../src/versioning/lakefs/lakefs-config.js';
import type { LakeFsConfig } from '../../src/versioning/lakefs/lakefs-config.js';

type Env = Record<string, string | undefined>;

/** The variable that opts a test run in to the real-server cases. */
export const TEST_LAKEFS_VARIABLE = 'LAKELOOP_TEST_LAKEFS';
/** Where the setup file keeps the caller's `LAKEFS_*` (as JSON) when the real-server cases were asked for. */
export const TEST_LAKEFS_SERVER_VARIABLE = 'LAKELOOP_TEST_LAKEFS_SERVER';
/** A lakectl config path that does not exist, so `~/.lakectl.yaml` is never read by a test. */
export const NO_LAKECTL_FILE = join(tmpdir(), 'lakeloop-tests-have-no-lakectl.yaml');

/** True when the real-server cases were asked for (`LAKELOOP_TEST_LAKEFS=1`). */
export function lakeFsTestsRequested(env: Env = process.env): boolean {
  return env[TEST_LAKEFS_VARIABLE] === '1';
}

/**
 * Removes every `LAKEFS_*` variable and `LAKELOOP_DATA_BACKEND` from `env` and points lakectl at
 * {@link NO_LAKECTL_FILE}; when the real-server cases were asked for, the `LAKEFS_*` values are kept
 * under {@link TEST_LAKEFS_SERVER_VARIABLE} first. Idempotent (a worker may run it per test file).
 */
export function isolateFromCallerLakeFs(env: Env = process.env): void {
  const exported = Object.entries(env).filter(([key]) => key.startsWith('LAKEFS_'));
  if (lakeFsTestsRequested(env) && exported.length > 0) {
    env[TEST_LAKEFS_SERVER_VARIABLE] = JSON.stringify(Object.fromEntries(exported));
  }
  for (const [key] of exported) Reflect.deleteProperty(env, key);
  delete env.LAKELOOP_DATA_BACKEND;
  env.LAKECTL_CONFIG_FILE = NO_LAKECTL_FILE;
}

/**
 * The lakeFS server of the real-server cases: undefined unless `LAKELOOP_TEST_LAKEFS=1`; then the
 * caller's `LAKEFS_*` (never `~/.lakectl.yaml`), a missing endpoint being an error rather than a
 * silent skip.
 */
export function lakeFsTestConfig(env: Env = process.env): LakeFsConfig | undefined {
  if (!lakeFsTestsRequested(env)) return undefined;
  const kept = env[TEST_LAKEFS_SERVER_VARIABLE];
  const server = kept === undefined ? env : (JSON.parse(kept) as Env);
  const config = resolveLakeFsConfig({ env: server, lakectlConfigPath: NO_LAKECTL_FILE });
  if (config === undefined) {
    throw new Error(
      'LAKELOOP_TEST_LAKEFS=1 but LAKEFS_ENDPOINT is not set: export LAKEFS_ENDPOINT, LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY, or unset LAKELOOP_TEST_LAKEFS.',
    );
  }
  return config;
}

/**
 * `env` without any lakeFS configuration and with the embedded data backend forced, for tests
 * (and the processes they start) that must use the embedded backend whatever the caller exported.
 */
export function embeddedTestEnv(env: Env = process.env): Env {
  const clean = Object.fromEntries(
    Object.entries(env).filter(([key]) => !key.startsWith('LAKEFS_') && key !== TEST_LAKEFS_SERVER_VARIABLE),
  );
  return { ...clean, LAKELOOP_DATA_BACKEND: 'embedded', LAKECTL_CONFIG_FILE: NO_LAKECTL_FILE };
}
