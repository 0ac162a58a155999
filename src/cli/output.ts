/**
 * How every CLI command prints: a readable table for people, JSON with `--json` for programs,
 * and one line (no stack trace) with the mapped exit code on error.
 */
import { describeError, exitCodeOf, isLakeloopError, LakeloopError } from '../errors.js';

/** Prints `value` as JSON (pretty, one document) to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as an aligned text table with the given columns. */
export function printTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): void {
  process.stdout.write(formatTable(columns, rows));
}

/** Formats rows as an aligned text table. */
export function formatTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [columns, ...rows.map((row) => row.map(formatCell))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n')}\n`;
}

function formatCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(4);
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Prints a one-line error and sets the exit code mapped from it. */
export function reportCliError(error: unknown): void {
  const prefix = isLakeloopError(error) ? `error [${error.code}]` : 'error';
  process.stderr.write(`${prefix}: ${describeError(error)}\n`);
  if (process.env.LAKELOOP_DEBUG === '1' && error instanceof Error)
    process.stderr.write(`${error.stack ?? ''}\n`);
  process.exitCode = exitCodeOf(error);
}

/**
 * Prints a command-line usage error (unknown option, missing argument) as one line with its code,
 * and sets exit code 2.
 *
 * @example
 * ```ts
 * reportUsageError("unknown option '--selec' (did you mean --select?); see lakeloop materialize --help");
 * // stderr: lakeloop: INVALID_ARGUMENT: unknown option '--selec' (did you mean --select?); see lakeloop materialize --help
 * ```
 */
export function reportUsageError(message: string): void {
  process.stderr.write(`lakeloop: INVALID_ARGUMENT: ${message}\n`);
  process.exitCode = exitCodeOf(new LakeloopError('INVALID_ARGUMENT', message));
}
