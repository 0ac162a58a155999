import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilesystemIoManager, isLakeloopError } from '../../src/index.js';
import { hashBytes } from '../../src/core/execution/io/filesystem-io-manager.js';
import { tempDir } from './core-test-helpers.js';

describe('FilesystemIoManager', () => {
  let dir: ReturnType<typeof tempDir>;
  let io: FilesystemIoManager;
  beforeEach(() => {
    dir = tempDir();
    io = new FilesystemIoManager({ root: join(dir.path, 'storage') });
  });
  afterEach(() => {
    dir.remove();
  });

  it('stores plain values as JSON under <root>/<asset>[/<partition>]', async () => {
    const stored = await io.write(
      { assetKey: 'flights/raw', partition: '2001-01' },
      { rows: [1, 2], name: 'x' },
    );
    expect(stored.format).toBe('json');
    expect(stored.storagePath).toBe(
      join(dir.path, 'storage', 'flights', 'raw', '2001-01', `value-${stored.dataVersion}.json`),
    );
    expect(JSON.parse(readFileSync(stored.storagePath, 'utf8'))).toEqual({ rows: [1, 2], name: 'x' });
    expect(await io.read(stored)).toEqual({ rows: [1, 2], name: 'x' });
    expect(stored.dataVersion).toBe(hashBytes(readFileSync(stored.storagePath)));
  });

  it('stores bytes raw and typed-array columns in the binary table format', async () => {
    const bytes = await io.write({ assetKey: 'blob' }, Buffer.from('hello'));
    expect(bytes.format).toBe('bytes');
    expect(readFileSync(bytes.storagePath, 'utf8')).toBe('hello');
    expect(Buffer.from((await io.read(bytes)) as Uint8Array).toString()).toBe('hello');

    const columns = {
      delay: Float32Array.from([1.5, -2]),
      hour: Int32Array.from([7, 23, 5]),
      big: BigInt64Array.from([1n]),
    };
    const table = await io.write({ assetKey: 'table' }, columns);
    expect(table.format).toBe('table');
    const large = await io.write({ assetKey: 'large' }, { x: new Float32Array(10_000) });
    expect(large.sizeBytes).toBeLessThan(40_000 + 128); // 4 bytes a value plus a small header
    const back = (await io.read(table)) as typeof columns;
    expect(back.delay).toBeInstanceOf(Float32Array);
    expect([...back.delay]).toEqual([1.5, -2]);
    expect([...back.hour]).toEqual([7, 23, 5]);
    expect([...back.big]).toEqual([1n]);

    const single = await io.write({ assetKey: 'single' }, Float64Array.from([Math.PI]));
    expect([...((await io.read(single)) as Float64Array)]).toEqual([Math.PI]);
  });

  it('names files by content, skips identical writes and deletes nothing at write time', async () => {
    const folder = join(dir.path, 'storage', 'a');
    const first = await io.write({ assetKey: 'a' }, [1, 2, 3]);
    const again = await io.write({ assetKey: 'a' }, [1, 2, 3]);
    expect(again.dataVersion).toBe(first.dataVersion);
    expect(again.storagePath).toBe(first.storagePath);
    expect(readdirSync(folder)).toHaveLength(1);
    const second = await io.write({ assetKey: 'a' }, Float64Array.from([1, 2, 3]));
    expect(second.dataVersion).not.toBe(first.dataVersion);
    const third = await io.write({ assetKey: 'a' }, 'three');
    // Retention is by reference (pruneInstance), not "current + previous": all three stay.
    expect(readdirSync(folder).sort()).toEqual(
      [
        `value-${first.dataVersion}.json`,
        `value-${second.dataVersion}.lltab`,
        `value-${third.dataVersion}.json`,
      ].sort(),
    );
    expect(await io.read(first)).toEqual([1, 2, 3]);
    expect(readdirSync(folder).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('refuses values that are not data, leaving nothing behind', async () => {
    const error = await io.write({ assetKey: 'bad' }, { n: 1n, f: () => 1 }).catch((e: unknown) => e);
    expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain('Asset "bad"');
    expect((error as Error).message).toContain('value.f is a function');
    expect(existsSync(join(dir.path, 'storage', 'bad'))).toBe(false);
  });

  it('reports a missing stored value as NOT_FOUND', async () => {
    const error = await io
      .read({ assetKey: 'gone', storagePath: join(dir.path, 'storage', 'gone', 'value.json') })
      .catch((e: unknown) => e);
    expect(isLakeloopError(error, 'NOT_FOUND')).toBe(true);
  });
});
