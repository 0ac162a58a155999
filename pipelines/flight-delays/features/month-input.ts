/**
 * Validation of the inputs shared by the month-partitioned steps: month names and output paths.
 *
 * @example
 * ```ts
 * const { start, end } = monthRange(parseMonth('2001-02')); // 2001-02-01 00:00 .. 2001-03-01 00:00
 * ```
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { LakeloopError } from 'lakeloop';

const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);

/** Checks that `month` is `YYYY-MM` and returns it. */
export function parseMonth(month: string): string {
  const parsed = monthSchema.safeParse(month);
  if (!parsed.success) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Month "${month}" is not of the form YYYY-MM (e.g. 2001-06).`,
      {
        cause: parsed.error,
        details: { month },
      },
    );
  }
  return parsed.data;
}

/** The first instant of a `YYYY-MM` month and of the next one, as `YYYY-MM-DD 00:00:00` text. */
export function monthRange(month: string): { start: string; end: string } {
  const [year, monthNumber] = parseMonth(month).split('-').map(Number) as [number, number];
  const nextYear = monthNumber === 12 ? year + 1 : year;
  const nextMonth = monthNumber === 12 ? 1 : monthNumber + 1;
  return {
    start: `${month}-01 00:00:00`,
    end: `${String(nextYear).padStart(4, '0')}-${String(nextMonth).padStart(2, '0')}-01 00:00:00`,
  };
}

/**
 * Writes a file through `write(temporaryPath)` and renames it to `outputPath` only when the write
 * succeeded, so a crash never leaves a half-written output behind.
 */
export async function writeAtomically(
  outputPath: string,
  write: (temporaryPath: string) => Promise<void>,
): Promise<void> {
  mkdirSync(dirname(outputPath), { recursive: true });
  const temporaryPath = `${outputPath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await write(temporaryPath);
    renameSync(temporaryPath, outputPath);
  } finally {
    rmSync(temporaryPath, { force: true });
  }
}
