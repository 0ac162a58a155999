/**
 * `lakeloop data protect|unprotect|protection` and the hooks `data commit|merge --defs` run, end to
 * end on the embedded backend (the CLI from source, as a child process).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const DEFS = join(here, 'fixtures', 'hook-defs.ts');
const homes: string[] = [];

afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function cli(home: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=lakeloop-source',
      '--import',
      'tsx',
      join(root, 'src', 'cli', 'main.ts'),
      '--home',
      home,
      'data',
      ...args,
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, LAKEFS_ENDPOINT: '', LAKELOOP_DATA_BACKEND: 'embedded', LAKELOOP_DEFS: '' },
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-protect-cli-'));
  homes.push(home);
  return home;
}

describe('lakeloop data protection and hooks CLI', () => {
  it(
    'protects, lists and unprotects branches; a protected branch refuses a commit with exit 3',
    { timeout: 120_000 },
    () => {
      const home = newHome();
      expect(cli(home, 'repo', 'create', 'flights').code).toBe(0);
      expect(cli(home, 'protection', 'flights').stdout).toBe('no protected branches in flights\n');
      const protect = cli(home, 'protect', 'flights', 'main');
      expect(protect.code, protect.stderr).toBe(0);
      expect(cli(home, 'protect', 'flights', 'release-*').stdout).toBe(
        'protected release-* in flights; rules: main, release-*\n',
      );
      const listed = JSON.parse(cli(home, 'protection', 'flights', '--json').stdout) as {
        patterns: string[];
      };
      expect(listed.patterns).toEqual(['main', 'release-*']);
      const refused = cli(home, 'commit', 'flights', 'main', '-m', 'x', '--allow-empty');
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(
        /PRECONDITION_FAILED.*Branch "main" of "flights" is protected by rule "main"/,
      );
      const bad = cli(home, 'protect', 'flights', 'a/b');
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(cli(home, 'unprotect', 'flights', 'nope').code).toBe(2);
      expect(cli(home, 'unprotect', 'flights', 'main').code).toBe(0);
      expect(cli(home, 'commit', 'flights', 'main', '-m', 'x', '--allow-empty').code).toBe(0);
    },
  );

  it(
    "data commit --defs runs the hooks of the definitions' data resources: refuses, warns, then commits",
    { timeout: 120_000 },
    () => {
      const home = newHome();
      const file = join(home, 'rows.csv');
      writeFileSync(file, 'x\n1\n');
      expect(cli(home, 'repo', 'create', 'flights').code).toBe(0);
      expect(cli(home, 'put', file, 'lakefs://flights/main/bad/rows.csv').code).toBe(0);
      const refused = cli(home, 'commit', 'flights', 'main', '-m', 'bad', '--defs', DEFS);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /CHECK_FAILED.*check "no_bad_data" \(hook "quality", ERROR, blocking\): nothing under bad\//,
      );
      // Without the module no hook runs; with it a clean change commits with a warning.
      expect(cli(home, 'branch', 'reset', 'flights', 'main').code).toBe(0);
      expect(cli(home, 'put', file, 'lakefs://flights/main/good/rows.csv').code).toBe(0);
      const committed = cli(home, 'commit', 'flights', 'main', '-m', 'good', '--defs', DEFS);
      expect(committed.code, committed.stderr).toBe(0);
      expect(committed.stderr).toContain('warning: check "always_warns"');
      expect(committed.stderr).toContain('pre-commit: 1/2 check(s) passed');
    },
  );
});
