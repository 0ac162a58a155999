/**
 * Turns a `lakefs://<repo>/<ref>/<path>` URI into a local file DuckDB (or anything else) can read.
 * The ref is first resolved to a commit id, and the object is read at that commit (immutable), then
 * cached by checksum under `cacheDir` (default `<home>/data/cache`): a second read of the same bytes
 * costs nothing. The embedded backend hard-links its blob instead of copying it when it can.
 * The checksum names a cache folder, so only checksums of the form backends really return are
 * accepted (hex digests, optionally with an S3 multipart `-N` suffix): anything else, such as
 * `..`, is refused before a path is built from it.
 *
 * @example
 * ```ts
 * const file = await resolveToLocalPath(data, 'lakefs://flights/main/months/2001-01.parquet', { cacheDir: '.lakeloop/data/cache' });
 * await connection.run(`SELECT count(*) FROM read_parquet('${file}')`);
 * ```
 */
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DataRepository, ObjectStat } from './data-repository.js';
import { parseDataUri } from './data-uri.js';
import { EmbeddedDataRepository } from './local/embedded-data-repository.js';
import { LakeloopError } from '../errors.js';

/** Options of {@link resolveToLocalPath}. */
export interface ResolveToLocalPathOptions {
  /** Folder of cached files, e.g. `<home>/data/cache`. */
  cacheDir: string;
}

/** A data URI resolved to a local file. */
export interface ResolvedDataFile {
  /** Local file (read-only: never modify it, it may be shared). */
  path: string;
  /** The commit the ref resolved to when read. */
  commitId: string;
  /** `lakefs://<repo>/<commitId>/<path>`: the immutable address of what was read. */
  immutableUri: string;
  stat: ObjectStat;
}

/** Resolves a data URI to a local file path (cached by checksum). */
export async function resolveToLocalPath(
  repository: DataRepository,
  uri: string,
  options: ResolveToLocalPathOptions,
): Promise<string> {
  return (await resolveDataFile(repository, uri, options)).path;
}

/** Like {@link resolveToLocalPath}, also returning the commit id and object metadata. */
export async function resolveDataFile(
  repository: DataRepository,
  uri: string,
  options: ResolveToLocalPathOptions,
): Promise<ResolvedDataFile> {
  const parsed = parseDataUri(uri);
  if (parsed.path === '' || parsed.path.endsWith('/')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The URI ${uri} names a prefix, not an object; give a file path.`,
      {
        details: { uri },
      },
    );
  }
  const commit = await repository.getCommit({ repository: parsed.repository, ref: parsed.ref });
  const address = { repository: parsed.repository, ref: commit.id, path: parsed.path };
  const stat = await repository.statObject(address);
  const folder = join(options.cacheDir, cacheFolderName(stat.checksum, uri));
  const target = join(folder, basename(parsed.path));
  const immutableUri = `lakefs://${parsed.repository}/${commit.id}/${parsed.path}`;
  if (existsSync(target) && statSync(target).size === stat.sizeBytes) {
    return { path: target, commitId: commit.id, immutableUri, stat };
  }
  mkdirSync(folder, { recursive: true });
  const temp = join(folder, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const blob =
      repository instanceof EmbeddedDataRepository ? await repository.blobPathOf(address) : undefined;
    if (blob?.path !== undefined) {
      try {
        linkSync(blob.path, temp);
      } catch {
        copyFileSync(blob.path, temp);
      }
    } else {
      await pipeline(await repository.getObject(address), createWriteStream(temp));
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return { path: target, commitId: commit.id, immutableUri, stat };
}

/**
 * A checksum as lakeFS and the embedded backend return them: a hex digest (md5 ETag, sha256),
 * optionally with the `-<parts>` suffix of an S3 multipart upload's ETag.
 */
const CHECKSUM = /^[0-9a-f]{8,128}(?:-\d{1,6})?$/i;

/** The cache folder of a checksum; INTERNAL when the backend returned something else. */
function cacheFolderName(checksum: string, uri: string): string {
  if (!CHECKSUM.test(checksum)) {
    throw new LakeloopError(
      'INTERNAL',
      `The data backend returned the checksum ${JSON.stringify(checksum.slice(0, 80))} for ${uri}, which is not a hex digest; refusing to cache the object under it. Check the backend (a lakeFS server returns hex ETags).`,
      { details: { uri } },
    );
  }
  return checksum.toLowerCase();
}
