import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  awaitRunHandle,
  cancelRun,
  createRun,
  defineAsset,
  Definitions,
  executeRun,
  Instance,
  launchRun,
  manualClock,
  openRunHandle,
  submitRun,
} from '../../src/index.js';
import { runHandle } from '../../src/core/execution/run-handle.js';
import type { Sleep, StoredEvent } from '../../src/index.js';
import { tempDir } from './core-test-helpers.js';

/** A promise the test resolves by hand. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A sleep that only yields to the event loop (no timer), counting its calls. */
function yieldingSleep(): Sleep & { calls: number } {
  const sleep = Object.assign(
    (_ms: number, signal?: AbortSignal): Promise<void> => {
      sleep.calls++;
      signal?.throwIfAborted();
      return new Promise((resolve) => setImmediate(resolve));
    },
    { calls: 0 },
  );
  return sleep;
}

/** `source` -> `gated` (waits for the gate, or rejects when the run is canceled) -> `after`. */
function gatedDefs(release: Promise<void>): Definitions {
  const source = defineAsset({ key: 'source', compute: () => [1, 2, 3] });
  const gated = defineAsset({
    key: 'gated',
    deps: [source],
    compute: async (ctx, { source: rows }) => {
      ctx.log.info('waiting for the gate');
      await new Promise<void>((resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          reject(new Error('aborted by cancel'));
        });
        void release.then(resolve);
      });
      return rows.length;
    },
  });
  const after = defineAsset({ key: 'after', deps: [gated], compute: (_ctx, { gated: n }) => n * 2 });
  return new Definitions({ assets: [source, gated, after] });
}

/** Collects a handle's events; `seen(type, step)` resolves once such an event was yielded. */
function collect(events: AsyncIterable<StoredEvent>): {
  done: Promise<StoredEvent[]>;
  seen: (type: string, stepKey?: string) => Promise<void>;
} {
  const got: StoredEvent[] = [];
  const waiters: { type: string; stepKey: string | undefined; resolve: () => void }[] = [];
  const done = (async () => {
    for await (const event of events) {
      got.push(event);
      for (const w of waiters.filter((x) => x.type === event.type && x.stepKey === event.stepKey))
        w.resolve();
    }
    return got;
  })();
  const seen = (type: string, stepKey?: string): Promise<void> =>
    got.some((e) => e.type === type && e.stepKey === stepKey)
      ? Promise.resolve()
      : new Promise((resolve) => waiters.push({ type, stepKey, resolve }));
  return { done, seen };
}

describe('run handles', () => {
  let instance: Instance;
  beforeEach(async () => {
    instance = await Instance.ephemeral({ storage: 'sqlite' });
  });
  afterEach(async () => {
    await instance.close();
  });

  it('launchRun: the run id at once, events live from the first to RUN_SUCCESS, then the result; no polling', async () => {
    const { opened, open } = gate();
    const defs = gatedDefs(opened);
    const sleep = yieldingSleep();
    const local = await Instance.ephemeral({ storage: 'sqlite', sleep });
    try {
      const handle = await launchRun(defs, { instance: local, select: '*' });
      expect((await local.runs.getRun(handle.runId))?.assetKeys).toEqual(['source', 'gated', 'after']);
      const events = collect(handle.events());
      // The gated step is still running: the handle delivered its LOG line while the run executes.
      await events.seen('LOG', 'gated');
      expect((await local.runs.getRun(handle.runId))?.status).toBe('STARTED');
      open();
      const all = await events.done;
      expect(all[0]?.type).toBe('RUN_STARTING');
      expect(all.at(-1)?.type).toBe('RUN_SUCCESS');
      expect(all.filter((e) => e.type === 'STEP_SUCCESS').map((e) => e.stepKey)).toEqual([
        'source',
        'gated',
        'after',
      ]);
      expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
      const run = await handle.result();
      expect(run.status).toBe('SUCCESS');
      expect(sleep.calls).toBe(0); // woken by the in-process notification only
      // A second iteration starts from the first event again and ends at the same last one.
      const again: StoredEvent[] = [];
      for await (const event of handle.events()) again.push(event);
      expect(again.map((e) => e.id)).toEqual(all.map((e) => e.id));
    } finally {
      await local.close();
    }
  });

  it('cancel() of a local run: CANCELED, the downstream skipped, the events end with RUN_CANCELED', async () => {
    const defs = gatedDefs(new Promise(() => undefined)); // never released
    const handle = await launchRun(defs, { instance, select: '*' });
    const events = collect(handle.events());
    await events.seen('STEP_START', 'gated');
    expect((await handle.cancel()).status).toBe('CANCELING');
    const run = await handle.result();
    expect(run.status).toBe('CANCELED');
    const all = await events.done;
    expect(all.at(-1)?.type).toBe('RUN_CANCELED');
    expect(all.find((e) => e.type === 'STEP_SKIPPED')?.stepKey).toBe('after');
    // Cancelling a finished run is not an error: the record comes back as it is.
    expect((await handle.cancel()).status).toBe('CANCELED');
  });

  it('launchRun rejects an invalid selection before creating anything', async () => {
    const defs = gatedDefs(Promise.resolve());
    await expect(launchRun(defs, { instance, select: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await instance.runs.listRuns()).toEqual([]);
  });

  it('result() rejects when the run cannot be executed, and events() still ends', async () => {
    const defs = gatedDefs(Promise.resolve());
    const run = await createRun(defs, { instance, select: 'source' });
    await cancelRun(instance, run.runId);
    const execution = executeRun({ defs, runId: run.runId, instance });
    const handle = runHandle(instance, run.runId, { execution });
    await expect(handle.result()).rejects.toMatchObject({ code: 'CONFLICT' });
    const types: string[] = [];
    for await (const event of handle.events()) types.push(event.type);
    expect(types).toEqual(['RUN_CANCELED']);
  });

  it('openRunHandle on a finished run: all its events, its result; NOT_FOUND for an unknown run', async () => {
    const defs = gatedDefs(Promise.resolve());
    const run = await createRun(defs, { instance, select: 'source' });
    await executeRun({ defs, runId: run.runId, instance });
    const handle = await openRunHandle(instance, run.runId);
    const types: string[] = [];
    for await (const event of handle.events()) types.push(event.type);
    expect(types[0]).toBe('RUN_STARTING');
    expect(types.at(-1)).toBe('RUN_SUCCESS');
    expect((await handle.result()).status).toBe('SUCCESS');
    await expect(openRunHandle(instance, 'no-such-run')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('run handles on a run another instance executes', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    dir.remove();
  });

  it('submitRun: events read live from the shared storage until RUN_SUCCESS, and the result', async () => {
    const sleep = yieldingSleep();
    await using watching = await Instance.open({ home: dir.path, sleep });
    await using executing = await Instance.open(dir.path); // its own SQLite connection, as another process has
    const { opened, open } = gate();
    const defs = gatedDefs(opened);
    const handle = await submitRun(defs, { instance: watching, select: '*', pollMs: 5 });
    expect((await watching.runs.getRun(handle.runId))?.status).toBe('QUEUED');
    const events = collect(handle.events());
    const result = handle.result();
    const execution = executeRun({ defs, runId: handle.runId, instance: executing });
    await events.seen('LOG', 'gated'); // read from storage while the other instance still executes
    expect(executing.activeRuns.has(handle.runId)).toBe(true);
    open();
    const all = await events.done;
    expect(all[0]?.type).toBe('RUN_ENQUEUED');
    expect(all.at(-1)?.type).toBe('RUN_SUCCESS');
    expect(all.filter((e) => e.type === 'ASSET_MATERIALIZATION').map((e) => e.stepKey)).toEqual([
      'source',
      'gated',
      'after',
    ]);
    expect((await result).status).toBe('SUCCESS');
    expect((await execution).status).toBe('SUCCESS');
    expect(sleep.calls).toBeGreaterThan(0); // it had to poll: the writes were another instance's
    expect(sleep.calls).toBeLessThan(10_000);
  });

  it('cancel() through the handle stops the run in the executing instance', async () => {
    const sleep = yieldingSleep();
    await using watching = await Instance.open({ home: dir.path, sleep });
    await using executing = await Instance.open(dir.path);
    const defs = gatedDefs(new Promise(() => undefined));
    const created = await createRun(defs, { instance: watching, select: '*' });
    const handle = await openRunHandle(watching, created.runId, { pollMs: 5 });
    const events = collect(handle.events());
    const execution = executeRun({ defs, runId: created.runId, instance: executing, cancelPollMs: 10 });
    await events.seen('STEP_START', 'gated');
    expect((await handle.cancel()).status).toBe('CANCELING');
    expect((await handle.result()).status).toBe('CANCELED');
    expect((await events.done).at(-1)?.type).toBe('RUN_CANCELED');
    expect((await execution).status).toBe('CANCELED');
  });

  it('events() ends when a process stored the final status but died before its last event', async () => {
    const sleep = yieldingSleep();
    await using watching = await Instance.open({ home: dir.path, sleep });
    const defs = gatedDefs(Promise.resolve());
    const run = await createRun(defs, { instance: watching, select: 'source', status: 'QUEUED' });
    await watching.runs.updateRun(run.runId, { status: 'FAILURE', endedAt: 1 });
    const handle = await openRunHandle(watching, run.runId, { pollMs: 5 });
    const types: string[] = [];
    for await (const event of handle.events()) types.push(event.type);
    expect(types).toEqual(['RUN_ENQUEUED']);
    expect(sleep.calls).toBe(1); // one more look for a last event, then the end
    expect((await handle.result()).status).toBe('FAILURE');
  });

  it('awaitRunHandle: the handle of the run a sensor creates later; TIMEOUT when none appears', async () => {
    const sleep = yieldingSleep();
    await using watching = await Instance.open({ home: dir.path, sleep });
    await using launching = await Instance.open(dir.path);
    const defs = gatedDefs(Promise.resolve());
    const waiting = awaitRunHandle(watching, { tags: { 'lakeloop/data_commit': 'c1' } }, { pollMs: 5 });
    const created = await createRun(defs, {
      instance: launching,
      select: 'source',
      status: 'QUEUED',
      tags: { 'lakeloop/data_commit': 'c1' },
    });
    expect((await waiting).runId).toBe(created.runId);

    const clock = manualClock(0);
    const advancing: Sleep = (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    };
    await using timed = await Instance.open({ home: dir.path, clock, sleep: advancing });
    await expect(
      awaitRunHandle(timed, { tags: { 'lakeloop/data_commit': 'c2' } }, { pollMs: 100, timeoutMs: 1000 }),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(clock.now()).toBe(1100);
  });
});
