/**
 * Content-addressed blobs on disk: `<root>/<sha[0:2]>/<sha[2:]>`. Identical bytes are stored once.
 * A blob is written to `<root>/tmp/` first and renamed into place only when complete, so a process
 * killed mid-write never leaves a half blob under its final name.
 *
 * @example
 * ```ts
 * const blobs = new BlobStore({ root: '.lakeloop/data/blobs' });
 * const { checksum, sizeBytes } = await blobs.write(createReadStream('big.parquet'));
 * blobs.open(checksum).pipe(process.stdout);
 * ```
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { LakeloopError } from '../../errors.js';
import type { ObjectContent } from '../data-repository.js';

/** Options of {@link BlobStore}. */
export interface BlobStoreOptions {
  /** Folder of the blobs. */
  root: string;
  /** fsync each blob before renaming it (survives power loss, slower). Default false. */
  durable?: boolean;
}

/** A written blob. */
export interface BlobRef {
  checksum: string;
  sizeBytes: number;
}

const WRITE_CHUNK = 1 << 20;

/** Content-addressed blob files. */
export class BlobStore {
  readonly root: string;
  readonly #tmp: string;
  readonly #durable: boolean;

  constructor(options: BlobStoreOptions) {
    this.root = options.root;
    this.#tmp = join(options.root, 'tmp');
    this.#durable = options.durable ?? false;
    mkdirSync(this.#tmp, { recursive: true });
  }

  /** The file of a blob. */
  pathOf(checksum: string): string {
    return join(this.root, checksum.slice(0, 2), checksum.slice(2));
  }

  /** True when the blob is stored. */
  has(checksum: string): boolean {
    return existsSync(this.pathOf(checksum));
  }

  /** Writes content (buffer, string or stream) and returns its checksum and size. */
  async write(content: ObjectContent): Promise<BlobRef> {
    if (typeof content === 'string') return this.writeBytes(Buffer.from(content, 'utf8'));
    if (content instanceof Uint8Array) return this.writeBytes(content);
    return this.#writeStream(content);
  }

  /** Writes bytes already in memory (skips the write when the blob exists). */
  writeBytes(bytes: Uint8Array): BlobRef {
    const checksum = createHash('sha256').update(bytes).digest('hex');
    if (!this.has(checksum)) {
      const temp = this.#tempPath();
      try {
        if (this.#durable) {
          const fd = openSync(temp, 'w');
          try {
            writeSync(fd, bytes);
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
        } else {
          writeFileSync(temp, bytes);
        }
        this.#install(temp, checksum);
      } catch (error) {
        rmSync(temp, { force: true });
        throw storageError(error);
      }
    }
    return { checksum, sizeBytes: bytes.byteLength };
  }

  async #writeStream(content: Readable | AsyncIterable<Uint8Array>): Promise<BlobRef> {
    const temp = this.#tempPath();
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const fd = openSync(temp, 'w');
    try {
      // Writes in ~1 MiB batches: the process never holds more than a chunk or two in memory.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = (): void => {
        if (pendingBytes === 0) return;
        const buffer = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
        let offset = 0;
        while (offset < buffer.byteLength) offset += writeSync(fd, buffer, offset);
        pending = [];
        pendingBytes = 0;
      };
      for await (const chunk of content as AsyncIterable<Uint8Array | string>) {
        const buffer =
          typeof chunk === 'string'
            ? Buffer.from(chunk)
            : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        hash.update(buffer);
        sizeBytes += buffer.byteLength;
        pending.push(buffer);
        pendingBytes += buffer.byteLength;
        if (pendingBytes >= WRITE_CHUNK) flush();
      }
      flush();
      if (this.#durable) fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      rmSync(temp, { force: true });
      throw error instanceof LakeloopError ? error : storageError(error);
    }
    closeSync(fd);
    const checksum = hash.digest('hex');
    try {
      if (this.has(checksum)) unlinkSync(temp);
      else this.#install(temp, checksum);
    } catch (error) {
      rmSync(temp, { force: true });
      throw storageError(error);
    }
    return { checksum, sizeBytes };
  }

  /** A read stream of a blob; NOT_FOUND when it is missing (e.g. removed by gc). */
  open(checksum: string): Readable {
    const path = this.pathOf(checksum);
    if (!existsSync(path)) {
      throw new LakeloopError(
        'NOT_FOUND',
        `The blob ${checksum} is missing from ${this.root}; the data folder may have been altered.`,
      );
    }
    return createReadStream(path, { highWaterMark: 1 << 20 });
  }

  /** Size of a stored blob. */
  sizeOf(checksum: string): number {
    return statSync(this.pathOf(checksum)).size;
  }

  /** Every stored checksum (walks the folders). */
  *list(): Generator<string> {
    for (const dir of readdirSync(this.root)) {
      if (dir === 'tmp' || dir.length !== 2) continue;
      for (const file of readdirSync(join(this.root, dir))) yield dir + file;
    }
  }

  /** Removes a blob; returns its size (0 when absent). */
  remove(checksum: string): number {
    const path = this.pathOf(checksum);
    try {
      const size = statSync(path).size;
      unlinkSync(path);
      return size;
    } catch {
      return 0;
    }
  }

  /** Removes leftovers of interrupted writes last modified before `cutoffMs` (epoch ms). */
  clearTempOlderThan(cutoffMs: number): number {
    let removed = 0;
    for (const file of readdirSync(this.#tmp)) {
      const path = join(this.#tmp, file);
      try {
        if (statSync(path).mtimeMs > cutoffMs) continue;
        rmSync(path, { force: true });
        removed++;
      } catch {
        // written or removed concurrently: leave it
      }
    }
    return removed;
  }

  #install(temp: string, checksum: string): void {
    const target = this.pathOf(checksum);
    mkdirSync(join(this.root, checksum.slice(0, 2)), { recursive: true });
    // Read-only: a blob is shared (dedup, hard links in the read cache) and must never change.
    chmodSync(temp, 0o444);
    renameSync(temp, target);
  }

  #tempPath(): string {
    return join(this.#tmp, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }
}

function storageError(cause: unknown): LakeloopError {
  return new LakeloopError(
    'UNAVAILABLE',
    'Could not write to the data folder; check free disk space and permissions.',
    { cause },
  );
}
