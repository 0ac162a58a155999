/**
 * The default IO manager: one file per asset (and partition) under `<home>/storage/`:
 * `<home>/storage/<asset>/value.<ext>` or `<home>/storage/<asset>/<partition>/value.<ext>`,
 * encoded by value-codec.ts (JSON, raw bytes, or the `lltab` binary table format). Writes go to a
 * temporary file in the same folder and are renamed into place, so readers (and other processes)
 * never see a partial file. The data version is the SHA-256 of the stored bytes.
 *
 * @example
 * ```ts
 * const io = new FilesystemIoManager({ root: join(home, 'storage') });
 * const stored = await io.write({ assetKey: 'raw' }, [1, 2, 3]);
 * await io.read(stored); // [1, 2, 3]
 * ```
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LakeloopError } from '../../../errors.js';
import type { IoManager, OutputRef, StoredOutput, StoredOutputRef } from './io-manager.js';
import { decodeValue, encodeValue, FORMAT_EXTENSIONS, formatOfPath } from './value-codec.js';
import type { ValueFormat } from './value-codec.js';

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
    mkdirSync(folder, { recursive: true });
    const path = join(folder, `value${FORMAT_EXTENSIONS[encoded.format]}`);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, encoded.bytes);
      renameSync(tmp, path);
    } catch (cause) {
      rmSync(tmp, { force: true });
      throw new LakeloopError(
        'UNAVAILABLE',
        `Cannot store the value of asset "${ref.assetKey}" at ${path}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    // A value stored earlier in another format is now outdated.
    for (const ext of Object.values(FORMAT_EXTENSIONS)) {
      if (ext !== FORMAT_EXTENSIONS[encoded.format]) rmSync(join(folder, `value${ext}`), { force: true });
    }
    return {
      ...ref,
      storagePath: path,
      dataVersion: hashBytes(encoded.bytes),
      format: encoded.format,
      sizeBytes: encoded.bytes.byteLength,
    };
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
