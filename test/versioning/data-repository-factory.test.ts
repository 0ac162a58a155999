/**
 * openDataRepository picks the backend from options and environment, and refuses bad configuration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDataRepository } from '../../src/versioning/data-repository-factory.js';
import { expectCode } from '../contracts/data-repository.contract.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

const noLakectl = { LAKECTL_CONFIG_FILE: '/nonexistent/lakectl.yaml' };

describe('openDataRepository', () => {
  it('opens the embedded backend under the home by default', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    homes.push(home);
    const data = await openDataRepository({ home, env: noLakectl });
    try {
      expect(data.kind).toBe('embedded');
      await data.createRepository({ name: 'factory' });
      expect((await data.listRepositories()).results.map((r) => r.name)).toEqual(['factory']);
    } finally {
      await data.close();
    }
  });

  it('opens lakeFS when LAKEFS_ENDPOINT and keys are set, unless the embedded backend is forced', async () => {
    const env = {
      ...noLakectl,
      LAKEFS_ENDPOINT: 'http://127.0.0.1:1',
      LAKEFS_ACCESS_KEY_ID: 'AKIA',
      LAKEFS_SECRET_ACCESS_KEY: 'secret',
    };
    const lakefs = await openDataRepository({ env });
    expect(lakefs.kind).toBe('lakefs');
    await lakefs.close();
    const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    homes.push(home);
    const embedded = await openDataRepository({ home, env: { ...env, LAKELOOP_DATA_BACKEND: 'embedded' } });
    expect(embedded.kind).toBe('embedded');
    await embedded.close();
  });

  it('refuses lakeFS without configuration and an unknown backend name', async () => {
    await expectCode(openDataRepository({ backend: 'lakefs', env: noLakectl }), 'PRECONDITION_FAILED');
    await expectCode(
      openDataRepository({ env: { ...noLakectl, LAKELOOP_DATA_BACKEND: 'mongo' } }),
      'INVALID_ARGUMENT',
    );
    await expectCode(
      openDataRepository({ env: { ...noLakectl, LAKEFS_ENDPOINT: 'http://127.0.0.1:1' } }),
      'INVALID_ARGUMENT',
    );
  });
});
