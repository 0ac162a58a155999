/**
 * The default IO manager: files under `<home>/storage/<asset>/` (or
 * `<home>/storage/<asset>/<partition>/`) named by content, `value-<dataVersion>.<ext>`, encoded
 * by value-codec.ts (JSON, raw bytes, the `lltab` binary table or the `lltree` container
 * format). The data version is the SHA-256 of the stored bytes. Writes go to a temporary file in
 * the same folder, renamed into place, so readers (and other processes) never see a partial
 * file; an identical value is not written again (its file is touched, so it counts as just
 * written). Writes never delete: values are retained by reference, and `prune` (called by
 * `pruneInstance`, see docs/storage.md) deletes only the files no retained run's materialization
 * event references.
 *
 * Content-addressed names also avoid renaming over an existing file, which ext4 turns into a
 * flush of the new file (about 2 ms per write on the build machine).
 *
 * @example
 * ```ts
 * const io = new FilesystemIoManager({ root: join(home, 'storage') });
 * const stored = await io.write({ assetKey: 'raw' }, [1, 2, 3]);
 * await io.read(stored); // [1, 2, 3]
 * ```
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import type { Dirent } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LakeloopError } from '../../../errors.js';
import type {
  IoManager,
  OutputRef,
  PruneValuesOptions,
  PruneValuesResult,
  StoredOutput,
  StoredOutputRef,
} from './io-manager.js';
import { decodeValue, encodeAssetValue, FORMAT_EXTENSIONS, formatOfPath } from './value-codec.js';

const VALUE_FILE = /^value(-[0-9a-f]{32})?\.(json|bin|lltab|lltree)$/;
/** A temporary file of a write (`<value file>.<pid>.<random>.tmp`) that a killed process left. */
const TEMP_FILE = /^value(-[0-9a-f]{32})?\.(json|bin|lltab|lltree)\.\d+\.[0-9a-f]+\.tmp$/;

/** Marks an existing file as just written (false when it does not exist). */
function touch(path: string): boolean {
  try {
    const now = new Date();
    utimesSync(path, now, now);
    return true;
  } catch {
    return false;
  }
}

/** Options of {@link FilesystemIoManager}. */
export interface FilesystemIoManagerOptions {
  /** Folder that holds the values (an instance uses `<home>/storage`). */
  root: string;
}

/** Hex SHA-256 of bytes, shortened to 32 characters: a data version. */
export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** {@link IoManager} on the local filesystem. */
export class FilesystemIoManager implements IoManager {
  readonly root: string;
  readonly location: string;

  constructor(options: FilesystemIoManagerOptions) {
    this.root = options.root;
    this.location = pathToFileURL(resolve(options.root)).href;
  }

  /** The folder of an asset's (partition's) value. */
  folderOf(ref: OutputRef): string {
    const segments = ref.assetKey.split('/');
    return ref.partition === undefined
      ? join(this.root, ...segments)
      : join(this.root, ...segments, ref.partition);
  }

  // Synchronous file calls: for the small files of most steps they cost microseconds, where the
  // thread-pool round trips of fs/promises cost more than the write itself.
  write(ref: OutputRef, value: unknown): Promise<StoredOutput> {
    try {
      return Promise.resolve(this.#write(ref, value));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #write(ref: OutputRef, value: unknown): StoredOutput {
    const encoded = encodeAssetValue(ref.assetKey, value, 'filesystem IO manager');
    const folder = this.folderOf(ref);
    const dataVersion = hashBytes(encoded.bytes);
    const name = `value-${dataVersion}${FORMAT_EXTENSIONS[encoded.format]}`;
    const path = join(folder, name);
    if (!touch(path)) {
      mkdirSync(folder, { recursive: true });
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        writeFileSync(tmp, encoded.bytes);
        renameSync(tmp, path);
      } catch (cause) {
        rmSync(tmp, { force: true });
        throw new LakeloopError(
          'UNAVAILABLE',
          `Cannot store the value of asset "${ref.assetKey}" at ${path}: ${(cause as Error).message}`,
          { cause },
        );
      }
    }
    return {
      ...ref,
      storagePath: path,
      dataVersion,
      format: encoded.format,
      sizeBytes: encoded.bytes.byteLength,
    };
  }

  /**
   * Deletes the value files (and leftover temporary files of killed writes) under the root that
   * are not in `keep` and were last written before `writtenBefore`; see {@link IoManager.prune}.
   * Folders stay (a writer may be about to write into one).
   */
  prune(options: PruneValuesOptions): Promise<PruneValuesResult> {
    try {
      return Promise.resolve(this.#pruneSync(options));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #pruneSync(options: PruneValuesOptions): PruneValuesResult {
    const keep = new Set<string>();
    for (const ref of options.keep) {
      keep.add(resolve(ref.storagePath));
      keep.add(join(resolve(this.folderOf(ref)), basename(ref.storagePath)));
    }
    const result: PruneValuesResult = { deleted: [], deletedBytes: 0, kept: 0 };
    const visit = (folder: string): void => {
      let entries: Dirent[];
      try {
        entries = readdirSync(folder, { withFileTypes: true });
      } catch {
        return; // no values yet, or removed meanwhile
      }
      for (const entry of entries) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) {
          visit(path);
          continue;
        }
        const isValue = VALUE_FILE.test(entry.name);
        if (!isValue && !TEMP_FILE.test(entry.name)) continue;
        if (isValue && keep.has(path)) {
          result.kept++;
          continue;
        }
        let stats: { mtimeMs: number; size: number };
        try {
          stats = statSync(path);
        } catch {
          continue; // removed by another process meanwhile
        }
        // Recently written: its run may not have recorded its materialization event yet.
        if (stats.mtimeMs >= options.writtenBefore) {
          if (isValue) result.kept++;
          continue;
        }
        if (options.dryRun !== true) rmSync(path, { force: true });
        result.deleted.push(path);
        result.deletedBytes += stats.size;
        if (options.dryRun !== true) options.onDeleted?.(path);
      }
    };
    visit(resolve(this.root));
    return result;
  }

  has(ref: StoredOutputRef): Promise<boolean> {
    return Promise.resolve(existsSync(ref.storagePath));
  }

  read(ref: StoredOutputRef): Promise<unknown> {
    try {
      return Promise.resolve(this.#read(ref));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #read(ref: StoredOutputRef): unknown {
    const format = formatOfPath(ref.storagePath);
    if (format === undefined) {
      throw new LakeloopError('INVALID_ARGUMENT', `Unknown stored value format: ${ref.storagePath}.`);
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(ref.storagePath);
    } catch (cause) {
      throw new LakeloopError(
        'NOT_FOUND',
        `The stored value of asset "${ref.assetKey}"${ref.partition === undefined ? '' : ` [${ref.partition}]`} is missing ` +
          `(${ref.storagePath}); materialize the asset again.`,
        { cause, details: { assetKey: ref.assetKey } },
      );
    }
    return decodeValue(format, bytes);
  }
}
