/**
 * What the `lakeloop data …` command modules share: opening the repository for one command,
 * collecting every page of a list call, option parsers and short formats.
 *
 * @example
 * ```ts
 * const refs = await withData(command, (d) => all((page) => d.listBranches({ repository: 'flights', ...page })));
 * ```
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { LakeloopError } from '../../errors.js';
import { openDataRepository } from '../../versioning/data-repository-factory.js';
import type { OpenDataRepositoryOptions } from '../../versioning/data-repository-factory.js';
import type { DataRepository, Page, PageOptions } from '../../versioning/data-repository.js';
import { instanceHome } from '../instance-home.js';

/** Opens the repository for a command (with `open`'s options, e.g. data hooks), runs `action`, and closes it. */
export async function withData<T>(
  command: Command,
  action: (data: DataRepository) => Promise<T>,
  open: Omit<OpenDataRepositoryOptions, 'home'> = {},
): Promise<T> {
  const data = await openDataRepository({ ...open, home: instanceHome(command) });
  try {
    return await action(data);
  } finally {
    await data.close();
  }
}

/** Collects every page of a list call. */
export async function all<T>(list: (page: PageOptions) => Promise<Page<T>>): Promise<T[]> {
  const results: T[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await list({ amount: 1000, ...(after === undefined ? {} : { after }) });
    results.push(...page.results);
    if (!page.hasMore) return results;
    after = page.nextOffset;
  }
}

/** Parses `--meta k=v` (repeatable) into a record. */
export function collectMeta(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) {
    throw new LakeloopError('INVALID_ARGUMENT', `Invalid --meta ${JSON.stringify(value)}: use key=value.`);
  }
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** Parses a whole number >= 1. */
export function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid number ${JSON.stringify(value)}: use a whole number >= 1.`,
    );
  }
  return parsed;
}

/** The first 12 characters of a commit id. */
export const short = (id: string): string => id.slice(0, 12);

/** `1.5 MiB`-style sizes; `?` when unknown. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

/** Items at or above which a loop over objects shows a progress bar (on a terminal). */
const PROGRESS_FROM = 10;

/**
 * Runs `step` over `items` in order with a progress bar on stderr when it is a terminal, `--json`
 * is off and there are many items; returns the steps' results.
 */
export async function withProgress<TItem, TResult>(
  items: readonly TItem[],
  options: { label: string; json?: boolean },
  step: (item: TItem) => Promise<TResult>,
): Promise<TResult[]> {
  const show = options.json !== true && process.stderr.isTTY && items.length >= PROGRESS_FROM;
  const bar = new SingleBar(
    { format: `${options.label} |{bar}| {value}/{total}`, hideCursor: true, stream: process.stderr },
    Presets.shades_classic,
  );
  if (show) bar.start(items.length, 0);
  const results: TResult[] = [];
  try {
    for (const item of items) {
      results.push(await step(item));
      if (show) bar.increment();
    }
  } finally {
    if (show) bar.stop();
  }
  return results;
}
