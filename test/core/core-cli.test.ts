import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/index.js';
import { Instance } from '../../src/core/instance/instance.js';
import { lakeloop, repoRoot } from './cli-test-helpers.js';
import { tempDir } from './core-test-helpers.js';

const example = join(repoRoot, 'examples', 'hello-pipeline.ts');

describe('lakeloop core commands', { timeout: 240_000 }, () => {
  let dir: ReturnType<typeof tempDir>;
  let home: string;
  beforeAll(() => {
    dir = tempDir();
    home = join(dir.path, 'home');
  });
  afterAll(() => {
    dir.remove();
  });

  it('materialize shows step progress and exits 0; a failing step exits 1 with one line', async () => {
    const ok = await lakeloop(['--home', home, 'materialize', '--defs', example, '--select', '+report']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    for (const step of ['numbers', 'cleaned', 'stats', 'report']) expect(ok.stdout).toContain(`ok ${step}`);
    expect(ok.stdout).toContain('cleaned: kept 7 of 8 numbers');

    const failed = await lakeloop(['--home', home, 'materialize', '--defs', example, '--select', '+report'], {
      HELLO_FAIL_STATS: '1',
    });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('FAILED stats');
    expect(failed.stdout).toContain('skipped report');
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toContain('error [STEP_FAILED]');
    expect(failed.stderr).toContain('--from-failure');
  });

  it('runs list / show --json, then reexecute --from-failure', async () => {
    const list = await lakeloop(['--home', home, 'runs', 'list', '--json']);
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout) as RunRecord[];
    expect(runs.map((r) => r.status)).toEqual(['FAILURE', 'SUCCESS']);
    const failedId = runs[0]?.runId ?? '';

    const show = await lakeloop(['--home', home, 'runs', 'show', failedId, '--json']);
    const shown = JSON.parse(show.stdout) as {
      run: RunRecord;
      steps: { stepKey: string; status: string }[];
      events: { type: string }[];
    };
    expect(shown.steps.map((s) => `${s.stepKey}:${s.status}`)).toEqual([
      'numbers:SUCCESS',
      'cleaned:SUCCESS',
      'stats:FAILURE',
      'report:SKIPPED',
    ]);
    expect(shown.run.error?.cause?.stack).toContain('hello-pipeline.ts');
    const text = await lakeloop(['--home', home, 'runs', 'show', failedId]);
    expect(text.stdout).toContain('caused by: Error: stats failed on purpose');

    const again = await lakeloop([
      '--home',
      home,
      'runs',
      'reexecute',
      failedId,
      '--from-failure',
      '--defs',
      example,
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('ok stats');
    expect(again.stdout).not.toContain('numbers');

    const assets = await lakeloop(['--home', home, 'assets', 'list', '--defs', example, '--json']);
    const statuses = JSON.parse(assets.stdout) as { assetKey: string; partition?: string; status: string }[];
    expect(statuses.filter((s) => s.partition === undefined).map((s) => `${s.assetKey}:${s.status}`)).toEqual(
      ['numbers:FRESH', 'cleaned:FRESH', 'stats:FRESH', 'report:FRESH', 'months:MISSING'],
    );
    const stale = await lakeloop(['--home', home, 'assets', 'list', '--defs', example], {
      HELLO_CODE_VERSION: 'v2',
    });
    expect(stale.stdout).toMatch(/cleaned\s+data\s+STALE\s+code version changed \(v1 -> v2\)/);
  });

  it('runs reexecute never imports the module a stored run names: it needs --defs and only suggests it', async () => {
    const ownHome = join(dir.path, 'home-hostile-defs');
    const failed = await lakeloop(
      ['--home', ownHome, 'materialize', '--defs', example, '--select', '+report'],
      {
        HELLO_FAIL_STATS: '1',
      },
    );
    expect(failed.code).toBe(1);
    const marker = join(dir.path, 'hostile-module-was-imported');
    const hostile = join(dir.path, 'hostile-defs.mjs');
    writeFileSync(
      hostile,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'pwned');\n`,
    );
    const instance = await Instance.open(ownHome);
    let runId = '';
    try {
      const [run] = await instance.runs.listRuns({ statuses: ['FAILURE'] });
      runId = run?.runId ?? '';
      // What a client could once store through POST /api/runs (or anyone who can write the database).
      await instance.runs.updateRun(runId, { tags: { 'lakeloop/defs': hostile } });
    } finally {
      await instance.close();
    }

    const refused = await lakeloop(['--home', ownHome, 'runs', 'reexecute', runId, '--from-failure'], {
      LAKELOOP_DEFS: '',
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(
      'error [INVALID_ARGUMENT]: Pass the definitions module with --defs <file>',
    );
    expect(refused.stderr).toContain(`--defs ${JSON.stringify(hostile)}`);
    expect(refused.stdout).toBe('');
    expect(existsSync(marker)).toBe(false);

    const ok = await lakeloop(['--home', ownHome, 'runs', 'reexecute', runId, '--from-failure'], {
      LAKELOOP_DEFS: example,
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok stats');
    expect(existsSync(marker)).toBe(false);
  });

  it('bad definitions modules, selections and partitions: one line, exit code 2', async () => {
    const noDefs = join(dir.path, 'no-defs.ts');
    writeFileSync(noDefs, 'export const x = 1;\n');
    const throws = join(dir.path, 'throws.ts');
    writeFileSync(throws, 'throw new Error("kaput");\n');
    const cases: [string[], RegExp][] = [
      [
        ['--defs', noDefs, '--select', '*'],
        /no-defs\.ts exports no Definitions as `defs` or default \(it exports: x\)/,
      ],
      [
        ['--defs', throws, '--select', '*'],
        /Cannot load definitions module .*throws\.ts \(caused by: kaput\)/,
      ],
      [['--defs', join(dir.path, 'missing.ts'), '--select', '*'], /missing\.ts does not exist/],
      [['--defs', example, '--select', 'nope'], /Unknown asset "nope".*known assets: numbers, cleaned/],
      [
        ['--defs', example, '--select', 'monthly', '--partition', '2009-01'],
        /pass one of: 2001-01, .*2001-06/,
      ],
    ];
    const results = await Promise.all(
      cases.map(([args]) => lakeloop(['--home', home, 'materialize', ...args])),
    );
    results.forEach((result, i) => {
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(cases[i]?.[1] ?? /never/);
    });
  });
});
