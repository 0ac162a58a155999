/**
 * End to end with the queue executor: two `lakeloop worker` processes and the coordinating
 * command (`lakeloop materialize --executor queue`, `lakeloop daemon` with
 * `LAKELOOP_EXECUTOR=queue`) on one shared SQLite home, values in a shared folder
 * (`LAKELOOP_IO_URL=file:///…`), Redis from the test setup, a queue name of its own per test.
 * The steps run in the workers (the run's events say which), a failing step is retried by its
 * retry policy, a canceled run stops its running step.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createRun, Instance } from '../../src/index.js';
import type { EventRecord, RunRecord } from '../../src/index.js';
import { lakeloop, repoRoot } from '../core/cli-test-helpers.js';
import { defs } from '../queue/fixtures/queue-defs.js';
import { stopChild, waitFor } from '../support/child-processes.js';
import { stepTraces } from '../queue/fixtures/step-traces.js';

const fixture = fileURLToPath(new URL('../queue/fixtures/queue-defs.ts', import.meta.url));
const redisUrl = inject('redisUrl');
if (redisUrl === '') console.warn(`queue end-to-end tests skipped: ${inject('redisUnavailable')}`);

let counter = 0;

/** Spawns `node bin/lakeloop.js <args>`; resolves once a stdout line starts with `readyLine`. */
async function spawnCli(args: string[], env: NodeJS.ProcessEnv, readyLine?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/lakeloop.js', ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (readyLine !== undefined) {
    for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
      if (line.startsWith(readyLine)) break;
    }
  }
  child.stdout.resume();
  return child;
}

describe.skipIf(redisUrl === '')('queue executor end to end', { timeout: 180_000 }, () => {
  let root: string;
  let home: string;
  let shared: string;
  let traceDir: string;
  let env: NodeJS.ProcessEnv;
  let workers: ChildProcess[];
  const others: ChildProcess[] = [];

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'lakeloop-queue-e2e-'));
    home = join(root, 'home');
    shared = join(root, 'shared-values');
    traceDir = join(root, 'traces');
    for (const dir of [home, shared, traceDir]) mkdirSync(dir);
    env = {
      ...process.env,
      LAKELOOP_HOME: home,
      LAKELOOP_REDIS_URL: redisUrl,
      LAKELOOP_IO_URL: pathToFileURL(shared).href,
      LAKELOOP_QUEUE: `e2e-${process.pid}-${++counter}-${Date.now()}`,
      LAKELOOP_QUEUE_TEST_DIR: traceDir,
    };
    // No --defs: the workers load the module each job names (the coordinator's).
    workers = await Promise.all(
      ['host-b', 'host-c'].map((name) =>
        spawnCli(['worker', '--name', name, '--quiet'], env, `lakeloop worker ${name}:`),
      ),
    );
  });
  afterEach(async () => {
    await Promise.all([...workers, ...others.splice(0)].map(stopChild));
    rmSync(root, { recursive: true, force: true });
  });

  /** The run's events, read from the shared home. */
  async function eventsOf(runId: string): Promise<EventRecord[]> {
    const instance = await Instance.open({ home, recoverDeadRuns: false });
    try {
      return await instance.events.getEvents({ runId });
    } finally {
      await instance.close();
    }
  }

  it('materialize --executor queue: the steps run in the workers, values in the shared folder', async () => {
    const result = await lakeloop(
      ['materialize', '--defs', fixture, '--select', '+joined', '--executor', 'queue', '--json'],
      env as Record<string, string>,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout) as RunRecord;
    expect(run.status).toBe('SUCCESS');
    const events = await eventsOf(run.runId);
    const workerPids = workers.map((w) => w.pid);
    const successes = events.filter((e) => e.type === 'STEP_SUCCESS');
    expect(successes).toHaveLength(4);
    for (const success of successes) {
      const executedBy = success.data?.executedBy as { worker: string; pid: number };
      expect(['host-b', 'host-c']).toContain(executedBy.worker);
      expect(workerPids).toContain(executedBy.pid);
    }
    for (const m of events.filter((e) => e.type === 'ASSET_MATERIALIZATION')) {
      expect((m.materialization?.storagePath ?? '').startsWith(shared)).toBe(true);
    }
    expect(existsSync(join(home, 'storage'))).toBe(false);
    expect(
      events.filter((e) => e.type === 'LOG' && e.message.startsWith('Running on worker host-')),
    ).toHaveLength(4);
  });

  it('a failing step is retried by its retry policy, each attempt in a worker', async () => {
    const result = await lakeloop(
      ['materialize', '--defs', fixture, '--select', 'flaky', '--executor', 'queue', '--json'],
      env as Record<string, string>,
    );
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout) as RunRecord;
    expect(run.status).toBe('SUCCESS');
    expect(stepTraces(traceDir, 'flaky').map((l) => l.split(' ')[2])).toEqual(['1', '2']);
    const events = await eventsOf(run.runId);
    expect(events.filter((e) => e.type === 'STEP_UP_FOR_RETRY')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'LOG' && e.message.startsWith('Running on worker'))).toHaveLength(
      2,
    );
  });

  it('runs cancel stops the running step in its worker', async () => {
    const materializing = spawn(
      process.execPath,
      ['bin/lakeloop.js', 'materialize', '--defs', fixture, '--select', 'hangs+', '--executor', 'queue'],
      { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    others.push(materializing);
    const exited = new Promise<number | null>((resolve) => {
      materializing.once('exit', (code) => {
        resolve(code);
      });
    });
    await waitFor(() => stepTraces(traceDir, 'hangs').length === 1, { pollMs: 50 });
    const [stepPid] = (stepTraces(traceDir, 'hangs')[0] ?? '').split(' ').map(Number);
    const listed = await lakeloop(['runs', 'list', '--json'], env as Record<string, string>);
    const [run] = JSON.parse(listed.stdout) as RunRecord[];
    const cancel = await lakeloop(['runs', 'cancel', run?.runId ?? ''], env as Record<string, string>);
    expect(cancel.code).toBe(0);
    expect(await exited).not.toBe(0);
    const events = await eventsOf(run?.runId ?? '');
    expect(events.at(-1)?.type).toBe('RUN_CANCELED');
    const failure = events.find((e) => e.type === 'STEP_FAILURE');
    expect(failure?.error?.code).toBe('CANCELED');
    expect(failure?.error?.cause?.message).toMatch(/^hangs saw the abort in \d+$/);
    // The step child that ran it saw the abort (the child itself stays for the worker's next step).
    expect(failure?.error?.cause?.message).toBe(`hangs saw the abort in ${stepPid ?? ''}`);
    expect(stepTraces(traceDir, 'hangs')).toHaveLength(1);
  });

  it('lakeloop daemon with LAKELOOP_EXECUTOR=queue runs a queued run in the workers', async () => {
    const instance = await Instance.open({ home, recoverDeadRuns: false });
    let runId: string;
    try {
      runId = (await createRun(defs, { instance, select: '+joined', status: 'QUEUED' })).runId;
    } finally {
      await instance.close();
    }
    others.push(
      await spawnCli(
        ['daemon', '--defs', fixture],
        { ...env, LAKELOOP_EXECUTOR: 'queue' },
        'lakeloop daemon ',
      ),
    );
    await waitFor(async () => {
      const events = await eventsOf(runId);
      return events.some((e) => e.type === 'RUN_SUCCESS' || e.type === 'RUN_FAILURE');
    });
    const events = await eventsOf(runId);
    expect(events.at(-1)?.type).toBe('RUN_SUCCESS');
    expect(
      events
        .filter((e) => e.type === 'STEP_SUCCESS')
        .map((e) => (e.data?.executedBy as { worker: string }).worker)
        .every((w) => w.startsWith('host-')),
    ).toBe(true);
  });

  it('lakeloop dev --executor queue without LAKELOOP_REDIS_URL says to set it', async () => {
    const { LAKELOOP_REDIS_URL: _unset, ...withoutRedis } = env;
    const result = await lakeloop(
      ['dev', '--defs', fixture, '--executor', 'queue', '--port', '0'],
      withoutRedis as Record<string, string>,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/set LAKELOOP_REDIS_URL=redis:\/\/host:6379/);
  });
});
