/**
 * `lakeloop data protect|unprotect|protection`: a repository's branch protection rules (lakeFS's
 * model: branch-name patterns whose branches refuse puts, deletes, resets and commits; merges into
 * them are allowed). Updates are conditional on the rules' ETag and retried when another writer
 * changed them in between.
 *
 * @example
 * ```sh
 * lakeloop data protect flights main
 * lakeloop data protect flights 'release-*'
 * lakeloop data protection flights
 * lakeloop data unprotect flights 'release-*'
 * ```
 */
import type { Command } from 'commander';
import { isLakeloopError, LakeloopError } from '../../errors.js';
import { checkBranchPatterns } from '../../versioning/branch-protection.js';
import { openDataRepository } from '../../versioning/data-repository-factory.js';
import type { DataRepository } from '../../versioning/data-repository.js';
import { instanceHome } from '../instance-home.js';
import { printJson, printTable } from '../output.js';

/** How often a rule update is tried when the rules keep changing under it. */
const ATTEMPTS = 3;

/** Registers `protect`, `unprotect` and `protection` on the `data` command. */
export function registerDataProtectionCommands(data: Command): void {
  data
    .command('protect <repo> <pattern>')
    .description(
      'protect branches matching a pattern (e.g. main, release-*): no puts, deletes, resets or commits; merges allowed',
    )
    .action(async (repo: string, pattern: string, _options: unknown, command: Command) => {
      const [checked = pattern] = checkBranchPatterns([pattern]);
      const patterns = await updateRules(command, repo, (current) => [...current, checked]);
      process.stdout.write(`protected ${checked} in ${repo}; rules: ${patterns.join(', ')}\n`);
    });
  data
    .command('unprotect <repo> <pattern>')
    .description('remove a branch protection rule (the exact pattern)')
    .action(async (repo: string, pattern: string, _options: unknown, command: Command) => {
      const patterns = await updateRules(command, repo, (current) => {
        if (!current.includes(pattern)) {
          throw new LakeloopError(
            'NOT_FOUND',
            `No branch protection rule "${pattern}" in "${repo}" (rules: ${current.join(', ') || 'none'}); list them with \`lakeloop data protection ${repo}\`.`,
          );
        }
        return current.filter((p) => p !== pattern);
      });
      process.stdout.write(`unprotected ${pattern} in ${repo}; rules: ${patterns.join(', ') || 'none'}\n`);
    });
  data
    .command('protection <repo>')
    .description("list a repository's branch protection rules")
    .option('--json', 'print JSON')
    .action(async (repo: string, options: { json?: boolean }, command: Command) => {
      const rules = await withData(command, (d) => d.getBranchProtection({ repository: repo }));
      if (options.json === true) printJson(rules);
      else if (rules.patterns.length === 0) process.stdout.write(`no protected branches in ${repo}\n`);
      else
        printTable(
          ['pattern'],
          rules.patterns.map((p) => [p]),
        );
    });
}

/** Reads the rules, applies `change` and writes them conditionally (retrying when they moved). */
async function updateRules(
  command: Command,
  repository: string,
  change: (current: string[]) => string[],
): Promise<string[]> {
  return withData(command, async (data) => {
    for (let attempt = 1; ; attempt++) {
      const { patterns, etag } = await data.getBranchProtection({ repository });
      const next = checkBranchPatterns(change(patterns));
      try {
        await data.setBranchProtection({ repository, patterns: next, ifMatch: etag });
        return next;
      } catch (error) {
        if (attempt >= ATTEMPTS || !isLakeloopError(error, 'PRECONDITION_FAILED')) throw error;
      }
    }
  });
}

async function withData<T>(command: Command, action: (data: DataRepository) => Promise<T>): Promise<T> {
  const data = await openDataRepository({ home: instanceHome(command) });
  try {
    return await action(data);
  } finally {
    await data.close();
  }
}
