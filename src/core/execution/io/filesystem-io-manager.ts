/**
 * The default IO manager: files under `<home>/storage/<asset>/` (or
 * `<home>/storage/<asset>/<partition>/`) named by content, `value-<dataVersion>.<ext>`, encoded
 * by value-codec.ts (JSON, raw bytes, or the `lltab` binary table format). The data version is the
 * SHA-256 of the stored bytes. Writes go to a temporary file in the same folder, renamed into
 * place, so readers (and other processes) never see a partial file; an identical value is not
 * written again. The current value and the one before it are kept (a reader that looked up the
 * previous materialization a moment ago can still read it); older ones are deleted.
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
import { join } from 'node:path';
import { LakeloopError } from '../../../errors.js';
import type { IoManager, OutputRef, StoredOutput, StoredOutputRef } from './io-manager.js';
import { decodeValue, encodeValue, FORMAT_EXTENSIONS, formatOfPath } from './value-codec.js';
import type { ValueFormat } from './value-codec.js';

const VALUE_FILE = /^value(-[0-9a-f]{32})?\.(json|bin|lltab)$/;

/** Marks an existing file as the current value (false when it does not exist). */
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

  constructor(options: FilesystemIoManagerOptions) {
    this.root = options.root;
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
    let encoded: { format: ValueFormat; bytes: Uint8Array };
    try {
      encoded = encodeValue(value);
    } catch (cause) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Asset "${ref.assetKey}" returned a value the filesystem IO manager cannot store: ${(cause as Error).message}`,
        { cause, details: { assetKey: ref.assetKey } },
      );
    }
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
    this.#prune(folder, name);
    return {
      ...ref,
      storagePath: path,
      dataVersion,
      format: encoded.format,
      sizeBytes: encoded.bytes.byteLength,
    };
  }

  /** Deletes stored values of the folder except `keep` and the newest other one. */
  #prune(folder: string, keep: string): void {
    const others = readdirSync(folder)
      .filter((f) => f !== keep && VALUE_FILE.test(f))
      .map((f) => {
        try {
          return { f, mtime: statSync(join(folder, f)).mtimeMs };
        } catch {
          return undefined; // removed by another process meanwhile
        }
      })
      .filter((x) => x !== undefined)
      .sort((a, b) => b.mtime - a.mtime);
    // Two writes within one tick of the file system's clock get equal mtimes: make the current
    // value strictly the newest, so that "the previous value" stays well defined.
    const newestOther = others[0]?.mtime;
    const keepPath = join(folder, keep);
    if (newestOther !== undefined && statSync(keepPath).mtimeMs <= newestOther) {
      const later = (newestOther + 1) / 1000;
      utimesSync(keepPath, later, later);
    }
    for (const old of others.slice(1)) rmSync(join(folder, old.f), { force: true });
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
