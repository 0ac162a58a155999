/** `lakeloop materialize --config file.json|file.yaml` and `runs show` printing the config. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/index.js';
import { lakeloop, repoRoot } from './cli-test-helpers.js';
import { tempDir } from './core-test-helpers.js';

const example = join(repoRoot, 'examples', 'hello-pipeline.ts');

describe('lakeloop materialize --config', { timeout: 240_000 }, () => {
  let dir: ReturnType<typeof tempDir>;
  let home: string;
  beforeAll(() => {
    dir = tempDir();
    home = join(dir.path, 'home');
  });
  afterAll(() => {
    dir.remove();
  });

  it('reads a YAML config, stores it with the run and runs show prints it', async () => {
    const yaml = join(dir.path, 'run.yaml');
    writeFileSync(yaml, '# precision of the report\nreport:\n  digits: 4\n');
    const ok = await lakeloop([
      '--home',
      home,
      'materialize',
      '--defs',
      example,
      '--select',
      '+report',
      '--config',
      yaml,
      '--json',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const run = JSON.parse(ok.stdout) as RunRecord;
    expect(run.config).toEqual({ report: { digits: 4 } });
    const show = await lakeloop(['--home', home, 'runs', 'show', run.runId]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('config {"report":{"digits":4}}');
  });

  it('refuses an invalid JSON config naming the field, exit 2, no run stored', async () => {
    const json = join(dir.path, 'run.json');
    writeFileSync(json, JSON.stringify({ report: { digits: 'four' } }));
    const bad = await lakeloop([
      '--home',
      home,
      'materialize',
      '--defs',
      example,
      '--select',
      'report',
      '--config',
      json,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error [INVALID_ARGUMENT]');
    expect(bad.stderr).toContain('config.report.digits: Invalid input: expected number, received string');
    const list = await lakeloop(['--home', home, 'runs', 'list', '--json']);
    expect((JSON.parse(list.stdout) as RunRecord[]).length).toBe(1);
  });
});
