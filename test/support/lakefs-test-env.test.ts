/** The tests' isolation from a lakeFS server exported in the caller's shell. */
import { describe, expect, it } from 'vitest';
import {
  embeddedTestEnv,
  isolateFromCallerLakeFs,
  lakeFsTestConfig,
  NO_LAKECTL_FILE,
  TEST_LAKEFS_SERVER_VARIABLE,
} from './lakefs-test-env.js';
import { createDataRepository } from '../../src/versioning/data-repository-factory.js';

const EXPORTED = {
  LAKEFS_ENDPOINT: 'http://127.0.0.1:9',
  LAKEFS_ACCESS_KEY_ID: 'AKIA',
  LAKEFS_SECRET_ACCESS_KEY: 'secret',
  LAKELOOP_DATA_BACKEND: 'lakefs',
  PATH: '/bin',
};

describe('isolation of the tests from the caller lakeFS', () => {
  it('without LAKELOOP_TEST_LAKEFS=1 the worker keeps no trace of the exported server', () => {
    const env: Record<string, string | undefined> = { ...EXPORTED };
    isolateFromCallerLakeFs(env);
    expect(env).toEqual({ PATH: '/bin', LAKECTL_CONFIG_FILE: NO_LAKECTL_FILE });
    expect(lakeFsTestConfig(env)).toBeUndefined();
    expect(createDataRepository({ home: '/tmp/unused', env }).kind).toBe('embedded');
  });

  it('with LAKELOOP_TEST_LAKEFS=1 only lakeFsTestConfig sees the server, also after a second run', () => {
    const env: Record<string, string | undefined> = { ...EXPORTED, LAKELOOP_TEST_LAKEFS: '1' };
    isolateFromCallerLakeFs(env);
    isolateFromCallerLakeFs(env);
    expect(env.LAKEFS_ENDPOINT).toBeUndefined();
    expect(createDataRepository({ home: '/tmp/unused', env }).kind).toBe('embedded');
    expect(lakeFsTestConfig(env)).toMatchObject({ endpoint: 'http://127.0.0.1:9', accessKeyId: 'AKIA' });
  });

  it('LAKELOOP_TEST_LAKEFS=1 without a server is an error, not a silent skip', () => {
    expect(() => lakeFsTestConfig({ LAKELOOP_TEST_LAKEFS: '1' })).toThrow(/LAKEFS_ENDPOINT is not set/);
  });

  it('embeddedTestEnv forces the embedded backend whatever the environment says', () => {
    const env = embeddedTestEnv({ ...EXPORTED, [TEST_LAKEFS_SERVER_VARIABLE]: '{}' });
    expect(env).toEqual({
      PATH: '/bin',
      LAKELOOP_DATA_BACKEND: 'embedded',
      LAKECTL_CONFIG_FILE: NO_LAKECTL_FILE,
    });
    expect(createDataRepository({ home: '/tmp/unused', env }).kind).toBe('embedded');
  });
});
