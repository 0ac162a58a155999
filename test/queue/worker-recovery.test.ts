/**
 * Crash safety of the queue executor: two `lakeloop worker` processes; the one holding a step is
 * SIGKILLed mid-step. BullMQ's stalled check (short lock and interval injected here) puts the job
 * back, the other worker runs the step, and the coordinator records exactly one materialization;
 * the step ran twice at most (the killed start and the recovery), the killed worker's step child
 * does not live on. The time from the kill to the recovery start is printed (no timed assertion).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { Instance, materialize } from '../../src/index.js';
import { hashBytes } from '../../src/core/execution/io/filesystem-io-manager.js';
import { queueExecutor } from '../../src/core/execution/queue/queue-executor.js';
import { repoRoot } from '../core/cli-test-helpers.js';
import { defs } from './fixtures/queue-defs.js';
import { stopChild, waitFor } from '../support/child-processes.js';
import { stepTraces } from './fixtures/step-traces.js';

const fixture = fileURLToPath(new URL('./fixtures/queue-defs.ts', import.meta.url));
const redisUrl = inject('redisUrl');
if (redisUrl === '') console.warn(`queue worker recovery test skipped: ${inject('redisUnavailable')}`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A `lakeloop worker` process; resolves once it printed its start line. */
async function startCliWorker(options: {
  name: string;
  prefix: string;
  home: string;
  traceDir: string;
}): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      'bin/lakeloop.js',
      '--home',
      options.home,
      'worker',
      '--prefix',
      options.prefix,
      '--name',
      options.name,
      '--defs',
      fixture,
      '--lock-duration-ms',
      '1000',
      '--stalled-interval-ms',
      '500',
      '--quiet',
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, LAKELOOP_REDIS_URL: redisUrl, LAKELOOP_QUEUE_TEST_DIR: options.traceDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.startsWith(`lakeloop worker ${options.name}:`)) break;
  }
  child.stdout.resume();
  return child;
}

describe.skipIf(redisUrl === '')('a SIGKILLed lakeloop worker', { timeout: 180_000 }, () => {
  let dir: string;
  let instance: Instance;
  const workers: ChildProcess[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-queue-kill-'));
    process.env.LAKELOOP_QUEUE_TEST_DIR = dir;
    instance = await Instance.ephemeral({ storage: 'sqlite' });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map(stopChild));
    await instance.close();
    delete process.env.LAKELOOP_QUEUE_TEST_DIR;
    rmSync(dir, { recursive: true, force: true });
  });

  it('has its step re-run by the other worker: one materialization, at most two starts', async () => {
    const prefix = `test-recovery-${process.pid}-${Date.now()}`;
    const started = await Promise.all(
      ['w1', 'w2'].map((name) => startCliWorker({ name, prefix, home: instance.home, traceDir: dir })),
    );
    workers.push(...started);
    const running = materialize(defs, {
      select: 'killed_once+',
      instance,
      executor: queueExecutor({ redisUrl, prefix, module: fixture }),
    });
    await waitFor(() => stepTraces(dir, 'killed_once').length === 1);
    const [stepPid, workerPid] = (stepTraces(dir, 'killed_once')[0] ?? '').split(' ').map(Number);
    const holder = started.find((w) => w.pid === workerPid);
    expect(holder).toBeDefined();
    const killedAt = Date.now();
    holder?.kill('SIGKILL');
    await waitFor(() => stepTraces(dir, 'killed_once').length >= 2);
    const recoveryMs = Date.now() - killedAt;
    const run = await running;
    console.log(
      `queue recovery: the step started again ${recoveryMs} ms after SIGKILL of its worker (lock 1 s, stalled check 0.5 s)`,
    );

    expect(run.error).toBeUndefined();
    expect(run.status).toBe('SUCCESS');
    const lines = stepTraces(dir, 'killed_once');
    expect(lines).toHaveLength(2); // the killed start and the recovery: never a third
    const survivor = started.find((w) => w !== holder);
    expect(Number(lines[1]?.split(' ')[1])).toBe(survivor?.pid);
    const events = await instance.events.getEvents({ runId: run.runId });
    const materializations = events.filter(
      (e) => e.type === 'ASSET_MATERIALIZATION' && e.stepKey === 'killed_once',
    );
    expect(materializations).toHaveLength(1);
    // The recovery is the same attempt (the queue's, not the retry policy's): one start, no failure.
    expect(events.filter((e) => e.type === 'STEP_START' && e.stepKey === 'killed_once')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'STEP_FAILURE')).toHaveLength(0);
    const success = events.find((e) => e.type === 'STEP_SUCCESS' && e.stepKey === 'killed_once');
    expect(success?.data?.executedBy).toMatchObject({ worker: survivor === started[0] ? 'w1' : 'w2' });
    // The recorded value is the recovery's, complete and readable.
    const value = await instance.ioManager.read({
      assetKey: 'killed_once',
      storagePath: materializations[0]?.materialization?.storagePath ?? '',
    });
    expect(value).toEqual({ ranOnStart: 2 });
    // Content-addressed: the recorded file's bytes hash to the recorded data version (a partial
    // write of the killed worker would be a temporary file, never this name).
    const recorded = materializations[0]?.materialization;
    expect(hashBytes(readFileSync(recorded?.storagePath ?? ''))).toBe(recorded?.dataVersion);
    // The killed worker's step child noticed its parent was gone and exited.
    await waitFor(() => !alive(stepPid ?? 0));
  });
});
