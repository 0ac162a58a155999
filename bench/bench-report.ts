/**
 * What every benchmark uses to report: a readable table on stdout and
 * `bench/results/<name>.json` (figure name -> value and unit, plus the baseline where one is compared).
 *
 * @example
 * ```ts
 * reportBench('orchestration', [{ name: 'materialize_median', value: 4.2, unit: 'ms', goal: '<= 20 ms' }]);
 * ```
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured figure. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** The same figure for the baseline, when one is compared (e.g. sklearn, Python mlflow). */
  baseline?: { name: string; value: number; unit: string };
  /** The goal the issue sets, as text (e.g. `'<= 20 ms'`). */
  goal?: string;
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** Prints the figures as a table and writes them to bench/results/<name>.json. */
export function reportBench(
  name: string,
  figures: readonly BenchFigure[],
  context: Record<string, unknown> = {},
): void {
  const rows = figures.map((f) => [
    f.name,
    `${format(f.value)} ${f.unit}`,
    f.baseline === undefined ? '' : `${f.baseline.name}: ${format(f.baseline.value)} ${f.baseline.unit}`,
    f.goal ?? '',
  ]);
  const header = ['figure', 'value', 'baseline', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(`\n== ${name}`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
  const path = join(resultsDir, `${name}.json`);
  mkdirSync(dirname(path), { recursive: true });
  const json = {
    name,
    measuredAt: new Date().toISOString(),
    machine: { node: process.version, platform: process.platform, arch: process.arch },
    context,
    figures: Object.fromEntries(
      figures.map((f) => [f.name, { value: f.value, unit: f.unit, baseline: f.baseline, goal: f.goal }]),
    ),
  };
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
}

function format(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The p-th percentile (0..100) of a list of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
