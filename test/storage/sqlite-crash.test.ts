/**
 * A writer process killed (SIGKILL) inside an append transaction leaves a database that opens,
 * passes SQLite's integrity check, and holds only whole transactions: every step batch of events
 * is there completely or not at all, and the latest-materialization index matches the log.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorages } from '../../src/core/storage/sqlite/sqlite-storages.js';
import { LOGS_PER_STEP } from './fixtures/storage-writer-shape.js';

const writerScript = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'storage-writer.ts');

describe('SQLite storage after a writer is killed', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps only whole transactions and a consistent index', async () => {
    const path = join(dir, 'lakeloop.db');
    const child = spawn(process.execPath, ['--import', 'tsx', writerScript, path, 'k', '10', '0', '3'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.on('close', (_code, signal) => {
        resolve(signal);
      });
    });
    const progress: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === 'ready') child.stdin.write('go\n');
      else progress.push(line);
    }
    expect(await exited).toBe('SIGKILL');
    expect(progress).toEqual(['progress 0', 'progress 1', 'progress 2']);

    const raw = new Database(path);
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      raw.close();
    }
    const storages = openSqliteStorages({ path });
    try {
      const events = await storages.events.getEvents({});
      expect(events.length).toBeGreaterThan(0);
      const perStep = new Map<string, number>();
      for (const event of events) {
        if (event.stepKey === undefined || event.stepKey === 'shared') continue;
        const key = `${event.runId}/${event.stepKey}`;
        perStep.set(key, (perStep.get(key) ?? 0) + 1);
      }
      // STEP_START + logs + STEP_OUTPUT + STEP_SUCCESS of a step are one batch: all or nothing.
      for (const count of perStep.values()) expect(count).toBe(LOGS_PER_STEP + 3);
      const materializations = events.filter((e) => e.type === 'ASSET_MATERIALIZATION');
      expect(materializations).toHaveLength(perStep.size);
      for (const latest of await storages.events.latestMaterializations()) {
        const ofPartition = materializations.filter((e) => e.materialization?.partition === latest.partition);
        expect(latest.event.id).toBe(Math.max(...ofPartition.map((e) => e.id)));
      }
      const runs = await storages.runs.listRuns({ limit: 1_000 });
      expect(runs.map((run) => [run.runId, run.status])).toEqual([
        ['k-run-3', 'STARTED'],
        ['k-run-2', 'SUCCESS'],
        ['k-run-1', 'SUCCESS'],
        ['k-run-0', 'SUCCESS'],
      ]);
      // Run 3 got its RUN_START and first step; the killed second step left nothing.
      expect(perStep.get('k-run-3/asset_0')).toBe(LOGS_PER_STEP + 3);
      expect(perStep.has('k-run-3/asset_1')).toBe(false);
    } finally {
      await storages.close();
    }
  });
});
