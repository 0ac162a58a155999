import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelRun, createRun, defineAsset, Definitions, executeRun, Instance } from '../../src/index.js';
import { tempDir } from './core-test-helpers.js';

describe('cancellation requested by another process', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    dir.remove();
  });

  it('the executing instance notices CANCELING in run storage and aborts its steps', async () => {
    await using executing = await Instance.open(dir.path);
    await using other = await Instance.open(dir.path); // its own SQLite connection, as another process has
    let started!: () => void;
    const isRunning = new Promise<void>((resolve) => (started = resolve));
    const waits = defineAsset({
      key: 'waits',
      compute: (ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            reject(new Error('aborted by cancel'));
          });
          started();
        }),
    });
    const defs = new Definitions({ assets: [waits] });
    const run = await createRun(defs, { select: '*', instance: executing });
    const done = executeRun({ defs, runId: run.runId, instance: executing, cancelPollMs: 10 });
    await isRunning;
    expect(executing.activeRuns.has(run.runId)).toBe(true);
    expect(other.activeRuns.has(run.runId)).toBe(false);
    expect((await cancelRun(other, run.runId)).status).toBe('CANCELING');
    const final = await done;
    expect(final.status).toBe('CANCELED');
    expect((await other.runs.getRun(run.runId))?.status).toBe('CANCELED');
  });
});
