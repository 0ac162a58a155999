/**
 * Resolves a `lakefs://<repository>/<ref>/<path>` URI — one object, a prefix (`…/months/`) or a
 * glob (`…/months/2001-0*.parquet`, `**` crossing folders) — to local files, all read at the one
 * commit the ref resolved to. The embedded backend's blob files are used where they are (no copy);
 * other objects (lakeFS, small inline blobs) are downloaded into `cacheDir` by checksum when one is
 * given, else into a temporary folder that {@link DataFileSet.release} removes.
 *
 * @example
 * ```ts
 * await using files = await resolveDataFiles(data, 'lakefs://flights/main/months/');
 * console.log(files.commitId, files.files.map((file) => file.localPath));
 * ```
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isLakeloopError, LakeloopError } from '../errors.js';
import type { Commit, DataRepository, ObjectStat } from './data-repository.js';
import { formatDataUri, parseDataUri } from './data-uri.js';
import type { DataUri } from './data-uri.js';
import { resolveDataFile } from './local-path-resolver.js';
import { EmbeddedDataRepository } from './local/embedded-data-repository.js';

/** Options of {@link resolveDataFiles}. */
export interface ResolveDataFilesOptions {
  /** Keep downloaded objects here by checksum (e.g. `lakeloopDataCacheDir(home)`). Default: a temp folder removed at release. */
  cacheDir?: string;
  /** Only objects whose path this accepts (applied to prefix and glob listings, not to a single object). */
  accept?: (path: string) => boolean;
}

/** One object of a {@link DataFileSet}. */
export interface LocalDataFile {
  /** The object's path in the repository. */
  path: string;
  /** `lakefs://<repo>/<commitId>/<path>`: the immutable address of what is read. */
  uri: string;
  /** A local file with the object's bytes (read-only: it may be the backend's own blob). */
  localPath: string;
  stat: ObjectStat;
}

/** Local files for a URI, at one commit. Release it (or `await using`) to remove temp downloads. */
export interface DataFileSet extends AsyncDisposable {
  /** The URI as given. */
  readonly uri: string;
  readonly repository: string;
  /** The commit the URI's ref resolved to. */
  readonly commitId: string;
  /** The objects, in path order (one for an object URI). */
  readonly files: readonly LocalDataFile[];
  release(): Promise<void>;
}

/** Resolves a data URI (object, prefix or glob) to local files at one commit. */
export async function resolveDataFiles(
  data: DataRepository,
  uri: string,
  options: ResolveDataFilesOptions = {},
): Promise<DataFileSet> {
  const parsed = parseDataUri(uri);
  const commit = await resolveCommit(data, parsed, uri);
  const objects = await selectObjects(data, parsed, commit.id, uri, options.accept);
  let tempDir: string | undefined;
  const release = (): Promise<void> => {
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    tempDir = undefined;
    return Promise.resolve();
  };
  try {
    const files: LocalDataFile[] = [];
    for (const stat of objects) {
      const address = { repository: parsed.repository, ref: commit.id, path: stat.path };
      const pinned = formatDataUri(address);
      let localPath = await embeddedBlobPath(data, address);
      if (localPath === undefined && options.cacheDir !== undefined) {
        localPath = (await resolveDataFile(data, pinned, { cacheDir: options.cacheDir })).path;
      }
      if (localPath === undefined) {
        tempDir ??= mkdtempSync(join(tmpdir(), 'lakeloop-read-'));
        // One folder per object keeps its base name (DuckDB detects `.gz` by it) without clashes.
        const folder = join(tempDir, randomBytes(6).toString('hex'));
        mkdirSync(folder);
        localPath = join(folder, basename(stat.path));
        await pipeline(await data.getObject(address), createWriteStream(localPath));
      }
      files.push({ path: stat.path, uri: pinned, localPath, stat });
    }
    return {
      uri,
      repository: parsed.repository,
      commitId: commit.id,
      files,
      release,
      [Symbol.asyncDispose]: release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** The commit a URI's ref names; NOT_FOUND naming the URI and how to list refs. */
export async function resolveCommit(data: DataRepository, parsed: DataUri, uri: string): Promise<Commit> {
  try {
    return await data.getCommit({ repository: parsed.repository, ref: parsed.ref });
  } catch (error) {
    if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    throw new LakeloopError(
      'NOT_FOUND',
      `Cannot read ${uri}: ${error.message} List repositories with \`lakeloop data repo list\` and branches with \`lakeloop data branch list ${parsed.repository}\` (tags: \`lakeloop data tag list ${parsed.repository}\`).`,
      { cause: error, details: { uri } },
    );
  }
}

/** The objects a URI selects at `commitId`, in path order; NOT_FOUND when there are none. */
async function selectObjects(
  data: DataRepository,
  parsed: DataUri,
  commitId: string,
  uri: string,
  accept: ((path: string) => boolean) | undefined,
): Promise<ObjectStat[]> {
  const listHint = `List what is there with \`lakeloop data ls ${formatDataUri({ ...parsed, path: folderOf(parsed.path) })}\`.`;
  const glob = globPattern(parsed.path);
  if (glob === undefined && parsed.path !== '' && !parsed.path.endsWith('/')) {
    try {
      return [await data.statObject({ repository: parsed.repository, ref: commitId, path: parsed.path })];
    } catch (error) {
      if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
      throw new LakeloopError(
        'NOT_FOUND',
        `No object at ${uri} (commit ${commitId.slice(0, 12)}). ${listHint}`,
        {
          cause: error,
          details: { uri, commitId },
        },
      );
    }
  }
  const prefix = listingPrefix(parsed.path);
  const selected: ObjectStat[] = [];
  let after = '';
  for (;;) {
    const page = await data.listObjects({
      repository: parsed.repository,
      ref: commitId,
      prefix,
      after,
      amount: 1000,
    });
    for (const entry of page.results) {
      if (entry.pathType !== 'object') continue;
      if (glob !== undefined && !glob.test(entry.path)) continue;
      if (accept !== undefined && !accept(entry.path)) continue;
      selected.push(entry);
    }
    if (!page.hasMore) break;
    after = page.nextOffset;
  }
  if (selected.length === 0) {
    throw new LakeloopError(
      'NOT_FOUND',
      `No ${accept === undefined ? '' : 'readable '}objects match ${uri} (commit ${commitId.slice(0, 12)}). ${listHint}`,
      { details: { uri, commitId } },
    );
  }
  return selected;
}

/** The folder to list when a path selects nothing. */
function folderOf(path: string): string {
  const prefix = listingPrefix(path);
  return prefix === '' || prefix.endsWith('/') ? prefix : prefix.slice(0, prefix.lastIndexOf('/') + 1);
}

/** The part of a path before its first wildcard, cut back to a folder: what to list. */
function listingPrefix(path: string): string {
  const wildcard = path.search(/[*?[]/);
  if (wildcard < 0) return path;
  return path.slice(0, path.lastIndexOf('/', wildcard) + 1);
}

/** A RegExp for a glob path (`*` and `?` within a folder, `**` across, `[…]` a class); undefined without wildcards. */
export function globPattern(path: string): RegExp | undefined {
  if (!/[*?[]/.test(path)) return undefined;
  let source = '';
  for (let index = 0; index < path.length; index++) {
    const char = path[index] ?? '';
    if (char === '*' && path[index + 1] === '*') {
      // `**/` also matches no folder at all.
      const slash = path[index + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      index += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const end = path.indexOf(']', index + 1);
      if (end < 0) source += '\\[';
      else {
        const body = path.slice(index + 1, end);
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body.replace(/\\/g, '\\\\')}]`;
        index = end;
      }
    } else source += char.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The embedded backend's blob file of an object, when it has one (objects ≤ 64 KiB put from memory live in SQLite). */
async function embeddedBlobPath(
  data: DataRepository,
  address: { repository: string; ref: string; path: string },
): Promise<string | undefined> {
  // A blob has no file extension, and DuckDB detects compression by it: fetch `.gz` objects by name.
  if (!(data instanceof EmbeddedDataRepository) || address.path.endsWith('.gz')) return undefined;
  return (await data.blobPathOf(address)).path;
}
