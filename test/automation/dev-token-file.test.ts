/**
 * `lakeloop dev --token-file` (issue #11, finding 10d): the token is read from a file (trimmed)
 * so it never shows in `ps`; `--token` on the command line still works but warns on stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashDefs } from './fixtures/crash-defs-factory.js';
import { devFromSource } from '../core/cli-test-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

interface DevResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Status of GET /api/runs with and without the token, when the API came up. */
  withToken?: number;
  withoutToken?: number;
}

/** Runs `lakeloop dev` with `args`, probes the API once it is up, then stops it with SIGTERM. */
async function runDev(home: string, args: string[], token: string): Promise<DevResult> {
  const child = spawn(process.execPath, devFromSource(join(here, 'fixtures', 'crash-defs.ts'), args), {
    cwd: root,
    env: { ...process.env, LAKELOOP_HOME: home, LAKELOOP_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      resolve(code);
    });
  });
  const result: DevResult = { code: null, stdout: '', stderr: '' };
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    lines.push(line);
    const url = /API at (http:\/\/\S+)\/api/.exec(line)?.[1];
    if (url !== undefined) {
      result.withToken = (
        await fetch(`${url}/api/runs`, { headers: { authorization: `Bearer ${token}` } })
      ).status;
      result.withoutToken = (await fetch(`${url}/api/runs`)).status;
      child.kill('SIGTERM');
    }
  }
  result.code = await exited;
  result.stdout = lines.join('\n');
  result.stderr = stderr;
  return result;
}

describe('lakeloop dev --token-file', () => {
  let home: string;

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-token-'));
    const { data } = crashDefs(home);
    await data.createRepository({ name: 'flights' });
    await data.close();
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('reads the token from the file, trimmed, and requires it on the API without warning', async () => {
    const token = 'file-token-7c1e90d4a2b3f5e6';
    const file = join(home, 'api-token');
    writeFileSync(file, `  ${token}\n`, { mode: 0o600 });
    const result = await runDev(home, ['--token-file', file], token);
    expect(result.withToken).toBe(200);
    expect(result.withoutToken).toBe(401);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/warning/);
    expect(`${result.stdout}\n${result.stderr}`).not.toContain(token);
  });

  it('warns on stderr when the token is given with --token, and still uses it', async () => {
    const token = 'cli-token-4b8d2f6a1c3e5079';
    const result = await runDev(home, ['--token', token], token);
    expect(result.withToken).toBe(200);
    expect(result.stderr).toMatch(/--token is visible to other users.*--token-file/);
    expect(`${result.stdout}\n${result.stderr}`).not.toContain(token);
  });

  it('fails with a clear error for a missing or empty token file, or both options at once', async () => {
    const empty = join(home, 'empty-token');
    writeFileSync(empty, ' \n');
    const missing = await runDev(home, ['--token-file', join(home, 'nope')], 'x');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/Cannot read the token file/);
    const blank = await runDev(home, ['--token-file', empty], 'x');
    expect(blank.code).not.toBe(0);
    expect(blank.stderr).toMatch(/is empty/);
    const both = await runDev(home, ['--token', 'a-token-0123456789ab', '--token-file', empty], 'x');
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/not both/);
  });
});
