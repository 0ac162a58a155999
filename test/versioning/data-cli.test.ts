/**
 * The `lakeloop data` commands end to end, as a user runs them (`node bin/lakeloop.js`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
});
