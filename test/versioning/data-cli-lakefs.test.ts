/**
 * `lakeloop data diff --summary` and `data status` on the lakeFS backend, against a local fake
 * lakeFS (an HTTP server on 127.0.0.1 answering the diff endpoints as lakeFS does: removed entries
 * with size 0). The CLI must say removed bytes are unknown there, not print 0 as if known.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'lakeloop.js');
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const diffResults = [
  { type: 'added', path: 'flights/2001-07.parquet', path_type: 'object', size_bytes: 2048 },
  { type: 'removed', path: 'flights/2001-01.parquet', path_type: 'object', size_bytes: 0 },
  { type: 'changed', path: 'notes.txt', path_type: 'object', size_bytes: 5 },
];

/** A fake lakeFS answering the branch, two-dot diff and uncommitted diff endpoints. */
async function fakeLakeFs(): Promise<string> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    response.setHeader('content-type', 'application/json');
    if (url.pathname === '/api/v1/repositories/flights/branches/main') {
      response.end(JSON.stringify({ id: 'main', commit_id: 'c0ffee00c0ffee00' }));
    } else if (url.pathname.includes('/diff')) {
      response.end(
        JSON.stringify({
          pagination: { has_more: false, next_offset: '', results: 3, max_per_page: 1000 },
          results: diffResults,
        }),
      );
    } else {
      response.statusCode = 404;
      response.end(JSON.stringify({ message: 'not found' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Runs the CLI against the fake server (asynchronously: the server answers in this process). */
function cli(
  endpoint: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  cleanups.push(() => {
    rmSync(home, { recursive: true, force: true });
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--home', home, 'data', ...args], {
      env: {
        ...process.env,
        LAKELOOP_DATA_BACKEND: 'lakefs',
        LAKEFS_ENDPOINT: endpoint,
        LAKEFS_ACCESS_KEY_ID: 'AKIAFAKE',
        LAKEFS_SECRET_ACCESS_KEY: 'fake-secret',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

describe('lakeloop data on lakeFS: sizes of removed entries', () => {
  it(
    'prints removed bytes as unknown in diff --summary, and null in its JSON',
    { timeout: 60_000 },
    async () => {
      const endpoint = await fakeLakeFs();
      const table = await cli(endpoint, 'diff', 'flights', 'main~1', 'main', '--summary');
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/flights\/\s+1\s+2\.0 KiB\s+1\s+\?\s+0/);
      expect(table.stdout).toMatch(/\(top level\)\s+0\s+0\s+1\s+5 B/);
      expect(table.stdout).toMatch(
        /bytes removed are unknown: lakeFS does not report the size of a removed object/,
      );
      const json = await cli(endpoint, 'diff', 'flights', 'main~1', 'main', '--summary', '--json');
      const summary = JSON.parse(json.stdout) as { total: { removed: unknown; added: unknown } };
      expect(summary.total.removed).toEqual({ count: 1, bytes: null });
      expect(summary.total.added).toEqual({ count: 1, bytes: 2048 });
    },
  );

  it('shows a removed entry of data status with an unknown size', { timeout: 60_000 }, async () => {
    const endpoint = await fakeLakeFs();
    const status = await cli(endpoint, 'status', 'flights', 'main');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/removed\s+flights\/2001-01\.parquet\s+\?/);
    expect(status.stdout).toMatch(/size of a removed object: not reported by lakeFS/);
  });
});
