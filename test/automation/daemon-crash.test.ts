/**
 * Crash safety: a `lakeloop daemon` child process is SIGKILLed while a run it launched is STARTED.
 * On restart the run is marked FAILURE with the reason, the sensor continues from its stored cursor,
 * and every commit (before, during and after the crash) got exactly one run — none missed, none
 * twice.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { Instance } from '../../src/core/instance/instance.js';
import { crashDefs } from './fixtures/crash-defs-factory.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const defsFile = join(here, 'fixtures', 'crash-defs.ts');

describe('daemon crash safety', () => {
  let home: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('fails the run a killed daemon left STARTED, and misses or repeats no commit after restart', async () => {
    const { data } = crashDefs(home);
    await data.createRepository({ name: 'flights' });
    const commit = async (name: string): Promise<string> => {
      await data.putObject({ repository: 'flights', branch: 'main', path: `${name}.csv`, content: name });
      return (await data.commit({ repository: 'flights', branch: 'main', message: name })).id;
    };
    const first = await commit('jan');

    // The CLI entry itself (bin/lakeloop.js runs it in the same process too; see launcher.test.ts).
    const child = spawn(
      process.execPath,
      [
        '--conditions=lakeloop-source',
        '--import',
        'tsx',
        join(root, 'src', 'cli', 'main.ts'),
        'daemon',
        '--defs',
        defsFile,
        '--max-concurrent-runs',
        '1',
        '--log-level',
        'silent',
      ],
      {
        cwd: root,
        env: { ...process.env, LAKELOOP_HOME: home, LAKELOOP_TEST_HOLD: '1', LAKELOOP_TEST_ANNOUNCE: '1' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.on('close', (_code, signal) => {
        resolve(signal);
      });
    });
    let second: string | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === `STARTED ${first}`) {
        second = await commit('feb'); // while the first run is held STARTED
        child.kill('SIGKILL');
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(second).toBeDefined();
    const third = await commit('mar'); // while no daemon runs

    // Restart (in process, a minute later so the dead daemon's heartbeat is stale).
    const clock = manualClock(Date.now() + 60_000);
    const instance = await Instance.open({ home, clock });
    const { defs, data: data2 } = crashDefs(home);
    try {
      const before = await instance.runs.listRuns();
      const killed = before.find((r) => r.tags['lakeloop/data_commit'] === first);
      // Opening the instance found the run's owner process gone and ended the run.
      expect(killed?.status).toBe('FAILURE');
      expect(killed?.tags['lakeloop/owner_lost']).toBe('process_exited');
      const cursorBefore = (await instance.schedules.getInstigatorState('new_data'))?.cursor;
      expect(cursorBefore === first || cursorBefore === second).toBe(true);

      const daemon = new Daemon({ defs, instance, tickIntervalMs: 3_600_000 });
      await daemon.start();
      await daemon.sensors.idle();
      await daemon.queue.idle();
      clock.advance(1_000);
      await daemon.tick(clock.now());
      await daemon.queue.idle();
      await daemon.stop();

      const failed = await instance.runs.getRun(killed?.runId ?? '');
      expect(failed?.status).toBe('FAILURE');
      expect(failed?.error?.message).toMatch(
        /was STARTED, but its process pid \d+ on \S+ exited; marked FAILURE/,
      );
      expect(failed?.error?.message).toMatch(/lakeloop runs reexecute \S+ --from-failure/);
      expect(failed?.tags['lakeloop/defs']).toBe(defsFile); // for people to read; reexecute needs --defs

      const runs = await instance.runs.listRuns({ order: 'OLDEST_FIRST' });
      const byCommit = new Map<string, string[]>();
      for (const run of runs) {
        const id = run.tags['lakeloop/data_commit'] ?? '';
        byCommit.set(id, [...(byCommit.get(id) ?? []), run.status]);
      }
      expect(Object.fromEntries(byCommit)).toEqual({
        [first]: ['FAILURE'],
        [second ?? '']: ['SUCCESS'],
        [third]: ['SUCCESS'],
      });
      expect((await instance.schedules.getInstigatorState('new_data'))?.cursor).toBe(third);
      expect(runs.some((r) => ['STARTED', 'STARTING', 'QUEUED'].includes(r.status))).toBe(false);
    } finally {
      await data2.close();
      await data.close();
      await instance.close();
    }
  });
});
