/**
 * Opens the IO manager a URL names, so every process of an instance (the daemon, its worker
 * processes, `lakeloop worker` on other hosts) stores and reads values in the same place:
 *
 * - none: the filesystem IO manager under `<home>/storage` (the embedded default);
 * - `file:///shared/path`: the filesystem IO manager on that folder (a shared folder: NFS, a
 *   mounted volume; mount it at the same path on every host, materializations record absolute paths);
 * - `s3://bucket/prefix`: the S3 IO manager (endpoint from `AWS_ENDPOINT_URL`, credentials and
 *   region from the usual AWS environment).
 *
 * `LAKELOOP_IO_URL` is how an instance configures it ({@link ioUrlFromEnv}).
 *
 * @example
 * ```ts
 * const io = await openIoManager({ url: 's3://lakeloop-values/prod', home });
 * ```
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LakeloopError } from '../../../errors.js';
import { FilesystemIoManager } from './filesystem-io-manager.js';
import type { IoManager } from './io-manager.js';

/** Options of {@link openIoManager}. */
export interface OpenIoManagerOptions {
  /** `file:///…` or `s3://bucket[/prefix]`. Default: `<home>/storage`. */
  url?: string;
  /** The instance home (the default store is under it). */
  home: string;
  /** Environment for the S3 client (endpoint, region, credentials). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** `LAKELOOP_IO_URL` from `env`, or undefined when unset or empty. */
export function ioUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env.LAKELOOP_IO_URL?.trim();
  return url === undefined || url === '' ? undefined : url;
}

/** Opens the IO manager `url` names (the S3 client is loaded only for `s3://`). */
export async function openIoManager(options: OpenIoManagerOptions): Promise<IoManager> {
  const { url } = options;
  if (url === undefined || url === '')
    return new FilesystemIoManager({ root: join(options.home, 'storage') });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `LAKELOOP_IO_URL ${JSON.stringify(url)} is not a URL; use file:///shared/path or s3://bucket/prefix.`,
      { cause },
    );
  }
  switch (parsed.protocol) {
    case 'file:':
      return new FilesystemIoManager({ root: fileURLToPath(parsed) });
    case 's3:': {
      const { S3IoManager } = await import('./s3-io-manager.js');
      return S3IoManager.fromUrl(url, options.env ?? process.env);
    }
    default:
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Unsupported LAKELOOP_IO_URL scheme ${parsed.protocol}; use file:///shared/path or s3://bucket/prefix.`,
      );
  }
}
