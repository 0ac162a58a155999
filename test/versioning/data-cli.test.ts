/**
 * The `lakeloop data` commands end to end, as a user runs them (`node bin/lakeloop.js`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'lakeloop.js');
const homes: string[] = [];

afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function cli(home: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, '--home', home, 'data', ...args], {
    encoding: 'utf8',
    env: { ...process.env, LAKEFS_ENDPOINT: '', LAKELOOP_DATA_BACKEND: 'embedded' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('lakeloop data CLI', () => {
  it(
    'creates a repository, stages, commits with metadata, logs, diffs and cats',
    { timeout: 180_000 },
    () => {
      const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
      homes.push(home);
      const file = join(home, 'a.csv');
      writeFileSync(file, 'x,y\n1,2\n');
      expect(cli(home, 'repo', 'create', 'flights').code).toBe(0);
      const put = cli(home, 'put', file, 'lakefs://flights/main/raw/a.csv', '--meta', 'source=test');
      expect(put.code, put.stderr).toBe(0);
      const commit = cli(
        home,
        'commit',
        'flights',
        'main',
        '-m',
        'first data',
        '--meta',
        'period=2001-01',
        '--json',
      );
      expect(commit.code, commit.stderr).toBe(0);
      const committed = JSON.parse(commit.stdout) as { id: string; metadata: Record<string, string> };
      expect(committed.metadata).toEqual({ period: '2001-01' });

      const log = JSON.parse(cli(home, 'log', 'flights', 'main', '--json').stdout) as {
        results: { id: string; message: string }[];
      };
      expect(log.results.map((c) => c.message)).toEqual(['first data', 'Repository created']);
      const diff = JSON.parse(cli(home, 'diff', 'flights', 'main~1', 'main', '--json').stdout) as unknown[];
      expect(diff).toEqual([{ type: 'added', path: 'raw/a.csv', pathType: 'object', sizeBytes: 8 }]);
      expect(cli(home, 'cat', `lakefs://flights/${committed.id}/raw/a.csv`).stdout).toBe('x,y\n1,2\n');

      const empty = cli(home, 'commit', 'flights', 'main', '-m', 'nothing');
      expect(empty.code).toBe(3);
      expect(empty.stderr.trim().split('\n')).toHaveLength(1);
      expect(empty.stderr).toMatch(/PRECONDITION_FAILED.*--allow-empty/);
      const bad = cli(home, 'put', file, 'lakefs://flights/main/../etc/passwd');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/INVALID_ARGUMENT/);
    },
  );

  it('imports a CSV month by month and reports rows outside --until', { timeout: 120_000 }, () => {
    const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    homes.push(home);
    const file = join(home, 'events.csv');
    writeFileSync(
      file,
      'date,value\n2001-01-05 10:00:00,1\n2001-01-20 11:00:00,2\n2001-02-03 09:00:00,3\n2001-03-01 00:00:00,4\n',
    );
    expect(cli(home, 'repo', 'create', 'events').code).toBe(0);
    const result = cli(
      home,
      'import-chunks',
      file,
      'events',
      'main',
      '--by',
      'month',
      '--column',
      'date',
      '--until',
      '2001-03-01',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/2001-01\s+2\s+events\/2001-01\.parquet/);
    expect(result.stdout).toMatch(/1 row\(s\) fell outside the range \(--until 2001-03-01\)/);
    const ls = JSON.parse(cli(home, 'ls', 'lakefs://events/main/events/', '--json').stdout) as {
      path: string;
    }[];
    expect(ls.map((e) => e.path)).toEqual(['events/2001-01.parquet', 'events/2001-02.parquet']);
  });

  it(
    'puts a directory under a prefix, shows status, stats, removes, summarizes a diff and reverts',
    { timeout: 180_000 },
    () => {
      const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
      homes.push(home);
      const dir = join(home, 'exports');
      mkdirSync(join(dir, 'flights', '2001'), { recursive: true });
      writeFileSync(join(dir, 'flights', '2001', '01.csv'), 'a,b\n1,2\n');
      writeFileSync(join(dir, 'flights', 'notes.txt'), 'hello');
      writeFileSync(join(dir, 'top.json'), '{}');
      const ok = (...args: string[]) => {
        const result = cli(home, ...args);
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
        return result.stdout;
      };
      const fails = (code: number, pattern: RegExp, ...args: string[]) => {
        const result = cli(home, ...args);
        expect(result.code, args.join(' ')).toBe(code);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).toMatch(pattern);
      };
      ok('repo', 'create', 'exports');
      expect(ok('status', 'exports', 'main')).toMatch(/^nothing to commit on main \(head [0-9a-f]{12}\)/);
      fails(
        2,
        /INVALID_ARGUMENT.*is a directory: give a prefix ending in "\/"/,
        'put',
        dir,
        'lakefs://exports/main/in',
      );
      expect(ok('put', dir, 'lakefs://exports/main/in/')).toMatch(/staged 3 file\(s\) \(15 B\) under/);
      const status = JSON.parse(ok('status', 'exports', 'main', '--json')) as { changes: unknown[] };
      expect(status.changes).toEqual([
        { type: 'added', path: 'in/flights/2001/01.csv', pathType: 'object', sizeBytes: 8 },
        { type: 'added', path: 'in/flights/notes.txt', pathType: 'object', sizeBytes: 5 },
        { type: 'added', path: 'in/top.json', pathType: 'object', sizeBytes: 2 },
      ]);
      expect(ok('status', 'exports', 'main')).toMatch(/3 uncommitted change\(s\) on main: 3 added/);
      ok('commit', 'exports', 'main', '-m', 'exports');

      const stat = JSON.parse(ok('stat', 'lakefs://exports/main/in/flights/2001/01.csv', '--json')) as {
        contentType: string;
        sizeBytes: number;
        checksum: string;
      };
      expect(stat).toMatchObject({ contentType: 'text/csv', sizeBytes: 8 });
      expect(ok('stat', 'lakefs://exports/main/in/top.json')).toMatch(
        /checksum:\s+[0-9a-f]{64}\nsize:\s+2 bytes \(2 B\)\ncontent type:\s+application\/json\nmodified:\s+\d{4}-/,
      );

      fails(
        2,
        /NOT_FOUND.*No object at lakefs:\/\/exports\/main\/in\/nope\.csv; nothing was deleted/,
        'rm',
        'lakefs://exports/main/in/nope.csv',
      );
      fails(2, /INVALID_ARGUMENT.*names a prefix; pass --recursive/, 'rm', 'lakefs://exports/main/in/');
      fails(2, /NOT_FOUND.*No objects at or under/, 'rm', '-r', 'lakefs://exports/main/in/fl');
      expect(ok('rm', '-r', 'lakefs://exports/main/in/flights')).toMatch(/deletion of 2 object\(s\)/);
      expect(ok('status', 'exports', 'main')).toMatch(/removed\s+in\/flights\/2001\/01\.csv\s+8/);
      ok('commit', 'exports', 'main', '-m', 'drop flights');

      const summary = ok('diff', 'exports', 'main~1', 'main', '--summary');
      expect(summary).toMatch(/in\/\s+0\s+2\s+13 B\s+0/);
      expect(summary).toMatch(/total\s+0\s+2\s+13 B\s+0/);
      const deep = JSON.parse(
        ok('diff', 'exports', 'main~2', 'main~1', '--summary', '--depth', '2', '--json'),
      ) as {
        rows: { prefix: string; added: { count: number; bytes: number | null } }[];
      };
      expect(deep.rows.map((r) => [r.prefix, r.added.count, r.added.bytes])).toEqual([
        ['in/', 1, 2],
        ['in/flights/', 2, 13],
      ]);

      const reverted = ok('revert', 'exports', 'main', 'main', '-m', 'bring flights back');
      expect(reverted).toMatch(/^reverted main on main: committed [0-9a-f]{64}/);
      const listed = JSON.parse(ok('ls', '-r', 'lakefs://exports/main/', '--json')) as { path: string }[];
      expect(listed.map((e) => e.path)).toEqual([
        'in/flights/2001/01.csv',
        'in/flights/notes.txt',
        'in/top.json',
      ]);
      fails(
        3,
        /PRECONDITION_FAILED.*changes nothing on branch "main"/,
        'revert',
        'exports',
        'main',
        'main~1',
      );
      expect(ok('diff', '--help')).toMatch(/data status/);
    },
  );
});
