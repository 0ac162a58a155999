/**
 * Finding 2 of the reliability issue: a SIGKILLed `lakeloop materialize` must not leave its run
 * STARTED forever. The next command that opens the instance (here `runs list`) ends it FAILURE with
 * the reason; `runs delete` removes it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/index.js';
import { lakeloop, repoRoot } from '../core/cli-test-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('a SIGKILLed lakeloop materialize', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-killed-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('leaves a run that the next command ends FAILURE, and that runs delete removes', async () => {
    const child = spawn(
      process.execPath,
      [
        'bin/lakeloop.js',
        'materialize',
        '--defs',
        join(here, 'fixtures', 'chatty-defs.ts'),
        '--select',
        'chatty',
      ],
      { cwd: repoRoot, env: { ...process.env, LAKELOOP_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_c, s) => {
        resolve(s);
      }),
    );
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.includes('still working')) {
        child.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');

    const list = await lakeloop(['--home', home, 'runs', 'list', '--json']);
    expect(list.code).toBe(0);
    const [run] = JSON.parse(list.stdout) as RunRecord[];
    expect(run?.status).toBe('FAILURE');
    expect(run?.tags['lakeloop/owner_lost']).toBe('process_exited');
    expect(run?.error?.message).toMatch(/was STARTED, but its process pid \d+ on \S+ exited/);

    const again = await lakeloop(['--home', home, 'runs', 'mark-failed', run?.runId ?? '']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/^error \[CONFLICT\]: Run \S+ already finished \(FAILURE\)\.\n$/);

    const deleted = await lakeloop(['--home', home, 'runs', 'delete', run?.runId ?? '']);
    expect(deleted.stdout).toBe(`run ${run?.runId ?? ''} deleted\n`);
    expect(JSON.parse((await lakeloop(['--home', home, 'runs', 'list', '--json'])).stdout)).toEqual([]);
  });
});
