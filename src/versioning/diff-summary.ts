/**
 * What a diff changed, per folder: counts and bytes of added, removed and changed objects grouped
 * by the first `depth` folders of their paths (`lakeloop data diff --summary`). A byte total is
 * `undefined` (unknown) as soon as one of its entries has no size: lakeFS does not give the size of
 * a removed entry, so there "bytes removed" is unknown rather than 0.
 *
 * @example
 * ```ts
 * import { summarizeDiff } from 'lakeloop/data';
 * const page = await data.diff({ repository: 'flights', left: 'main~1', right: 'main' });
 * const { rows, total } = summarizeDiff(page.results, { depth: 1 });
 * // rows: [{ prefix: 'flights/', added: { count: 1, bytes: 5_120_000 }, removed: { count: 0, bytes: 0 }, … }]
 * ```
 */
import { LakeloopError } from '../errors.js';
import type { DiffEntry } from './data-repository.js';

/** How many entries of one kind, and their bytes (undefined when a size is unknown). */
export interface DiffTotals {
  count: number;
  /** Sum of the entries' sizes; `undefined` when any of them has no known size. */
  bytes: number | undefined;
}

/** The changes under one folder. */
export interface DiffSummaryRow {
  /** The folder, ending in `/`; `''` for objects at the top level (and for the total). */
  prefix: string;
  added: DiffTotals;
  removed: DiffTotals;
  /** Bytes are the new sizes of the changed objects (not the growth). */
  changed: DiffTotals;
  /** Entries reported as conflicts (diffs between refs never have them; merge previews may). */
  conflicts: number;
}

/** Per-folder rows (sorted by prefix) and the total over all of them. */
export interface DiffSummary {
  rows: DiffSummaryRow[];
  total: DiffSummaryRow;
}

/** Options of {@link summarizeDiff}. */
export interface SummarizeDiffOptions {
  /** How many leading folders of a path make its group (`a/b/c.csv` at depth 1: `a/`). Default 1. */
  depth?: number;
}

/** Groups diff entries by folder and totals their counts and bytes per change type. */
export function summarizeDiff(entries: Iterable<DiffEntry>, options: SummarizeDiffOptions = {}): DiffSummary {
  const depth = options.depth ?? 1;
  if (!Number.isSafeInteger(depth) || depth < 1) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid depth ${JSON.stringify(depth)}: use a whole number >= 1 (1 groups by top-level folder).`,
      { details: { depth } },
    );
  }
  const rows = new Map<string, DiffSummaryRow>();
  const total = emptyRow('');
  for (const entry of entries) {
    const prefix = folderOf(entry.path, depth);
    let row = rows.get(prefix);
    if (row === undefined) {
      row = emptyRow(prefix);
      rows.set(prefix, row);
    }
    add(row, entry);
    add(total, entry);
  }
  return { rows: [...rows.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : 1)), total };
}

function emptyRow(prefix: string): DiffSummaryRow {
  return {
    prefix,
    added: { count: 0, bytes: 0 },
    removed: { count: 0, bytes: 0 },
    changed: { count: 0, bytes: 0 },
    conflicts: 0,
  };
}

function add(row: DiffSummaryRow, entry: DiffEntry): void {
  if (entry.type === 'conflict') {
    row.conflicts += 1;
    return;
  }
  const totals = row[entry.type];
  totals.count += 1;
  // One unknown size makes the sum unknown: a partial sum printed as a total would mislead.
  totals.bytes =
    totals.bytes === undefined || entry.sizeBytes === undefined ? undefined : totals.bytes + entry.sizeBytes;
}

/** The first `depth` folders of a path, with a trailing `/` (`''` at the top level). */
function folderOf(path: string, depth: number): string {
  const folders = path.split('/').slice(0, -1).slice(0, depth);
  return folders.length === 0 ? '' : `${folders.join('/')}/`;
}
