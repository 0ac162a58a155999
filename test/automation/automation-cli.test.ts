/**
 * The automation CLI as a user runs it (`bin/lakeloop.js`, real processes): sensors list / stop /
 * start / tick / reset-cursor, and `daemon status` with its exit code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Instance } from '../../src/core/instance/instance.js';
import { crashDefs } from './fixtures/crash-defs-factory.js';

const exec = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '..', '..', 'bin', 'lakeloop.js');
const DEFS = join(here, 'fixtures', 'crash-defs.ts');

describe('lakeloop sensors / daemon', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [BIN, '--home', home, ...args], {
        env: { ...process.env, LAKELOOP_HOME: home, LAKELOOP_DEFS: DEFS },
      });
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const failed = error as { stdout: string; stderr: string; code: number };
      return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
    }
  }

  it('lists, stops, ticks and resets sensors', async () => {
    const { data } = crashDefs(home);
    await data.createRepository({ name: 'flights' });
    await data.putObject({ repository: 'flights', branch: 'main', path: 'a.csv', content: 'a' });
    const { id } = await data.commit({ repository: 'flights', branch: 'main', message: 'a' });
    await data.close();

    const list = await cli('sensors', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/new_data\s+sensor\s+RUNNING\s+process\s+1s/);
    expect(list.stdout).toMatch(/nightly\s+schedule\s+STOPPED\s+process\s+0 2 \* \* \*/);

    expect((await cli('sensors', 'stop', 'new_data')).stdout).toBe('new_data: STOPPED\n');
    const stopped = JSON.parse((await cli('sensors', 'list', '--json')).stdout) as {
      name: string;
      status: string;
    }[];
    expect(stopped.find((s) => s.name === 'new_data')?.status).toBe('STOPPED');

    const tick = await cli('sensors', 'tick', 'new_data'); // even a stopped sensor can be ticked by hand
    expect(tick.code).toBe(0);
    expect(tick.stdout).toMatch(/^new_data SUCCESS: queued \S+ \(the daemon starts them\)/);

    // Nothing new: the repeated SKIPPED ticks are counted in one row.
    expect((await cli('sensors', 'tick', 'new_data')).stdout).toMatch(/^new_data SKIPPED/);
    expect((await cli('sensors', 'tick', 'new_data')).stdout).toMatch(/^new_data SKIPPED/);
    const ticks = await cli('sensors', 'ticks', 'new_data');
    expect(ticks.code).toBe(0);
    const rows = ticks.stdout.trim().split('\n').slice(2);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\d+\s+SKIPPED\s+\S+\s+\S+\s+2\s/);
    expect(rows[1]).toMatch(/^\d+\s+SUCCESS\s+\S+\s+\S+\s+1\s/);
    expect((await cli('sensors', 'list')).stdout).toMatch(/new_data\s+sensor.*\(×2\)/);

    expect((await cli('sensors', 'reset-cursor', 'new_data')).stdout).toBe('new_data: cursor reset\n');

    const instance = await Instance.open({ home });
    try {
      const runs = await instance.runs.listRuns();
      expect(runs.map((r) => [r.status, r.tags['lakeloop/data_commit']])).toEqual([['QUEUED', id]]);
      const state = await instance.schedules.getInstigatorState('new_data');
      expect(state?.status).toBe('STOPPED');
      expect(state?.cursor).toBeUndefined();
    } finally {
      await instance.close();
    }

    const unknown = await cli('sensors', 'start', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /error \[NOT_FOUND\]: Unknown sensor or schedule "nope"; defined: new_data, nightly/,
    );
  });

  it('reports daemon health with exit code 5 when unhealthy', async () => {
    const none = await cli('daemon', 'status');
    expect(none.code).toBe(5);
    expect(none.stdout).toMatch(/unhealthy: No daemon has ever run on this instance/);
    const instance = await Instance.open({ home });
    try {
      await instance.schedules.recordHeartbeat('d-live', Date.now());
    } finally {
      await instance.close();
    }
    const healthy = await cli('daemon', 'status', '--json');
    expect(healthy.code).toBe(0);
    expect(JSON.parse(healthy.stdout)).toMatchObject({ healthy: true, daemonId: 'd-live' });
  });
});
