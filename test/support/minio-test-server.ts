/**
 * The MinIO server of a test file: installed on first use (see minio-server-process.ts), started in
 * `beforeAll`, one bucket per test. Without Go or the binary the suite skips locally with a note
 * and fails under `CI=true`.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { ensureMinioBinary, startMinioServer } from './minio-server-process.js';
import type { MinioServerProcess } from './minio-server-process.js';

/** Why there is no MinIO here (undefined: there is). Installs it on first use (minutes). */
export const minioUnavailable: string | undefined = ensureMinioBinary();
if (minioUnavailable !== undefined) {
  if (process.env.CI === 'true')
    throw new Error(`CI=true and the S3 tests' MinIO cannot be had: ${minioUnavailable}`);
  console.warn(`S3 tests skipped: ${minioUnavailable}`);
}

let counter = 0;

/** Starts MinIO for the calling test file; `bucket()` makes a fresh bucket. */
export function useMinio(): { server: () => MinioServerProcess; bucket: () => Promise<string> } {
  let minio: MinioServerProcess | undefined;
  beforeAll(async () => {
    minio = await startMinioServer();
  }, 120_000);
  afterAll(async () => {
    await minio?.stop();
  });
  const server = (): MinioServerProcess => {
    if (minio === undefined) throw new Error('MinIO is not running');
    return minio;
  };
  return {
    server,
    bucket: async () => {
      const { env } = server();
      const name = `lakeloop-test-${process.pid}-${++counter}`;
      const client = new S3Client({
        endpoint: env.AWS_ENDPOINT_URL,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: {
          accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
        },
      });
      await client.send(new CreateBucketCommand({ Bucket: name }));
      client.destroy();
      return name;
    },
  };
}
