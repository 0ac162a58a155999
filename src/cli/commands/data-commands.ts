/**
 * The `lakeloop data …` sub-commands: repositories, branches, commits, diff, merge, tags, objects,
 * gc and `import-chunks`. They use the embedded repository under the instance home, or lakeFS when
 * `LAKEFS_ENDPOINT` (and keys) are set.
 *
 * @example
 * ```sh
 * lakeloop data repo create flights
 * lakeloop data import-chunks node_modules/vega-datasets/data/flights-3m.parquet flights main --by month --column date --until 2001-07-01
 * lakeloop data log flights main
 * lakeloop data cat lakefs://flights/main~1/flights-3m/2001-05.parquet > may.parquet
 * ```
 */
import { Presets, SingleBar } from 'cli-progress';
import { Option } from 'commander';
import type { Command } from 'commander';
import { LakeloopError } from '../../errors.js';
import { CHUNK_PERIODS, importChunks } from '../../versioning/chunk-import.js';
import type { ChunkPeriod, ImportChunksResult } from '../../versioning/chunk-import.js';
import type { DiffEntry, MergeStrategy } from '../../versioning/data-repository.js';
import { MERGE_STRATEGIES } from '../../versioning/data-repository.js';
import { summarizeDiff } from '../../versioning/diff-summary.js';
import type { DiffSummary, DiffTotals } from '../../versioning/diff-summary.js';
import { EmbeddedDataRepository } from '../../versioning/local/embedded-data-repository.js';
import { printJson, printTable } from '../output.js';
import { all, collectMeta, formatBytes, parsePositiveInt, short, withData } from './data-command-support.js';
import { registerObjectCommands } from './data-object-commands.js';
import { dataHookOptions, dataHooksDefsOption } from './data-hook-loading.js';
import { registerDataProtectionCommands } from './data-protection-commands.js';

/** Registers the data sub-commands on `program`. */
export function registerDataCommands(program: Command): void {
  const data = program
    .command('data')
    .description('versioned data: repositories, branches, commits, objects');
  registerRepoCommands(data);
  registerBranchCommands(data);
  registerCommitCommands(data);
  registerTagCommands(data);
  registerObjectCommands(data);
  registerGcCommand(data);
  registerImportCommand(data);
  registerDataProtectionCommands(data);
}

function registerRepoCommands(data: Command): void {
  const repo = data.command('repo').description('create, list and delete repositories');
  repo
    .command('create <name>')
    .description('create a repository (with an initial commit on its default branch)')
    .option('--default-branch <branch>', 'default branch', 'main')
    .option('--storage-namespace <uri>', 'lakeFS only: where the server stores the data')
    .option('--json', 'print JSON')
    .action(
      async (
        name: string,
        options: { defaultBranch: string; storageNamespace?: string; json?: boolean },
        command: Command,
      ) => {
        const info = await withData(command, (d) =>
          d.createRepository({
            name,
            defaultBranch: options.defaultBranch,
            ...(options.storageNamespace === undefined ? {} : { storageNamespace: options.storageNamespace }),
          }),
        );
        if (options.json === true) printJson(info);
        else process.stdout.write(`created repository ${info.name} (default branch ${info.defaultBranch})\n`);
      },
    );
  repo
    .command('list')
    .description('list repositories')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const repos = await withData(command, (d) => all((page) => d.listRepositories(page)));
      if (options.json === true) printJson(repos);
      else
        printTable(
          ['name', 'default branch', 'created'],
          repos.map((r) => [r.name, r.defaultBranch, r.creationDate]),
        );
    });
  repo
    .command('delete <name>')
    .description('delete a repository with its branches, tags and commits')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withData(command, (d) => d.deleteRepository(name));
      process.stdout.write(`deleted repository ${name}\n`);
    });
}

function registerBranchCommands(data: Command): void {
  const branch = data.command('branch').description('create, list, reset and delete branches');
  branch
    .command('create <repo> <name>')
    .description('create a branch from a ref')
    .option('--source <ref>', 'branch, tag or commit to start from (default: the default branch)')
    .action(async (repo: string, name: string, options: { source?: string }, command: Command) => {
      const ref = await withData(command, async (d) =>
        d.createBranch({
          repository: repo,
          name,
          source: options.source ?? (await d.getRepository(repo)).defaultBranch,
        }),
      );
      process.stdout.write(`created branch ${ref.name} at ${short(ref.commitId)}\n`);
    });
  branch
    .command('list <repo>')
    .description('list branches and their head commits')
    .option('--json', 'print JSON')
    .action(async (repo: string, options: { json?: boolean }, command: Command) => {
      const refs = await withData(command, (d) =>
        all((page) => d.listBranches({ repository: repo, ...page })),
      );
      if (options.json === true) printJson(refs);
      else
        printTable(
          ['branch', 'head'],
          refs.map((r) => [r.name, short(r.commitId)]),
        );
    });
  branch
    .command('delete <repo> <name>')
    .description('delete a branch (not the default branch)')
    .action(async (repo: string, name: string, _options: unknown, command: Command) => {
      await withData(command, (d) => d.deleteBranch({ repository: repo, branch: name }));
      process.stdout.write(`deleted branch ${name}\n`);
    });
  branch
    .command('reset <repo> <name>')
    .description("drop the branch's uncommitted changes; with --to, also move it to a ref")
    .option('--to <ref>', 'move the branch head to this ref (hard reset)')
    .action(async (repo: string, name: string, options: { to?: string }, command: Command) => {
      const ref = await withData(command, (d) =>
        d.resetBranch({
          repository: repo,
          branch: name,
          ...(options.to === undefined ? {} : { ref: options.to }),
        }),
      );
      process.stdout.write(`reset branch ${name}; head ${short(ref.commitId)}\n`);
    });
}

function registerCommitCommands(data: Command): void {
  data
    .command('commit <repo> <branch>')
    .description("commit the branch's staged changes")
    .requiredOption('-m, --message <message>', 'commit message')
    .option('--meta <key=value>', 'commit metadata (repeatable)', collectMeta)
    .option('--allow-empty', 'commit even when nothing is staged')
    .addOption(dataHooksDefsOption())
    .option('--json', 'print JSON')
    .action(
      async (
        repo: string,
        branch: string,
        options: {
          message: string;
          meta?: Record<string, string>;
          allowEmpty?: boolean;
          defs?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const commit = await withData(
          command,
          (d) =>
            d.commit({
              repository: repo,
              branch,
              message: options.message,
              metadata: options.meta ?? {},
              allowEmpty: options.allowEmpty === true,
            }),
          await dataHookOptions(options.defs),
        );
        if (options.json === true) printJson(commit);
        else process.stdout.write(`committed ${commit.id} on ${branch}\n`);
      },
    );
  data
    .command('log <repo> <ref>')
    .description('commits reachable from a ref, newest first')
    .option('--amount <n>', 'commits per page', parsePositiveInt, 50)
    .option('--after <commit>', 'start after this commit (the previous page’s last id)')
    .option('--prefix <path>', 'only commits that changed paths under this prefix')
    .option('--first-parent', 'only the commits made on the branch (a merge is one commit)')
    .option('--json', 'print JSON')
    .action(
      async (
        repo: string,
        ref: string,
        options: { amount: number; after?: string; prefix?: string; firstParent?: boolean; json?: boolean },
        command: Command,
      ) => {
        const page = await withData(command, (d) =>
          d.log({
            repository: repo,
            ref,
            amount: options.amount,
            ...(options.after === undefined ? {} : { after: options.after }),
            ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
            ...(options.firstParent === true ? { firstParent: true } : {}),
          }),
        );
        if (options.json === true) {
          printJson(page);
          return;
        }
        printTable(
          ['commit', 'date', 'committer', 'message', 'metadata'],
          page.results.map((c) => [
            short(c.id),
            c.creationDate,
            c.committer,
            c.message,
            Object.entries(c.metadata)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
          ]),
        );
        if (page.hasMore) process.stdout.write(`… more: --after ${page.nextOffset}\n`);
      },
    );
  data
    .command('diff <repo> <left> <right>')
    .description(
      'paths added, removed or changed from the left ref to the right ref (committed content: a branch against itself shows nothing; its uncommitted changes are `data status`)',
    )
    .option('--prefix <path>', 'only paths under this prefix')
    .option('--summary', 'one row per folder: counts and bytes added, removed and changed')
    .option('--depth <n>', 'with --summary: folder levels to group by', parsePositiveInt, 1)
    .option('--json', 'print JSON')
    .action(
      async (
        repo: string,
        left: string,
        right: string,
        options: { prefix?: string; summary?: boolean; depth: number; json?: boolean },
        command: Command,
      ) => {
        const entries = await withData(command, (d) =>
          all((page) =>
            d.diff({
              repository: repo,
              left,
              right,
              ...page,
              ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
            }),
          ),
        );
        if (options.summary === true) {
          const summary = summarizeDiff(entries, { depth: options.depth });
          if (options.json === true) printJson(summaryJson(summary));
          else printDiffSummary(summary);
        } else if (options.json === true) printJson(entries);
        else printDiffEntries(entries);
      },
    );
  data
    .command('status <repo> <branch>')
    .description('the branch\'s uncommitted changes (staged puts and deletions), or "nothing to commit"')
    .option('--prefix <path>', 'only paths under this prefix')
    .option('--json', 'print JSON')
    .action(
      async (
        repo: string,
        branch: string,
        options: { prefix?: string; json?: boolean },
        command: Command,
      ) => {
        const { head, entries } = await withData(command, async (d) => ({
          head: await d.getBranch({ repository: repo, branch }),
          entries: await all((page) =>
            d.diffUncommitted({
              repository: repo,
              branch,
              ...page,
              ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
            }),
          ),
        }));
        if (options.json === true) {
          printJson({ branch, head: head.commitId, changes: entries });
          return;
        }
        if (entries.length === 0) {
          process.stdout.write(`nothing to commit on ${branch} (head ${short(head.commitId)})\n`);
          return;
        }
        printDiffEntries(entries);
        const count = (type: DiffEntry['type']) => entries.filter((e) => e.type === type).length;
        process.stdout.write(
          `${entries.length} uncommitted change(s) on ${branch}: ${count('added')} added, ${count('removed')} removed, ${count('changed')} changed; \`lakeloop data commit ${repo} ${branch} -m …\` commits them, \`lakeloop data branch reset ${repo} ${branch}\` drops them\n`,
        );
      },
    );
  data
    .command('merge <repo> <source> <destination>')
    .description('merge a ref into a branch (always a merge commit, as on lakeFS)')
    .addOption(new Option('--strategy <strategy>', 'how to resolve conflicts').choices([...MERGE_STRATEGIES]))
    .option('-m, --message <message>', 'merge commit message')
    .addOption(dataHooksDefsOption())
    .option('--json', 'print JSON')
    .action(
      async (
        repo: string,
        source: string,
        destination: string,
        options: { strategy?: MergeStrategy; message?: string; defs?: string; json?: boolean },
        command: Command,
      ) => {
        const result = await withData(
          command,
          (d) =>
            d.merge({
              repository: repo,
              source,
              destination,
              ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
              ...(options.message === undefined ? {} : { message: options.message }),
            }),
          await dataHookOptions(options.defs),
        );
        if (options.json === true) printJson(result);
        else
          process.stdout.write(
            `merged ${source} into ${destination} (${result.kind}); head ${short(result.reference)}\n`,
          );
      },
    );
  data
    .command('revert <repo> <branch> <commit>')
    .description('commit on the branch the inverse of the changes a commit made (lakeFS revert)')
    .option(
      '--parent-number <n>',
      'undo against this parent (1-based); required for a merge commit (1: the branch merged into)',
      parsePositiveInt,
    )
    .option('-m, --message <message>', 'commit message (default: Revert <commit>)')
    .option('--meta <key=value>', 'commit metadata (repeatable)', collectMeta)
    .option('--json', 'print JSON')
    .action(
      async (
        repo: string,
        branch: string,
        ref: string,
        options: { parentNumber?: number; message?: string; meta?: Record<string, string>; json?: boolean },
        command: Command,
      ) => {
        const commit = await withData(command, (d) =>
          d.revert({
            repository: repo,
            branch,
            ref,
            ...(options.parentNumber === undefined ? {} : { parentNumber: options.parentNumber }),
            ...(options.message === undefined ? {} : { message: options.message }),
            metadata: options.meta ?? {},
          }),
        );
        if (options.json === true) printJson(commit);
        else process.stdout.write(`reverted ${ref} on ${branch}: committed ${commit.id}\n`);
      },
    );
}

function registerTagCommands(data: Command): void {
  const tag = data.command('tag').description('create, list and delete tags');
  tag
    .command('create <repo> <name> <ref>')
    .description('tag the commit a ref resolves to')
    .action(async (repo: string, name: string, ref: string, _options: unknown, command: Command) => {
      const created = await withData(command, (d) => d.createTag({ repository: repo, name, ref }));
      process.stdout.write(`tagged ${short(created.commitId)} as ${created.name}\n`);
    });
  tag
    .command('list <repo>')
    .description('list tags')
    .option('--json', 'print JSON')
    .action(async (repo: string, options: { json?: boolean }, command: Command) => {
      const tags = await withData(command, (d) => all((page) => d.listTags({ repository: repo, ...page })));
      if (options.json === true) printJson(tags);
      else
        printTable(
          ['tag', 'commit'],
          tags.map((t) => [t.name, short(t.commitId)]),
        );
    });
  tag
    .command('delete <repo> <name>')
    .description('delete a tag')
    .action(async (repo: string, name: string, _options: unknown, command: Command) => {
      await withData(command, (d) => d.deleteTag({ repository: repo, tag: name }));
      process.stdout.write(`deleted tag ${name}\n`);
    });
}

function registerGcCommand(data: Command): void {
  data
    .command('gc')
    .description('embedded backend: remove blobs no commit or staged change references')
    .option(
      '--grace-seconds <n>',
      'keep blobs younger than this (a concurrent put may need them)',
      Number,
      60,
    )
    .option('--json', 'print JSON')
    .action(async (options: { graceSeconds: number; json?: boolean }, command: Command) => {
      if (!Number.isFinite(options.graceSeconds) || options.graceSeconds < 0) {
        throw new LakeloopError('INVALID_ARGUMENT', 'Invalid --grace-seconds: use a number >= 0.');
      }
      const result = await withData(command, (d) => {
        if (!(d instanceof EmbeddedDataRepository)) {
          throw new LakeloopError(
            'PRECONDITION_FAILED',
            'data gc works on the embedded backend; for lakeFS, configure its garbage collection rules on the server.',
          );
        }
        return d.gc({ gracePeriodMs: options.graceSeconds * 1000 });
      });
      if (options.json === true) printJson(result);
      else {
        process.stdout.write(
          `removed ${result.removedBlobs} blob(s) (${result.removedBytes} bytes), ${result.removedTrees} tree(s), ${result.removedTempFiles} temp file(s); kept ${result.keptBlobs} blob(s)\n`,
        );
      }
    });
}

function registerImportCommand(data: Command): void {
  data
    .command('import-chunks <file> <repo> <branch>')
    .description(
      'split a Parquet/CSV table by a date column into one Parquet file and one commit per period, oldest first',
    )
    .addOption(
      new Option('--by <period>', 'period of each chunk').choices([...CHUNK_PERIODS]).default('month'),
    )
    .requiredOption('--column <name>', 'date or timestamp column to split by')
    .option('--path <prefix>', 'path prefix of the chunk files (default: the file name without extension)')
    .option('--from <date>', 'only rows on or after this date (YYYY-MM-DD)')
    .option('--until <date>', 'only rows before this date (YYYY-MM-DD, exclusive)')
    .option('--json', 'print JSON')
    .action(
      async (
        file: string,
        repo: string,
        branch: string,
        options: {
          by: ChunkPeriod;
          column: string;
          path?: string;
          from?: string;
          until?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const showBar = options.json !== true && process.stderr.isTTY;
        const bar = new SingleBar(
          {
            format: 'import |{bar}| {value}/{total} chunks {period}',
            hideCursor: true,
            stream: process.stderr,
          },
          Presets.shades_classic,
        );
        let started = false;
        const result = await withData(command, async (d) => {
          try {
            return await importChunks({
              data: d,
              file,
              repository: repo,
              branch,
              column: options.column,
              by: options.by,
              ...(options.path === undefined ? {} : { path: options.path }),
              ...(options.from === undefined ? {} : { from: options.from }),
              ...(options.until === undefined ? {} : { until: options.until }),
              onProgress: (progress) => {
                if (!showBar) return;
                if (!started) {
                  bar.start(progress.total, 0, { period: '' });
                  started = true;
                }
                bar.update(progress.done, { period: progress.chunk?.period ?? '' });
              },
            });
          } finally {
            if (started) bar.stop();
          }
        });
        if (options.json === true) printJson(result);
        else printImportSummary(result, options);
      },
    );
}

function printDiffEntries(entries: readonly DiffEntry[]): void {
  printTable(
    ['type', 'path', 'size'],
    entries.map((e) => [e.type, e.path, e.sizeBytes ?? (e.type === 'removed' ? '?' : '')]),
  );
  if (entries.some((e) => e.type === 'removed' && e.sizeBytes === undefined)) {
    process.stdout.write('? size of a removed object: not reported by lakeFS\n');
  }
}

function printDiffSummary(summary: DiffSummary): void {
  if (summary.rows.length === 0) {
    process.stdout.write('no differences\n');
    return;
  }
  const hasConflicts = summary.total.conflicts > 0;
  const cells = (totals: DiffTotals) => [totals.count, totals.count === 0 ? '' : formatBytes(totals.bytes)];
  const row = (prefix: string, r: DiffSummary['total']) => [
    prefix,
    ...cells(r.added),
    ...cells(r.removed),
    ...cells(r.changed),
    ...(hasConflicts ? [r.conflicts] : []),
  ];
  printTable(
    [
      'prefix',
      'added',
      'bytes',
      'removed',
      'bytes',
      'changed',
      'bytes (new)',
      ...(hasConflicts ? ['conflicts'] : []),
    ],
    [
      ...summary.rows.map((r) => row(r.prefix === '' ? '(top level)' : r.prefix, r)),
      row('total', summary.total),
    ],
  );
  if (summary.total.removed.count > 0 && summary.total.removed.bytes === undefined) {
    process.stdout.write(
      '? bytes removed are unknown: lakeFS does not report the size of a removed object\n',
    );
  }
}

/** The summary with unknown byte totals as `null` (JSON has no undefined). */
function summaryJson(summary: DiffSummary): unknown {
  return JSON.parse(
    JSON.stringify(summary, (_key, value: unknown) => (value === undefined ? null : value)),
  ) as unknown;
}

function printImportSummary(result: ImportChunksResult, options: { from?: string; until?: string }): void {
  printTable(
    ['period', 'rows', 'path', 'commit', 'status'],
    result.chunks.map((c) => [c.period, c.rows, c.path, short(c.commitId), c.status]),
  );
  const imported = result.chunks.reduce((sum, c) => sum + c.rows, 0);
  process.stdout.write(
    `imported ${imported} of ${result.totalRows} rows (${result.format}) in ${result.chunks.length} commit(s)\n`,
  );
  if (result.rowsOutsideRange > 0) {
    const range = [
      options.from === undefined ? '' : `--from ${options.from}`,
      options.until === undefined ? '' : `--until ${options.until}`,
    ]
      .filter((part) => part !== '')
      .join(' ');
    process.stdout.write(
      `${result.rowsOutsideRange} row(s) fell outside the range (${range}) and were not imported\n`,
    );
  }
  if (result.rowsWithoutDate > 0) {
    process.stdout.write(`${result.rowsWithoutDate} row(s) have no date and were not imported\n`);
  }
  const sizes = result.chunks.map((c) => c.rows).sort((a, b) => a - b);
  const median = sizes[Math.floor(sizes.length / 2)] ?? 0;
  for (const chunk of result.chunks) {
    if (sizes.length > 1 && chunk.rows < median / 100) {
      process.stdout.write(
        `note: chunk ${chunk.period} has only ${chunk.rows} row(s), far fewer than the others; pass --until to leave such rows out deliberately\n`,
      );
    }
  }
}
