/**
 * The IO manager contract: what every IoManager that the multi-process and queue executors may
 * use must do (round trip of each encoding, content-addressed names, the same data version for
 * the same value in every implementation, `has`, a clear NOT_FOUND, prune keeping what is
 * referenced or recent, and reopening the same store from its `location`).
 */
import { describe, expect, it } from 'vitest';
import { isLakeloopError, openIoManager } from '../../src/index.js';
import type { IoManager } from '../../src/index.js';
import { hashBytes } from '../../src/core/execution/io/filesystem-io-manager.js';
import { encodeValue } from '../../src/core/execution/io/value-codec.js';

/** A fresh, empty store per test; `env` reopens it from its location (S3 credentials). */
export interface IoManagerFixture {
  io: IoManager;
  home: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs the contract against the IO managers `create` makes. */
export function ioManagerContract(name: string, create: () => Promise<IoManagerFixture>): void {
  describe(`IoManager contract: ${name}`, () => {
    it('round-trips JSON, bytes and tables, per asset and partition', async () => {
      const { io } = await create();
      const json = await io.write({ assetKey: 'flights/raw', partition: '2001-01' }, { rows: [1, 2] });
      expect(json.format).toBe('json');
      expect(json.partition).toBe('2001-01');
      expect(await io.read(json)).toEqual({ rows: [1, 2] });
      const bytes = await io.write({ assetKey: 'blob' }, Buffer.from('hello'));
      expect(bytes.format).toBe('bytes');
      expect(Buffer.from((await io.read(bytes)) as Uint8Array).toString()).toBe('hello');
      const table = await io.write({ assetKey: 'table' }, { delay: Float32Array.from([1.5, -2]) });
      expect(table.format).toBe('table');
      const columns = (await io.read(table)) as { delay: Float32Array };
      expect(Array.from(columns.delay)).toEqual([1.5, -2]);
    });

    it('names values by content: the data version is the hash of the encoded bytes', async () => {
      const { io } = await create();
      const value = { a: 1, list: [1, 2, 3] };
      const first = await io.write({ assetKey: 'x' }, value);
      const again = await io.write({ assetKey: 'x' }, value);
      const other = await io.write({ assetKey: 'x' }, { a: 2 });
      expect(again.storagePath).toBe(first.storagePath);
      expect(first.dataVersion).toBe(hashBytes(encodeValue(value).bytes));
      expect(first.storagePath.endsWith(`value-${first.dataVersion}.json`)).toBe(true);
      expect(other.storagePath).not.toBe(first.storagePath);
      expect(first.sizeBytes).toBe(encodeValue(value).bytes.byteLength);
    });

    it('has tells whether a value is there; a missing one is NOT_FOUND with what to do', async () => {
      const { io } = await create();
      const stored = await io.write({ assetKey: 'y' }, [1]);
      expect(await io.has?.(stored)).toBe(true);
      const missing = {
        ...stored,
        storagePath: stored.storagePath.replace(stored.dataVersion, '0'.repeat(32)),
      };
      expect(await io.has?.(missing)).toBe(false);
      const error = await io.read(missing).catch((e: unknown) => e);
      expect(isLakeloopError(error, 'NOT_FOUND')).toBe(true);
      expect((error as Error).message).toMatch(/materialize the asset again/);
    });

    it('prune deletes values not kept and not recent, and keeps the rest', async () => {
      const { io } = await create();
      const kept = await io.write({ assetKey: 'z' }, 'kept');
      const dropped = await io.write({ assetKey: 'z' }, 'dropped');
      const dry = await io.prune?.({ keep: [kept], writtenBefore: Date.now() + 60_000, dryRun: true });
      expect(dry?.deleted).toEqual([dropped.storagePath]);
      expect(await io.has?.(dropped)).toBe(true);
      const recent = await io.prune?.({ keep: [kept], writtenBefore: Date.now() - 60_000 });
      expect(recent?.deleted).toEqual([]);
      const result = await io.prune?.({ keep: [kept], writtenBefore: Date.now() + 60_000 });
      expect(result?.deleted).toEqual([dropped.storagePath]);
      expect(await io.has?.(dropped)).toBe(false);
      expect(await io.read(kept)).toBe('kept');
    });

    it('reopens the same store from its location (as a worker on another host does)', async () => {
      const { io, home, env } = await create();
      const stored = await io.write({ assetKey: 'shared' }, { from: 'coordinator' });
      expect(io.location).toBeDefined();
      const reopened = await openIoManager({
        url: io.location ?? '',
        home,
        ...(env === undefined ? {} : { env }),
      });
      expect(reopened.location).toBe(io.location);
      expect(await reopened.read(stored)).toEqual({ from: 'coordinator' });
    });
  });
}
