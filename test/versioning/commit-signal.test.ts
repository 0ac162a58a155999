/**
 * Push across processes (<home>/data/commit-signal): commits and merges made by a child process
 * reach the parent's onCommit listeners and a daemon's data-commit sensor without any poll; own
 * commits are not reported twice; concurrent writers lose no head; a writer killed between its
 * SQLite commit and the signal leaves a consistent repository whose commit the poll still finds;
 * a listener's watcher never keeps a process alive.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { SensorLoop } from '../../src/core/daemon/sensor-loop.js';
import { Instance } from '../../src/core/instance/instance.js';
import { dataCommitSensor } from '../../src/versioning/data-commit-sensor.js';
import type { CommitEvent } from '../../src/versioning/data-repository.js';
import { CommitSignal } from '../../src/versioning/local/commit-signal.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { automationDefs } from '../automation/fixtures/automation-defs.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'commit-signal-child.ts');
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'lakeloop.js');
const homes: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** A home with repository `push` (and the given extra branches), and the parent's client on it. */
async function setUp(branches: string[] = []): Promise<{ home: string; data: EmbeddedDataRepository }> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-push-'));
  homes.push(home);
  const data = new EmbeddedDataRepository({ home });
  cleanups.push(() => data.close());
  await data.createRepository({ name: 'push' });
  for (const name of branches) await data.createBranch({ repository: 'push', name, source: 'main' });
  return { home, data };
}

/** Runs the child script to its end; its stdout lines and how it exited. */
async function runChild(
  args: string[],
): Promise<{ lines: string[]; code: number | null; signal: string | null }> {
  const child = spawn(process.execPath, ['--conditions=lakeloop-source', '--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) lines.push(line);
  const { code, signal } = await exited;
  if (code !== 0 && signal === null) throw new Error(`child ${args.join(' ')} failed (${code}): ${stderr}`);
  return { lines, code, signal };
}

/** The ids the child printed after `word`. */
function idsAfter(lines: string[], word: string): string[] {
  return lines.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length + 1));
}

/** Records the events of `data` and resolves `until(predicate)` once one satisfies it (or already has). */
function recordEvents(data: EmbeddedDataRepository) {
  const events: CommitEvent[] = [];
  const waiters: { predicate: (events: CommitEvent[]) => boolean; resolve: () => void }[] = [];
  const unsubscribe = data.onCommit((event) => {
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(events)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  const until = (predicate: (events: CommitEvent[]) => boolean): Promise<void> =>
    predicate(events)
      ? Promise.resolve()
      : new Promise((resolve) => {
          waiters.push({ predicate, resolve });
        });
  return { events, until, unsubscribe };
}

describe('commit push across processes', () => {
  it("delivers a child process's commits and merges to the parent's onCommit listener", async () => {
    const { home, data } = await setUp();
    const { events, until } = recordEvents(data);
    const { lines } = await runChild([home, 'commit', 'main', '1']);
    const [id] = idsAfter(lines, 'commit');
    await until((seen) => seen.some((e) => e.commitId === id));
    expect(events).toEqual([{ repository: 'push', branch: 'main', commitId: id, kind: 'commit' }]);

    const merged = await runChild([home, 'merge']);
    const [merge] = idsAfter(merged.lines, 'merge');
    await until((seen) => seen.some((e) => e.commitId === merge));
    expect(events.at(-1)).toEqual({ repository: 'push', branch: 'main', commitId: merge, kind: 'merge' });
  });

  it('delivers `lakeloop data commit` and `data merge` from the CLI', { timeout: 180_000 }, async () => {
    const { home, data } = await setUp(['topic']);
    const { events, until } = recordEvents(data);
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [BIN, '--home', home, 'data', ...args, '--json'], {
        env: { ...process.env, LAKEFS_ENDPOINT: '', LAKELOOP_DATA_BACKEND: 'embedded' },
      });
    writeFileSync(join(home, 'x.csv'), 'x\n1\n');
    await cli('put', join(home, 'x.csv'), 'lakefs://push/topic/x.csv');
    await cli('commit', 'push', 'topic', '-m', 'from the CLI');
    const topic = (await data.getBranch({ repository: 'push', branch: 'topic' })).commitId;
    await until((seen) => seen.some((e) => e.commitId === topic));
    await cli('merge', 'push', 'topic', 'main');
    const merged = (await data.getBranch({ repository: 'push', branch: 'main' })).commitId;
    await until((seen) => seen.some((e) => e.commitId === merged));
    expect(events).toEqual([
      { repository: 'push', branch: 'topic', commitId: topic, kind: 'commit' },
      { repository: 'push', branch: 'main', commitId: merged, kind: 'merge' }, // a merge commit, two parents
    ]);
  });

  it('reports a commit of another instance of the same process, and never its own twice', async () => {
    const { home, data } = await setUp(['other']);
    const { events, until } = recordEvents(data);
    await data.putObject({ repository: 'push', branch: 'main', path: 'own.txt', content: 'own' });
    const own = (await data.commit({ repository: 'push', branch: 'main', message: 'own' })).id;
    expect(events).toEqual([{ repository: 'push', branch: 'main', commitId: own, kind: 'commit' }]);

    const second = new EmbeddedDataRepository({ home });
    cleanups.push(() => second.close());
    await second.putObject({ repository: 'push', branch: 'other', path: 'x.txt', content: 'x' });
    const theirs = (await second.commit({ repository: 'push', branch: 'other', message: 'theirs' })).id;
    await until((seen) => seen.some((e) => e.commitId === theirs));
    // The ring of the own commit came first and was not reported back.
    expect(events.map((e) => e.commitId)).toEqual([own, theirs]);

    const initial = (await data.log({ repository: 'push', ref: 'other' })).results.at(-1)?.id ?? '';
    await second.resetBranch({ repository: 'push', branch: 'other', ref: initial }); // a reset rings too
    await until((seen) => seen.at(-1)?.commitId === initial);
    expect(events.at(-1)).toEqual({ repository: 'push', branch: 'other', commitId: initial, kind: 'commit' });
  });

  it("starts a daemon's run for a child process's commit without the sensor's poll", async () => {
    const { home, data } = await setUp();
    const clock = manualClock(Date.parse('2026-03-01T00:00:00Z')); // never advanced: no interval elapses
    const instance = await Instance.ephemeral({ clock, storage: 'sqlite' });
    cleanups.push(() => instance.close());
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'push',
      branch: 'main',
      job: 'process',
      minimumIntervalSeconds: 3600,
      dataRepository: data,
    });
    const { defs, recorder } = automationDefs({ sensors: [sensor] });
    const started = new Promise<string>((resolve) => {
      recorder.onStart = resolve;
    });
    const daemon = new Daemon({ defs, instance, tickIntervalMs: 3_600_000 });
    await daemon.start();
    cleanups.push(() => daemon.stop());
    await daemon.sensors.idle(); // the first evaluation: only the initial commit
    expect(await instance.runs.listRuns()).toEqual([]);

    const [id] = idsAfter((await runChild([home, 'commit', 'main', '1'])).lines, 'commit');
    const runId = await started;
    const run = await instance.runs.getRun(runId);
    expect(run?.tags['lakeloop/data_commit']).toBe(id);
  });

  it('loses no head when two processes commit at once', async () => {
    const { home, data } = await setUp(['a', 'b']);
    const { events, until } = recordEvents(data);
    const [a, b] = await Promise.all([
      runChild([home, 'commit', 'a', '25']),
      runChild([home, 'commit', 'b', '25']),
    ]);
    const written = { a: idsAfter(a.lines, 'commit'), b: idsAfter(b.lines, 'commit') };
    expect(written.a).toHaveLength(25);
    expect(written.b).toHaveLength(25);
    const heads = {
      a: (await data.getBranch({ repository: 'push', branch: 'a' })).commitId,
      b: (await data.getBranch({ repository: 'push', branch: 'b' })).commitId,
    };
    expect([heads.a, heads.b]).toEqual([written.a.at(-1), written.b.at(-1)]);
    const lastOf = (seen: CommitEvent[], branch: string) => seen.filter((e) => e.branch === branch).at(-1);
    await until((seen) => lastOf(seen, 'a')?.commitId === heads.a && lastOf(seen, 'b')?.commitId === heads.b);
    // Moves between two re-reads coalesce; what is reported is each branch's commits, in order.
    for (const branch of ['a', 'b'] as const) {
      const reported = events.filter((e) => e.branch === branch).map((e) => e.commitId);
      const positions = reported.map((id) => written[branch].indexOf(id));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    }
  });

  it('a writer killed between its commit and the signal leaves the commit to the poll', async () => {
    const { home, data } = await setUp(['later']);
    const before = (await data.getBranch({ repository: 'push', branch: 'main' })).commitId;
    const clock = manualClock(Date.parse('2026-03-01T00:00:00Z'));
    const instance = await Instance.ephemeral({ clock, storage: 'sqlite' });
    cleanups.push(() => instance.close());
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'push',
      branch: 'main',
      job: 'process',
      dataRepository: data,
    });
    const loop = new SensorLoop({ defs: automationDefs({ sensors: [sensor] }).defs, instance });
    await loop.tick(clock.now()); // cursor: the initial commit
    const { events, until } = recordEvents(data);
    writeFileSync(join(home, 'data', 'commit-signal'), 'parent\n');

    const killed = await runChild([home, 'die-after-commit', 'main']);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.lines).toEqual([]);
    expect(readFileSync(join(home, 'data', 'commit-signal'), 'utf8')).toBe('parent\n'); // never rung

    // Consistent: the head is the complete commit, its object readable, nothing left staged.
    const head = (await data.getBranch({ repository: 'push', branch: 'main' })).commitId;
    expect(head).not.toBe(before);
    const commit = await data.getCommit({ repository: 'push', ref: head });
    expect(commit).toMatchObject({ message: 'killed-writer', parents: [before] });
    const object = await data.statObject({ repository: 'push', ref: 'main', path: 'killed-writer.txt' });
    expect(object.sizeBytes).toBe('killed-writer'.length);
    expect(await data.diffUncommitted({ repository: 'push', branch: 'main' })).toMatchObject({ results: [] });

    // The poll finds it at its next interval.
    clock.advance(1_000);
    const [tick] = await loop.tick(clock.now());
    expect(tick?.runKeys).toEqual([head]);

    // The watcher is alive: the next ringing commit is reported, the killed writer's never was.
    const [later] = idsAfter((await runChild([home, 'commit', 'later', '1'])).lines, 'commit');
    await until((seen) => seen.some((e) => e.commitId === later));
    expect(events.map((e) => `${e.branch} ${e.commitId}`).sort()).toEqual([
      `later ${later}`,
      `main ${head}`, // found by the re-read the later ring caused
    ]);
  });

  it("a listener's watcher does not keep a process alive", async () => {
    const { home } = await setUp();
    const listener = await runChild([home, 'listen']);
    expect(listener).toMatchObject({ lines: ['listening'], code: 0 });
  });
});

describe('CommitSignal', () => {
  it('watches from the first watch() to the last release, and not after close()', async () => {
    const { home } = await setUp();
    const db = new Database(join(home, 'data', 'repository.db'));
    cleanups.push(() => {
      db.close();
      return Promise.resolve();
    });
    const signal = new CommitSignal({
      path: join(home, 'data', 'commit-signal'),
      db,
      onForeignCommit: () => undefined,
    });
    expect(signal.watching).toBe(false);
    const first = signal.watch();
    const second = signal.watch();
    expect(signal.watching).toBe(true);
    first();
    first(); // idempotent
    expect(signal.watching).toBe(true);
    second();
    expect(signal.watching).toBe(false);
    const third = signal.watch();
    expect(signal.watching).toBe(true);
    signal.close();
    expect(signal.watching).toBe(false);
    third();
    expect(signal.watch()).toBeTypeOf('function');
    expect(signal.watching).toBe(false);
    signal.notify({ repository: 'push', branch: 'main', commitId: 'c0ffee' }); // a no-op once closed
    expect(readFileSync(signal.path, 'utf8')).toBe('');
  });
});
