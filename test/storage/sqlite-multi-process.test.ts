/**
 * Two processes write one instance database at the same time (runs, 2,000+ events each in
 * step-sized transactions, run-key claims): both succeed, nothing is lost, nothing is claimed
 * twice, and no "database is locked" error appears.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorages } from '../../src/core/storage/sqlite/sqlite-storages.js';
import { LOGS_PER_STEP, STEPS_PER_RUN } from './fixtures/storage-writer-shape.js';
import type { WriterSummary } from './fixtures/storage-writer-shape.js';

const writerScript = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'storage-writer.ts');

interface Writer {
  ready: Promise<void>;
  go(): void;
  kill(): void;
  done: Promise<{ code: number | null; stdout: string[]; stderr: string }>;
}

function startWriter(args: string[], peer: string): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LAKELOOP_TEST_PEER: peer },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stdout: string[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') markReady();
    else stdout.push(line);
  });
  const done = new Promise<{ code: number | null; stdout: string[]; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      markReady();
      resolve({ code, stdout, stderr });
    });
  });
  return {
    ready,
    go: () => {
      child.stdin.end('go\n');
    },
    kill: () => child.kill('SIGKILL'),
    done,
  };
}

describe('SQLite storage with two writer processes', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every run, event and claim of both, with no lock errors', async () => {
    const path = join(dir, 'lakeloop.db');
    const runsPerWriter = 25;
    const sharedKeys = 100;
    const writers = [
      startWriter([path, 'w1', String(runsPerWriter), String(sharedKeys)], 'w2'),
      startWriter([path, 'w2', String(runsPerWriter), String(sharedKeys)], 'w1'),
    ];
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.go();
    // A writer that fails ends the test with its stderr, not a peer waiting for it forever.
    const results = await Promise.all(
      writers.map((w) =>
        w.done.then((result) => {
          if (result.code !== 0) for (const other of writers) other.kill();
          return result;
        }),
      ),
    );

    const stderr = results.map((r) => r.stderr).join('\n');
    for (const result of results) {
      expect(result.stderr).not.toMatch(/locked|busy/i);
      expect(result.code, stderr).toBe(0);
    }
    const summaries = results.map((r) => JSON.parse(r.stdout.at(-1) ?? '{}') as WriterSummary);
    const eventsPerRun = 2 + STEPS_PER_RUN * (LOGS_PER_STEP + 4);
    for (const summary of summaries) {
      expect(summary.eventCount).toBe(runsPerWriter * eventsPerRun);
      expect(summary.eventCount).toBeGreaterThanOrEqual(2_000);
    }
    const claimed = summaries.flatMap((s) => s.claimedKeys);
    expect(claimed).toHaveLength(sharedKeys);
    expect(new Set(claimed).size).toBe(sharedKeys);

    const storages = openSqliteStorages({ path });
    try {
      const runs = await storages.runs.listRuns({ limit: 1_000 });
      expect(runs).toHaveLength(2 * runsPerWriter);
      expect(runs.every((run) => run.status === 'SUCCESS')).toBe(true);
      for (const summary of summaries) {
        expect(
          (await storages.runs.listRuns({ tags: { writer: summary.writerId }, limit: 1_000 })).length,
        ).toBe(runsPerWriter);
        for (const runId of summary.runIds) {
          const events = await storages.events.getEvents({ runId });
          expect(events).toHaveLength(eventsPerRun);
          expect(events[0]?.type).toBe('RUN_START');
          expect(events.at(-1)?.type).toBe('RUN_SUCCESS');
          const ids = events.map((e) => e.id);
          expect([...ids].sort((a, b) => a - b)).toEqual(ids);
        }
      }
      const all = await storages.events.getEvents({});
      expect(all).toHaveLength(2 * runsPerWriter * eventsPerRun);
      expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
      // The writers really ran at the same time: their events interleave in the log.
      let switches = 0;
      for (let i = 1; i < all.length; i++) {
        if (all[i]?.runId.slice(0, 2) !== all[i - 1]?.runId.slice(0, 2)) switches++;
      }
      console.log(`writer switches in the event log: ${switches}`);
      expect(switches).toBeGreaterThan(2);

      // The latest-materialization index agrees with a scan of the log.
      const latest = await storages.events.latestMaterializations(['shared']);
      expect(latest.map((l) => l.partition)).toEqual(
        Array.from({ length: STEPS_PER_RUN }, (_, s) => `p${s}`),
      );
      for (const entry of latest) {
        const scanned = all.filter(
          (e) => e.type === 'ASSET_MATERIALIZATION' && e.materialization?.partition === entry.partition,
        );
        expect(entry.event.id).toBe(Math.max(...scanned.map((e) => e.id)));
      }
      for (const key of claimed) {
        const runId = await storages.schedules.getRunIdForKey('sensor', key);
        expect(summaries.some((s) => s.claimedKeys.includes(key) && s.runIds.includes(runId ?? ''))).toBe(
          true,
        );
      }
    } finally {
      await storages.close();
    }
  });
});
