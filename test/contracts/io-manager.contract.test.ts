/** The IO manager contract on the filesystem IO manager and on the S3 one (against a real MinIO). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { FilesystemIoManager } from '../../src/index.js';
import { S3IoManager } from '../../src/core/execution/io/s3-io-manager.js';
import { minioUnavailable, useMinio } from '../support/minio-test-server.js';
import { ioManagerContract } from './io-manager.contract.js';

const homes: string[] = [];
const tempHome = (): string => {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-io-contract-'));
  homes.push(home);
  return home;
};
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

ioManagerContract('filesystem', () => {
  const home = tempHome();
  return Promise.resolve({ io: new FilesystemIoManager({ root: join(home, 'storage') }), home });
});

describe.skipIf(minioUnavailable !== undefined)('on MinIO', () => {
  const minio = useMinio();
  ioManagerContract('s3', async () => {
    const bucket = await minio.bucket();
    const env = minio.server().env;
    return { io: S3IoManager.fromUrl(`s3://${bucket}/values/prod`, env), home: tempHome(), env };
  });
});
