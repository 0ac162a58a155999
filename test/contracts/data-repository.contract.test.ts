/**
 * Runs the DataRepository contract against the embedded backend, and against a lakeFS server only
 * when asked explicitly: LAKELOOP_TEST_LAKEFS=1 plus LAKEFS_ENDPOINT, LAKEFS_ACCESS_KEY_ID and
 * LAKEFS_SECRET_ACCESS_KEY (see docs/data.md). Exported LAKEFS_* alone never reach a server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { LakeFsDataRepository } from '../../src/versioning/lakefs/lakefs-data-repository.js';
import { lakeFsTestConfig } from '../support/lakefs-test-env.js';
import { describeDataRepositoryContract } from './data-repository.contract.js';

describeDataRepositoryContract('embedded', () => {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  return Promise.resolve({
    data: new EmbeddedDataRepository({ home }),
    cleanup: () => {
      rmSync(home, { recursive: true, force: true });
    },
  });
});

const lakefs = lakeFsTestConfig();

describeDataRepositoryContract(
  'lakeFS',
  () => {
    if (lakefs === undefined) throw new Error('unreachable: the lakeFS cases are skipped');
    return Promise.resolve({ data: new LakeFsDataRepository(lakefs) });
  },
  { skip: lakefs === undefined },
);
