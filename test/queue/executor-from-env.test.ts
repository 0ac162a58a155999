import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { Instance, LakeloopError } from '../../src/index.js';
import { executorFromEnv } from '../../src/core/execution/executor-from-env.js';

describe('LAKELOOP_EXECUTOR', () => {
  afterEach(() => {
    delete process.env.LAKELOOP_EXECUTOR;
    delete process.env.LAKELOOP_REDIS_URL;
  });

  it('names the default, the queue, or an error saying what to use', async () => {
    expect(await executorFromEnv({})).toBeUndefined();
    expect(await executorFromEnv({ LAKELOOP_EXECUTOR: 'in-process' })).toBeUndefined();
    const queue = await executorFromEnv({
      LAKELOOP_EXECUTOR: 'queue',
      LAKELOOP_REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(queue?.name).toBe('queue');
    const unknown = await executorFromEnv({ LAKELOOP_EXECUTOR: 'celery' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(LakeloopError);
    expect((unknown as LakeloopError).code).toBe('INVALID_ARGUMENT');
    expect((unknown as LakeloopError).message).toMatch(/use in-process or queue/);
    const noRedis = await executorFromEnv({ LAKELOOP_EXECUTOR: 'queue' }).catch((e: unknown) => e);
    expect((noRedis as Error).message).toMatch(/LAKELOOP_REDIS_URL/);
  });

  it('is the executor Instance.open gives its runs, unless one is passed', async () => {
    process.env.LAKELOOP_EXECUTOR = 'queue';
    process.env.LAKELOOP_REDIS_URL = 'redis://127.0.0.1:1';
    const home = mkdtempSync(join(tmpdir(), 'lakeloop-executor-env-'));
    onTestFinished(() => {
      rmSync(home, { recursive: true, force: true });
    });
    await using configured = await Instance.open({ home, recoverDeadRuns: false });
    expect(configured.executor.name).toBe('queue');
    delete process.env.LAKELOOP_EXECUTOR;
    await using plain = await Instance.open({ home, recoverDeadRuns: false });
    expect(plain.executor.name).toBe('in_process');
  });
});
