/**
 * Crash safety of tick coalescing: a child process evaluating an idle sensor (every evaluation a
 * SKIPPED tick coalesced into the previous one, in one transaction) is SIGKILLed while it runs.
 * The database passes the integrity check; the sensor has exactly one SKIPPED tick counting at
 * least every evaluation the child reported, plus at most the one STARTED tick of the evaluation
 * in flight; evaluations after a restart are counted again.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorages } from '../../src/core/storage/sqlite/sqlite-storages.js';
import { tempDir } from '../core/core-test-helpers.js';

const childScript = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'idle-sensor-child.ts');
const START = Date.parse('2026-03-01T00:00:00Z');
const REPORTED_BEFORE_KILL = 300;

describe('tick coalescing when the evaluating process is killed', () => {
  let dir: ReturnType<typeof tempDir>;

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(() => {
    dir.remove();
  });

  it('keeps one counted SKIPPED tick (and at most one STARTED) and an intact database', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dir.path, String(START)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.on('close', (_code, signal) => {
        resolve(signal);
      });
    });
    let reported = 0;
    let lastCount = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      reported++;
      lastCount = Number(line.split(' ')[1]);
      if (reported === REPORTED_BEFORE_KILL) child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    expect(lastCount).toBeGreaterThanOrEqual(REPORTED_BEFORE_KILL);

    const path = join(dir.path, 'lakeloop.db');
    const raw = new Database(path);
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      raw.close();
    }
    const storages = openSqliteStorages({ path });
    try {
      const ticks = await storages.schedules.listTicks('idle', { limit: 1_000 });
      const skipped = ticks.filter((t) => t.status === 'SKIPPED');
      const started = ticks.filter((t) => t.status === 'STARTED');
      expect(skipped).toHaveLength(1);
      expect(started.length).toBeLessThanOrEqual(1);
      expect(ticks).toHaveLength(skipped.length + started.length);
      const [row] = skipped;
      expect(row?.count).toBeGreaterThanOrEqual(lastCount);
      expect(row?.lastTimestamp).toBe(START + ((row?.count ?? 0) - 1) * 1_000);
      // A restarted evaluation coalesces again (into the same tick unless one was left STARTED).
      const id = await storages.schedules.addTick({
        instigatorName: 'idle',
        type: 'SENSOR',
        timestamp: START + 86_400_000,
        status: 'STARTED',
        runKeys: [],
        runIds: [],
      });
      const finished = await storages.schedules.finishTick(id, {
        status: 'SKIPPED',
        skipReason: 'No new commit.',
      });
      if (started.length === 0) expect(finished).toMatchObject({ id: row?.id, count: (row?.count ?? 0) + 1 });
      else expect(finished.id).toBe(id);
    } finally {
      await storages.close();
    }
  });
});
