/**
 * `startDev` on a real socket: the API answers over HTTP, a commit pushed through the embedded
 * repository runs the pipeline, tokens are enforced, non-loopback binds need one, and close()
 * leaves no run STARTED. Plus `lakeloop dev` as a process: SIGTERM stops it cleanly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Instance } from '../../src/core/instance/instance.js';
import { isLoopbackHost, startDev } from '../../src/server/dev-server.js';
import { crashDefs } from './fixtures/crash-defs-factory.js';
import { automationDefs, heldRunDefs } from './fixtures/automation-defs.js';
import { devFromSource } from '../core/cli-test-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const TOKEN = 'dev-token-0123456789abcdef';

describe('startDev', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('serves the API over HTTP and runs the pipeline on a pushed commit', async () => {
    const { defs, data } = crashDefs(home);
    await data.createRepository({ name: 'flights' });
    const instance = await Instance.open({ home });
    const dev = await startDev({ defs, instance, port: 0, token: TOKEN });
    try {
      expect(dev.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const auth = { authorization: `Bearer ${TOKEN}` };
      expect((await fetch(`${dev.url}/api/health`)).status).toBe(200);
      expect((await fetch(`${dev.url}/api/sensors`)).status).toBe(401);
      const sensors = (await (await fetch(`${dev.url}/api/sensors`, { headers: auth })).json()) as {
        sensors: { name: string }[];
      };
      expect(sensors.sensors.map((s) => s.name)).toEqual(['new_data']);
      await data.putObject({ repository: 'flights', branch: 'main', path: 'a.csv', content: 'a' });
      const { id } = await data.commit({ repository: 'flights', branch: 'main', message: 'a' }); // push
      await dev.daemon.sensors.idle();
      await dev.daemon.queue.idle();
      const runs = (await (await fetch(`${dev.url}/api/runs`, { headers: auth })).json()) as {
        runs: { status: string; tags: Record<string, string> }[];
      };
      expect(runs.runs.map((r) => [r.tags['lakeloop/data_commit'], r.status])).toEqual([[id, 'SUCCESS']]);
    } finally {
      await dev.close();
      await data.close();
      await instance.close();
    }
  });

  it('refuses a non-loopback address without a token, and a short token', async () => {
    const { defs } = automationDefs();
    const instance = await Instance.ephemeral();
    try {
      await expect(startDev({ defs, instance, host: '0.0.0.0', port: 0 })).rejects.toThrow(
        /Binding 0.0.0.0 exposes the API to the network: create scoped tokens/,
      );
      await expect(startDev({ defs, instance, port: 0, token: 'short' })).rejects.toThrow(
        /at least 16 characters/,
      );
      expect(isLoopbackHost('127.0.0.1')).toBe(true);
      expect(isLoopbackHost('::1')).toBe(true);
      expect(isLoopbackHost('localhost')).toBe(true);
      expect(isLoopbackHost('192.168.1.10')).toBe(false);
    } finally {
      await instance.close();
    }
  });

  it('reports a port in use with a CONFLICT naming the port', async () => {
    const { defs } = automationDefs();
    const instance = await Instance.ephemeral();
    const first = await startDev({ defs, instance, port: 0 });
    try {
      await expect(startDev({ defs, instance, port: first.port, daemon: { force: true } })).rejects.toThrow(
        new RegExp(`Port ${first.port} on 127.0.0.1 is already in use`),
      );
    } finally {
      await first.close();
      await instance.close();
    }
  });

  it('leaves no run STARTED when closed', async () => {
    const { defs, started } = heldRunDefs('cancellable');
    const instance = await Instance.ephemeral();
    try {
      const dev = await startDev({ defs, instance, port: 0 });
      await started.promise;
      await dev.close();
      const runs = await instance.runs.listRuns();
      expect(runs.map((r) => r.status)).toEqual(['CANCELED']);
    } finally {
      await instance.close();
    }
  });
});

describe('lakeloop dev (process)', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('prints the URL, never the token, and stops cleanly on SIGTERM with no run left STARTED', async () => {
    const { data } = crashDefs(home);
    await data.createRepository({ name: 'flights' });
    const child = spawn(process.execPath, devFromSource(join(here, 'fixtures', 'crash-defs.ts')), {
      cwd: root,
      env: {
        ...process.env,
        LAKELOOP_HOME: home,
        LAKELOOP_TOKEN: TOKEN,
        LAKELOOP_TEST_HOLD: '1',
        LAKELOOP_TEST_ANNOUNCE: '1',
      },
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
    const lines: string[] = [];
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      const match = /API at (http:\/\/\S+)\/api/.exec(line);
      if (match?.[1] !== undefined) {
        url = match[1];
        // Exercise the API with the token, then commit: the daemon polls (another process) and starts a run.
        expect(
          (await fetch(`${url}/api/runs`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
        ).toBe(200);
        await data.putObject({ repository: 'flights', branch: 'main', path: 'a.csv', content: 'a' });
        await data.commit({ repository: 'flights', branch: 'main', message: 'a' });
      }
      if (line.startsWith('STARTED ')) child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(url).toBeDefined();
    expect(lines.join('\n')).toMatch(/stopped\./);
    expect(`${lines.join('\n')}\n${stderr}`).not.toContain(TOKEN);
    const instance = await Instance.open({ home });
    try {
      const runs = await instance.runs.listRuns();
      expect(runs.map((r) => r.status)).toEqual(['CANCELED']);
    } finally {
      await instance.close();
      await data.close();
    }
  });
});
