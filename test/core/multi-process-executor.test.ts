import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelRun, Instance, materialize, multiProcessExecutor } from '../../src/index.js';
import { defs } from './fixtures/parallel-defs.js';
import { tempDir } from './core-test-helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/parallel-defs.ts', import.meta.url));

describe('multi-process executor', { timeout: 180_000 }, () => {
  let dir: ReturnType<typeof tempDir>;
  let instance: Instance;
  beforeEach(async () => {
    dir = tempDir();
    process.env.LAKELOOP_TEST_BARRIER = dir.path;
    instance = await Instance.ephemeral({ storage: 'sqlite' });
  });
  afterEach(async () => {
    await instance.close();
    delete process.env.LAKELOOP_TEST_BARRIER;
    dir.remove();
  });

  it('runs independent steps in parallel worker processes; values cross through the IO manager', async () => {
    const run = await materialize(defs, {
      select: '+joined',
      instance,
      executor: multiProcessExecutor({ module: fixture, maxConcurrency: 2 }),
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('SUCCESS');
    const events = await instance.events.getEvents({ runId: run.runId });
    const joinedEvent = events.find((e) => e.type === 'ASSET_MATERIALIZATION' && e.stepKey === 'joined');
    const value = (await instance.ioManager.read({
      assetKey: 'joined',
      storagePath: joinedEvent?.materialization?.storagePath ?? '',
    })) as { pids: number[]; own: number };
    const [leftPid, rightPid] = value.pids;
    expect(leftPid).not.toBe(rightPid);
    expect(value.pids).not.toContain(process.pid);
    expect(value.own).not.toBe(process.pid);
    expect(events.some((e) => e.type === 'LOG' && e.message === `left ran in ${leftPid}`)).toBe(true);
  });

  it('fails the steps with a clear error when workers cannot load the definitions module', async () => {
    const bad = join(dir.path, 'broken.ts');
    writeFileSync(bad, 'throw new Error("broken module");\n');
    const run = await materialize(defs, {
      select: 'left',
      instance,
      executor: multiProcessExecutor({ module: bad, maxConcurrency: 1 }),
    });
    expect(run.status).toBe('FAILURE');
    expect(run.error?.cause?.code).toBe('DEFINITION_ERROR');
    expect(run.error?.message).toContain('Cannot load definitions module');
    expect(run.error?.message).toContain('broken module');
  });

  it('cancellation aborts ctx.signal in the worker; the run ends CANCELED', async () => {
    let cancel: Promise<unknown> | undefined;
    const run = await materialize(defs, {
      select: 'hangs+',
      instance,
      executor: multiProcessExecutor({ module: fixture, maxConcurrency: 1, abortGraceMs: 120_000 }),
      onEvent: (event) => {
        if (event.type === 'LOG' && event.message === 'hanging') cancel = cancelRun(instance, event.runId);
      },
    });
    await cancel;
    expect(run.status).toBe('CANCELED');
    const events = await instance.events.getEvents({ runId: run.runId });
    const failure = events.find((e) => e.type === 'STEP_FAILURE');
    expect(failure?.error?.code).toBe('CANCELED');
    expect(failure?.error?.cause?.message).toMatch(/^hangs saw the abort in \d+$/);
    expect(events.filter((e) => e.type === 'STEP_SKIPPED').map((e) => e.stepKey)).toEqual(['after_hangs']);
  });
});
