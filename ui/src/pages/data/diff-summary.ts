/**
 * The per-prefix summary of a diff over every page loaded: the route summarizes each page's
 * entries, so the pages' rows are added up by prefix (a byte total stays unknown once one is).
 */
import type { DiffAnswer, DiffSummaryRow, DiffTotals } from './types.js';

function addTotals(a: DiffTotals, b: DiffTotals): DiffTotals {
  const bytes = a.bytes === undefined || b.bytes === undefined ? undefined : a.bytes + b.bytes;
  return bytes === undefined ? { count: a.count + b.count } : { count: a.count + b.count, bytes };
}

function addRows(a: DiffSummaryRow, b: DiffSummaryRow): DiffSummaryRow {
  return {
    prefix: a.prefix,
    added: addTotals(a.added, b.added),
    removed: addTotals(a.removed, b.removed),
    changed: addTotals(a.changed, b.changed),
    conflicts: a.conflicts + b.conflicts,
  };
}

/** The summary of the pages together: rows by prefix (sorted) and the total. */
export function combinedSummary(pages: readonly DiffAnswer[]): DiffAnswer['summary'] | undefined {
  const [first, ...rest] = pages;
  if (first === undefined) return undefined;
  const rows = new Map(first.summary.rows.map((row) => [row.prefix, row]));
  let total = first.summary.total;
  for (const page of rest) {
    total = addRows(total, page.summary.total);
    for (const row of page.summary.rows) {
      const known = rows.get(row.prefix);
      rows.set(row.prefix, known === undefined ? row : addRows(known, row));
    }
  }
  return { rows: [...rows.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : 1)), total };
}
