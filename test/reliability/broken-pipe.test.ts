/**
 * Finding 2 of the reliability issue: `lakeloop materialize … | head` — the reader goes away while
 * the run executes. The CLI must not die of an unhandled EPIPE leaving the run STARTED: it cancels
 * the run, ends it properly and exits without a stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Instance } from '../../src/core/instance/instance.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

describe('a CLI whose reader goes away', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-epipe-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('cancels the run it executes and exits quietly', async () => {
    const child = spawn(
      process.execPath,
      [
        join(root, 'bin', 'lakeloop.js'),
        'materialize',
        '--defs',
        join(here, 'fixtures', 'chatty-defs.ts'),
        '--select',
        'chatty',
      ],
      { cwd: root, env: { ...process.env, LAKELOOP_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.includes('still working')) break; // like `head -n 1`: the reader leaves
    }
    child.stdout.destroy();
    const code = await exited;
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(code).toBe(130); // as after Ctrl-C: the run was canceled
    const instance = await Instance.open({ home, recoverDeadRuns: false });
    try {
      const runs = await instance.runs.listRuns();
      expect(runs.map((r) => r.status)).toEqual(['CANCELED']);
    } finally {
      await instance.close();
    }
  });
});
