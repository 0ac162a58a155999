/** `summarizeDiff`: per-folder counts and bytes, with unknown sizes kept unknown. */
import { describe, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import type { DiffEntry } from '../../src/versioning/data-repository.js';
import { summarizeDiff } from '../../src/versioning/diff-summary.js';

const entry = (type: DiffEntry['type'], path: string, sizeBytes?: number): DiffEntry => ({
  type,
  path,
  pathType: 'object',
  ...(sizeBytes === undefined ? {} : { sizeBytes }),
});

const entries: DiffEntry[] = [
  entry('added', 'flights/2001/01.parquet', 100),
  entry('added', 'flights/2001/02.parquet', 50),
  entry('changed', 'flights/2002/01.parquet', 7),
  entry('removed', 'notes/old.txt', 3),
  entry('added', 'README.txt', 1),
];

describe('summarizeDiff', () => {
  it('groups by the top-level folder by default and totals counts and bytes per type', () => {
    const { rows, total } = summarizeDiff(entries);
    expect(rows).toEqual([
      {
        prefix: '',
        added: { count: 1, bytes: 1 },
        removed: { count: 0, bytes: 0 },
        changed: { count: 0, bytes: 0 },
        conflicts: 0,
      },
      {
        prefix: 'flights/',
        added: { count: 2, bytes: 150 },
        removed: { count: 0, bytes: 0 },
        changed: { count: 1, bytes: 7 },
        conflicts: 0,
      },
      {
        prefix: 'notes/',
        added: { count: 0, bytes: 0 },
        removed: { count: 1, bytes: 3 },
        changed: { count: 0, bytes: 0 },
        conflicts: 0,
      },
    ]);
    expect(total).toMatchObject({
      prefix: '',
      added: { count: 3, bytes: 151 },
      removed: { count: 1, bytes: 3 },
      changed: { count: 1, bytes: 7 },
    });
  });

  it('groups deeper with depth, keeping shallower paths in their own folder', () => {
    const { rows } = summarizeDiff(entries, { depth: 2 });
    expect(rows.map((row) => [row.prefix, row.added.count + row.removed.count + row.changed.count])).toEqual([
      ['', 1],
      ['flights/2001/', 2],
      ['flights/2002/', 1],
      ['notes/', 1],
    ]);
  });

  it('says bytes are unknown, not 0, when an entry has no size (removed entries on lakeFS)', () => {
    const { rows, total } = summarizeDiff([
      entry('removed', 'a/x.csv'),
      entry('removed', 'a/y.csv', 4),
      entry('added', 'a/z.csv', 2),
    ]);
    expect(rows[0]?.removed).toEqual({ count: 2, bytes: undefined });
    expect(rows[0]?.added).toEqual({ count: 1, bytes: 2 });
    expect(total.removed.bytes).toBeUndefined();
  });

  it('counts conflicts apart and refuses a depth below 1', () => {
    expect(summarizeDiff([entry('conflict', 'a/b.csv')]).rows[0]?.conflicts).toBe(1);
    let error: unknown;
    try {
      summarizeDiff(entries, { depth: 0 });
    } catch (caught) {
      error = caught;
    }
    expect(isLakeloopError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});
