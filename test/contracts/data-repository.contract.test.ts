/**
 * Runs the DataRepository contract against the embedded backend, and against a lakeFS server when
 * LAKEFS_ENDPOINT, LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY are set (see docs/data.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { LakeFsDataRepository } from '../../src/versioning/lakefs/lakefs-data-repository.js';
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

const lakeFsConfigured =
  process.env.LAKEFS_ENDPOINT !== undefined &&
  process.env.LAKEFS_ACCESS_KEY_ID !== undefined &&
  process.env.LAKEFS_SECRET_ACCESS_KEY !== undefined;

describeDataRepositoryContract(
  'lakeFS',
  () => Promise.resolve({ data: LakeFsDataRepository.fromEnvironment() }),
  { skip: !lakeFsConfigured },
);
