/**
 * FilesystemIoManager.prune: deletes only the value files not kept and written before the
 * cutoff, and the temporary files killed writes left; never other files or folders.
 */
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilesystemIoManager } from '../../src/index.js';
import { tempDir } from './core-test-helpers.js';

describe('FilesystemIoManager.prune', () => {
  let dir: ReturnType<typeof tempDir>;
  let io: FilesystemIoManager;
  beforeEach(() => {
    dir = tempDir();
    io = new FilesystemIoManager({ root: join(dir.path, 'storage') });
  });
  afterEach(() => {
    dir.remove();
  });

  it('prunes only values not kept and written before the cutoff, and leftover temporary files', async () => {
    const kept = await io.write({ assetKey: 'p' }, 'kept');
    const old = await io.write({ assetKey: 'p', partition: '2001-01' }, 'old');
    const fresh = await io.write({ assetKey: 'p' }, 'fresh');
    const leftover = `${old.storagePath}.4242.deadbeef.tmp`;
    writeFileSync(leftover, 'partial');
    const notes = join(dir.path, 'storage', 'p', 'notes.txt');
    writeFileSync(notes, 'not a value');
    const past = new Date(Date.now() - 7_200_000);
    for (const path of [kept.storagePath, old.storagePath, leftover, notes]) utimesSync(path, past, past);
    const cutoff = Date.now() - 3_600_000;
    const keep = [kept];
    const dry = await io.prune({ keep, writtenBefore: cutoff, dryRun: true });
    expect(dry.deleted.sort()).toEqual([old.storagePath, leftover].sort());
    expect(existsSync(old.storagePath)).toBe(true);
    const pruned = await io.prune({ keep, writtenBefore: cutoff });
    expect(pruned.deleted.sort()).toEqual([old.storagePath, leftover].sort());
    expect(pruned.deletedBytes).toBe(old.sizeBytes + 'partial'.length);
    expect(pruned.kept).toBe(2); // kept by reference, and too recent to tell
    expect(existsSync(old.storagePath)).toBe(false);
    expect(existsSync(leftover)).toBe(false);
    expect(await io.read(kept)).toBe('kept');
    expect(await io.read(fresh)).toBe('fresh');
    expect(existsSync(notes)).toBe(true);
    expect(existsSync(join(dir.path, 'storage', 'p', '2001-01'))).toBe(true); // folders stay
  });

  it('refreshes the time of an identical value written again, so a prune in between keeps it', async () => {
    const first = await io.write({ assetKey: 'same' }, [1, 2]);
    const past = new Date(Date.now() - 7_200_000);
    utimesSync(first.storagePath, past, past);
    await io.write({ assetKey: 'same' }, [1, 2]); // a new run, its event not recorded yet
    const pruned = await io.prune({ keep: [], writtenBefore: Date.now() - 3_600_000 });
    expect(pruned.deleted).toEqual([]);
    expect(await io.read(first)).toEqual([1, 2]);
  });

  it('keeps a value by its asset folder and file name when the home moved since it was recorded', async () => {
    const value = await io.write({ assetKey: 'moved', partition: 'p1' }, 'still here');
    const past = new Date(Date.now() - 7_200_000);
    utimesSync(value.storagePath, past, past);
    const recorded = {
      ...value,
      storagePath: join('/old/home/storage/moved/p1', basename(value.storagePath)),
    };
    const pruned = await io.prune({ keep: [recorded], writtenBefore: Date.now() - 3_600_000 });
    expect(pruned).toMatchObject({ deleted: [], kept: 1 });
    expect(await io.read(value)).toBe('still here');
  });

  it('is a no-op on a root that does not exist yet', async () => {
    expect(await io.prune({ keep: [], writtenBefore: Date.now() })).toEqual({
      deleted: [],
      deletedBytes: 0,
      kept: 0,
    });
  });
});
