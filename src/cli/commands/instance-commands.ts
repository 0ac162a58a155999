/**
 * The instance sub-commands: `lakeloop instance prune` deletes old finished runs (with their
 * events), old ticks and unreferenced stored values, per its flags over the `retention` section of
 * `<home>/lakeloop.json` (see docs/storage.md, Retention).
 *
 * @example
 * ```sh
 * lakeloop instance prune --runs-older-than 30d --keep-runs 100 --ticks-older-than 7d --dry-run
 * ```
 */
import type { Command } from 'commander';
import { LakeloopError } from '../../errors.js';
import { Instance } from '../../core/instance/instance.js';
import { parseDuration, pruneInstance, readRetentionConfig } from '../../core/instance/retention.js';
import type { PruneReport, RetentionPolicy } from '../../core/instance/retention.js';
import { instanceHome } from '../instance-home.js';
import { printJson } from '../output.js';

interface PruneCliOptions {
  runsOlderThan?: string;
  keepRuns?: number;
  ticksOlderThan?: string;
  valueGrace?: string;
  values: boolean;
  dryRun?: boolean;
  json?: boolean;
}

function wholeNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `${name} must be a whole number >= 0 (got ${JSON.stringify(value)}).`,
      );
    }
    return n;
  };
}

/** The config file's policy with the flags given on top. */
function policyOf(home: string, options: PruneCliOptions): RetentionPolicy {
  const policy: RetentionPolicy = { ...(readRetentionConfig(home)?.policy ?? {}) };
  if (options.runsOlderThan !== undefined)
    policy.runsOlderThanMs = parseDuration(options.runsOlderThan, '--runs-older-than');
  if (options.keepRuns !== undefined) policy.keepRuns = options.keepRuns;
  if (options.ticksOlderThan !== undefined)
    policy.ticksOlderThanMs = parseDuration(options.ticksOlderThan, '--ticks-older-than');
  if (options.valueGrace !== undefined)
    policy.valueGraceMs = parseDuration(options.valueGrace, '--value-grace');
  if (!options.values) policy.pruneValues = false;
  return policy;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function printReport(report: PruneReport): void {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `runs: ${verb} ${report.runs.deleted.length} (with their events), kept ${report.runs.kept}` +
      (report.runs.protected > 0
        ? ` (${report.runs.protected} old enough but kept: in progress, latest materialization, or parent of a kept run)`
        : ''),
  ];
  if (report.orphanedEventRuns.length > 0) {
    lines.push(
      `events left by an interrupted prune: ${verb} those of ${report.orphanedEventRuns.length} run(s)`,
    );
  }
  lines.push(`ticks: ${verb} ${report.ticks.deleted}`);
  lines.push(
    report.values.skipped === undefined
      ? `values: ${verb} ${report.values.deleted} (${formatBytes(report.values.deletedBytes)}), kept ${report.values.kept}`
      : `values: skipped (${report.values.skipped})`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Registers the instance sub-commands on `program`. */
export function registerInstanceCommands(program: Command): void {
  const instance = program.command('instance').description('maintain the instance home');
  instance
    .command('prune')
    .description(
      'delete old finished runs (with their events), old ticks and stored values no kept run references; ' +
        'flags override the retention section of <home>/lakeloop.json',
    )
    .option('--runs-older-than <age>', 'finished runs that ended longer ago than this (e.g. 30d)')
    .option('--keep-runs <n>', 'always keep the newest N runs', wholeNumber('--keep-runs'))
    .option('--ticks-older-than <age>', 'sensor/schedule ticks older than this (e.g. 7d)')
    .option('--value-grace <age>', 'keep unreferenced values written within this long (default 1h)')
    .option('--no-values', 'keep every stored value')
    .option('--dry-run', 'report what would be deleted, deleting nothing')
    .option('--json', 'print JSON')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<PruneCliOptions>();
      const home = instanceHome(command);
      const policy = policyOf(home, options);
      const opened = await Instance.open({ home });
      try {
        const report = await pruneInstance({
          instance: opened,
          policy,
          ...(options.dryRun === true ? { dryRun: true } : {}),
        });
        if (options.json === true) printJson(report);
        else printReport(report);
      } finally {
        await opened.close();
      }
    });
}
