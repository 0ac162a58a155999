/** The CLI's usage errors are one line with a code and exit 2; --version prints the package version. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lakeloop, repoRoot } from './cli-test-helpers.js';
import { topLevelCommand } from '../../src/cli/program.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

describe('lakeloop usage errors', () => {
  it('prints the version of package.json', async () => {
    const result = await lakeloop(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('reports an unknown option in one line with a suggestion, the code and exit code 2', async () => {
    const result = await lakeloop(['materialize', '--defs', 'x.ts', '--selec', '*']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "lakeloop: INVALID_ARGUMENT: unknown option '--selec' (did you mean --select?); see lakeloop materialize --help\n",
    );
  });

  it('reports a missing argument of a sub-command in one line naming that sub-command', async () => {
    const result = await lakeloop(['runs', 'show']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "lakeloop: INVALID_ARGUMENT: missing required argument 'run-id'; see lakeloop runs show --help\n",
    );
  });

  it('reports an unknown command in one line (all command areas loaded for the suggestion)', async () => {
    const result = await lakeloop(['mode', 'list']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^lakeloop: INVALID_ARGUMENT: unknown command 'mode' \(did you mean models\?\)/,
    );
  });

  it('still prints the full help on --help', async () => {
    const result = await lakeloop(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['materialize', 'runs', 'data', 'models', 'daemon', 'instance'])
      expect(result.stdout).toContain(command);
  });
});

describe('topLevelCommand', () => {
  it('skips global options and their values', () => {
    expect(topLevelCommand(['--home', 'runs', 'data', 'list'])).toBe('data');
    expect(topLevelCommand(['--home=x', 'runs', 'list'])).toBe('runs');
    expect(topLevelCommand(['--version'])).toBeUndefined();
  });
});
