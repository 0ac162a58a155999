/**
 * Crash safety of pruning: a child process pruning a real SQLite instance is SIGKILLed mid-way —
 * between deleting a run and its events, and between two value deletions. Afterwards the database
 * passes SQLite's integrity check, every kept run's referenced values (and every asset's latest)
 * are still readable, the only leftover is documented (the events of the one run whose record was
 * deleted), and the next prune finishes the job with the same result as an uninterrupted one.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { defineAsset } from '../../src/core/definitions/asset-definition.js';
import { Definitions } from '../../src/core/definitions/definitions.js';
import { materialize } from '../../src/core/execution/run-launcher.js';
import { Instance } from '../../src/core/instance/instance.js';
import { DAY_MS, pruneInstance } from '../../src/core/instance/retention.js';
import type { RetentionPolicy } from '../../src/core/instance/retention.js';
import { tempDir } from './core-test-helpers.js';

const childScript = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'prune-child.ts');
const POLICY: RetentionPolicy = { runsOlderThanMs: 5 * DAY_MS };

describe('pruning killed mid-way', () => {
  let dir: ReturnType<typeof tempDir>;
  let start: number;

  beforeEach(() => {
    dir = tempDir();
    start = Date.now();
  });

  afterEach(() => {
    dir.remove();
  });

  /** Ten daily runs of raw -> doubled, a run in progress, and a recent re-execution of run 2. */
  async function seed(): Promise<{ runIds: string[]; now: number }> {
    let n = 0;
    const raw = defineAsset({ key: 'raw', compute: () => [++n] });
    const doubled = defineAsset({
      key: 'doubled',
      deps: [raw],
      compute: (_ctx, inputs) => inputs.raw.map((x) => x * 2),
    });
    const defs = new Definitions({ assets: [raw, doubled] });
    const clock = manualClock(start);
    const instance = await Instance.open({ home: dir.path, clock });
    const runIds: string[] = [];
    try {
      for (let d = 0; d < 10; d++) {
        runIds.push((await materialize(defs, { select: '*', instance })).runId);
        clock.advance(DAY_MS);
      }
      const base = await instance.runs.getRun(runIds[0] ?? '');
      if (base === undefined) throw new Error('first run missing');
      await instance.runs.addRun({ ...base, runId: 'in-progress', status: 'STARTED' });
      await instance.runs.addRun({
        ...base,
        runId: 'reexecution',
        status: 'SUCCESS',
        parentRunId: runIds[2] ?? '',
        createdAt: clock.now(),
        endedAt: clock.now(),
      });
    } finally {
      await instance.close();
    }
    return { runIds, now: clock.now() };
  }

  async function pruneInChild(now: number, step: string, count: number): Promise<string[]> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', childScript, dir.path, String(now), JSON.stringify(POLICY), step, String(count)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.on('close', (_code, signal) => {
        resolve(signal);
      });
    });
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) lines.push(line);
    expect(await exited).toBe('SIGKILL');
    return lines;
  }

  /** Integrity, readable values of every kept run and every latest materialization; returns orphans. */
  async function checkConsistent(): Promise<string[]> {
    const raw = new Database(join(dir.path, 'lakeloop.db'));
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      raw.close();
    }
    const instance = await Instance.open({ home: dir.path, recoverDeadRuns: false });
    try {
      const runs = new Set((await instance.runs.listRuns({ limit: 1_000 })).map((r) => r.runId));
      for (const event of await instance.events.getEvents({ types: ['ASSET_MATERIALIZATION'] })) {
        const m = event.materialization;
        if (m?.storagePath === undefined || !runs.has(event.runId)) continue;
        expect(
          await instance.ioManager.read({ assetKey: m.assetKey, storagePath: m.storagePath }),
        ).toBeDefined();
      }
      for (const latest of await instance.events.latestMaterializations()) {
        expect(runs.has(latest.event.runId)).toBe(true);
        const path = latest.event.materialization?.storagePath ?? '';
        expect(await instance.ioManager.read({ assetKey: latest.assetKey, storagePath: path })).toBeDefined();
      }
      return (await instance.events.listRunIdsWithEvents()).filter((id) => !runs.has(id));
    } finally {
      await instance.close();
    }
  }

  async function finishAndCheck(now: number, runIds: string[]): Promise<void> {
    const instance = await Instance.open({ home: dir.path, recoverDeadRuns: false });
    try {
      await pruneInstance({ instance, now, policy: POLICY });
      const left = (await instance.runs.listRuns({ limit: 1_000 })).map((r) => r.runId).sort();
      // Runs 0-5 ended at least 5 days before `now`; run 2 is the parent of a kept re-execution.
      expect(left).toEqual([runIds[2], ...runIds.slice(6), 'in-progress', 'reexecution'].map(String).sort());
      expect(await instance.events.listRunIdsWithEvents()).toEqual(
        [runIds[2], ...runIds.slice(6)].map(String).sort(),
      );
    } finally {
      await instance.close();
    }
    expect(await checkConsistent()).toEqual([]);
  }

  it("between deleting a run and its events: only that run's events are left, and the next prune deletes them", async () => {
    const { runIds, now } = await seed();
    const lines = await pruneInChild(now, 'run-deleted', 3);
    expect(lines.at(-1)).toBe('step run-deleted 3');
    expect(await checkConsistent()).toEqual([runIds[3]]); // runs 0, 1 done; 3 (2 is kept) half done
    await finishAndCheck(now, runIds);
  });

  it('between two value deletions: every kept value is still readable', async () => {
    const { runIds, now } = await seed();
    const lines = await pruneInChild(now, 'value-deleted', 2);
    expect(lines.filter((l) => l.startsWith('step events-deleted'))).toHaveLength(5);
    expect(lines.at(-1)).toBe('step value-deleted 2');
    expect(await checkConsistent()).toEqual([]);
    await finishAndCheck(now, runIds);
  });
});
