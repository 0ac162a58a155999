import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Instance } from '../../src/index.js';
import { runTs } from './cli-test-helpers.js';
import { tempDir } from './core-test-helpers.js';

const script = fileURLToPath(new URL('./fixtures/materialize-many.ts', import.meta.url));

describe('two processes, one instance', { timeout: 180_000 }, () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    dir.remove();
  });

  it('both materialize at the same time and succeed (no "database is locked")', async () => {
    const count = 15;
    const [first, second] = await Promise.all([
      runTs(script, [dir.path, String(count), '2001-01']),
      runTs(script, [dir.path, String(count), '2001-02']),
    ]);
    expect(first.stderr).toBe('');
    expect(second.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const ok = JSON.stringify(Array.from({ length: count }, () => 'SUCCESS'));
    expect(first.stdout.trim()).toBe(ok);
    expect(second.stdout.trim()).toBe(ok);
    await using instance = await Instance.open(dir.path);
    const runs = await instance.runs.listRuns({ limit: 1000 });
    expect(runs).toHaveLength(2 * count);
    expect(runs.every((r) => r.status === 'SUCCESS')).toBe(true);
    // Every run's events are complete: 6 steps, each with one materialization.
    for (const run of runs.slice(0, 5)) {
      const mats = await instance.events.getEvents({ runId: run.runId, types: ['ASSET_MATERIALIZATION'] });
      expect(mats).toHaveLength(6);
    }
  });
});
