/**
 * What only the embedded backend promises: content addressing, content-hash commit ids, push
 * notifications, the optimistic head check, atomicity under SIGKILL (child processes), gc, and
 * correctness of layered (delta) trees over many commits.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import type { CommitEvent } from '../../src/versioning/data-repository.js';
import { expectCode, readText } from '../contracts/data-repository.contract.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'data-child.ts');
const homes: string[] = [];
const open: EmbeddedDataRepository[] = [];

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  homes.push(home);
  return home;
}

function repository(
  home: string,
  options: Partial<ConstructorParameters<typeof EmbeddedDataRepository>[0]> = {},
) {
  const data = new EmbeddedDataRepository({ home, ...options });
  open.push(data);
  return data;
}

afterEach(async () => {
  for (const data of open.splice(0)) await data.close();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function blobFiles(home: string): string[] {
  const root = join(home, 'data', 'blobs');
  return readdirSync(root)
    .filter((dir) => dir !== 'tmp')
    .flatMap((dir) => readdirSync(join(root, dir)).map((file) => dir + file));
}

/** Every stored blob: files, and small objects kept inline in the database. */
function storedBlobs(home: string): string[] {
  const db = new Database(join(home, 'data', 'repository.db'), { readonly: true });
  try {
    const inline = db.prepare<[], { checksum: string }>('SELECT checksum FROM inline_blobs').all();
    return [...blobFiles(home), ...inline.map((row) => row.checksum)];
  } finally {
    db.close();
  }
}

/** Starts the child script; resolves lines as they come, and the exit. */
function startChild(args: string[]) {
  const child = spawn(process.execPath, ['--conditions=lakeloop-source', '--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const waitFor = (wanted: string) =>
    new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        if (line === wanted) resolve();
      });
      void exited.then(() => {
        reject(new Error(`child exited before "${wanted}": ${stderr}`));
      });
    });
  const output = new Promise<string[]>((resolve) => {
    const all: string[] = [];
    lines.on('line', (line) => all.push(line));
    lines.on('close', () => {
      resolve(all);
    });
  });
  return { child, waitFor, exited, output, stderr: () => stderr };
}

describe('EmbeddedDataRepository', () => {
  it('stores identical bytes once (content addressing)', async () => {
    const home = newHome();
    const data = repository(home);
    await data.createRepository({ name: 'dedup' });
    await data.putObject({ repository: 'dedup', branch: 'main', path: 'a.txt', content: 'same bytes' });
    await data.putObject({
      repository: 'dedup',
      branch: 'main',
      path: 'b/copy.txt',
      content: Buffer.from('same bytes'),
    });
    await data.putObject({ repository: 'dedup', branch: 'main', path: 'c.txt', content: 'other bytes' });
    expect(storedBlobs(home)).toHaveLength(2);
    // Large objects (files) too, whether put from memory or streamed.
    const big = Buffer.alloc(200 * 1024, 3);
    await data.putObject({ repository: 'dedup', branch: 'main', path: 'big1.bin', content: big });
    await data.putObject({
      repository: 'dedup',
      branch: 'main',
      path: 'big2.bin',
      content: Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
    });
    expect(blobFiles(home)).toHaveLength(1);
    expect(storedBlobs(home)).toHaveLength(3);
    const a = await data.statObject({ repository: 'dedup', ref: 'main', path: 'a.txt' });
    expect(a.checksum).toBe(createHash('sha256').update('same bytes').digest('hex'));
    expect((await data.statObject({ repository: 'dedup', ref: 'main', path: 'b/copy.txt' })).checksum).toBe(
      a.checksum,
    );
  });

  it('derives commit ids from content: same tree, parents, message, metadata, committer and date give the same id', async () => {
    const build = async () => {
      const data = repository(newHome(), {
        clock: manualClock(Date.parse('2001-07-01T00:00:00Z')),
        committer: 'ci',
      });
      await data.createRepository({ name: 'hashes' });
      await data.putObject({ repository: 'hashes', branch: 'main', path: 'x.csv', content: 'x\n1\n' });
      return data.commit({
        repository: 'hashes',
        branch: 'main',
        message: 'm',
        metadata: { b: '2', a: '1' },
      });
    };
    const first = await build();
    const second = await build();
    expect(first.id).toBe(second.id);
    expect(first.id).toMatch(/^[0-9a-f]{64}$/);
    const data = repository(newHome(), {
      clock: manualClock(Date.parse('2001-07-01T00:00:00Z')),
      committer: 'ci',
    });
    await data.createRepository({ name: 'hashes' });
    await data.putObject({ repository: 'hashes', branch: 'main', path: 'x.csv', content: 'x\n2\n' });
    const different = await data.commit({
      repository: 'hashes',
      branch: 'main',
      message: 'm',
      metadata: { a: '1', b: '2' },
    });
    expect(different.id).not.toBe(first.id);
  });

  it('notifies commit and merge listeners in-process, until unsubscribed', async () => {
    const data = repository(newHome());
    await data.createRepository({ name: 'events' });
    const events: CommitEvent[] = [];
    const unsubscribe = data.onCommit((event) => events.push(event));
    await data.putObject({ repository: 'events', branch: 'main', path: 'a', content: 'a' });
    const commit = await data.commit({ repository: 'events', branch: 'main', message: 'a' });
    await data.createBranch({ repository: 'events', name: 'dev', source: 'main' });
    await data.putObject({ repository: 'events', branch: 'dev', path: 'b', content: 'b' });
    const devCommit = await data.commit({ repository: 'events', branch: 'dev', message: 'b' });
    const merged = await data.merge({ repository: 'events', source: 'dev', destination: 'main' });
    expect(merged.kind).toBe('merge');
    unsubscribe();
    await data.commit({ repository: 'events', branch: 'main', message: 'after', allowEmpty: true });
    expect(events).toEqual([
      { repository: 'events', branch: 'main', commitId: commit.id, kind: 'commit' },
      { repository: 'events', branch: 'dev', commitId: devCommit.id, kind: 'commit' },
      { repository: 'events', branch: 'main', commitId: merged.reference, kind: 'merge' },
    ]);
  });

  it('refuses a commit whose expected head is stale (CONFLICT), keeping the winner', async () => {
    const home = newHome();
    const other = repository(home);
    const data = repository(home);
    await data.createRepository({ name: 'race' });
    await data.putObject({ repository: 'race', branch: 'main', path: 'mine.txt', content: 'mine' });
    const before = await data.getBranch({ repository: 'race', branch: 'main' });
    const winner = await other.commit({
      repository: 'race',
      branch: 'main',
      message: 'winner',
      expectedHead: before.commitId,
    });
    await expectCode(
      data.commit({ repository: 'race', branch: 'main', message: 'loser', expectedHead: before.commitId }),
      'CONFLICT',
    );
    const log = await data.log({ repository: 'race', ref: 'main' });
    expect(log.results.map((c) => c.message)).toEqual(['winner', 'Repository created']);
    expect(log.results[0]?.id).toBe(winner.id);
    expect(
      await readText(await data.getObject({ repository: 'race', ref: winner.id, path: 'mine.txt' })),
    ).toBe('mine');
  });

  it('detects a head that moves between the read and the write transaction', async () => {
    const home = newHome();
    const other = repository(home);
    let armed = true;
    const data = repository(home, {
      beforeCommitTransaction: () => {
        if (!armed) return;
        armed = false;
        // Synchronously move the head the way a concurrent process would.
        const db = new Database(join(home, 'data', 'repository.db'));
        db.prepare(
          "UPDATE branches SET head = (SELECT head FROM branches WHERE repo = 'race' AND name = 'side') WHERE repo = 'race' AND name = 'main'",
        ).run();
        db.close();
      },
    });
    await data.createRepository({ name: 'race' });
    await other.createBranch({ repository: 'race', name: 'side', source: 'main' });
    await other.putObject({ repository: 'race', branch: 'side', path: 'side.txt', content: 'side' });
    const side = await other.commit({ repository: 'race', branch: 'side', message: 'side' });
    await data.putObject({ repository: 'race', branch: 'main', path: 'mine.txt', content: 'mine' });
    await expectCode(data.commit({ repository: 'race', branch: 'main', message: 'loser' }), 'CONFLICT');
    expect((await data.getBranch({ repository: 'race', branch: 'main' })).commitId).toBe(side.id);
    // The staged change survived the refused commit and can be committed now.
    const retry = await data.commit({ repository: 'race', branch: 'main', message: 'retry' });
    expect(retry.parents).toEqual([side.id]);
    expect(
      await readText(await data.getObject({ repository: 'race', ref: retry.id, path: 'mine.txt' })),
    ).toBe('mine');
  });

  it('never loses a commit when two processes commit to one branch at once', async () => {
    const home = newHome();
    const data = repository(home);
    await data.createRepository({ name: 'race' });
    const a = startChild([home, 'commit-loop', 'a', '25']);
    const b = startChild([home, 'commit-loop', 'b', '25']);
    const [exitA, exitB] = await Promise.all([a.exited, b.exited]);
    expect(exitA.code, a.stderr()).toBe(0);
    expect(exitB.code, b.stderr()).toBe(0);
    const results = [...(await a.output), ...(await b.output)].map(
      (line) => JSON.parse(line) as { committed: string[]; paths: string[]; conflicts: number },
    );
    const log = [];
    for (let after: string | undefined; ;) {
      const page = await data.log({
        repository: 'race',
        ref: 'main',
        amount: 1000,
        ...(after === undefined ? {} : { after }),
      });
      log.push(...page.results);
      if (!page.hasMore) break;
      after = page.nextOffset;
    }
    const logged = new Set(log.map((c) => c.id));
    const committed = results.flatMap((r) => r.committed);
    for (const id of committed) expect(logged.has(id)).toBe(true);
    expect(log).toHaveLength(committed.length + 1);
    const listing = await data.listObjects({ repository: 'race', ref: 'main', amount: 1000 });
    expect(listing.results.map((e) => e.path).sort()).toEqual(results.flatMap((r) => r.paths).sort());
  });

  it('leaves the previous state when killed (SIGKILL) in the middle of a commit', async () => {
    const home = newHome();
    const data = repository(home);
    await data.createRepository({ name: 'crash' });
    const before = await data.getBranch({ repository: 'crash', branch: 'main' });
    const count = 3000;
    const child = startChild([home, 'big-commit', String(count)]);
    await child.waitFor('tx');
    child.child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    const db = new Database(join(home, 'data', 'repository.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const head = await data.getBranch({ repository: 'crash', branch: 'main' });
    const listed = await data.listObjects({ repository: 'crash', ref: head.commitId, amount: 1000 });
    if (head.commitId === before.commitId) {
      // The kill landed before the commit transaction committed: nothing is half-visible.
      expect(listed.results).toEqual([]);
      const staged = await data.diffUncommitted({ repository: 'crash', branch: 'main', amount: 1000 });
      expect(staged.results).toHaveLength(1000);
      expect(staged.hasMore).toBe(true);
    } else {
      // It landed after: the commit is complete.
      const commit = await data.getCommit({ repository: 'crash', ref: head.commitId });
      expect(commit.message).toBe('big commit');
      expect(listed.results).toHaveLength(1000);
    }
    // Either way the repository keeps working.
    await data.commit({ repository: 'crash', branch: 'main', message: 'after the crash', allowEmpty: true });
  });

  it('leaves the branch at the reverted commit or at a complete revert when killed (SIGKILL) mid-revert', async () => {
    const home = newHome();
    const data = repository(home);
    await data.createRepository({ name: 'crash' });
    const count = 3000;
    const child = startChild([home, 'big-revert', String(count)]);
    let added = '';
    createInterface({ input: child.child.stdout }).on('line', (line) => {
      if (line.startsWith('committed ')) added = line.slice('committed '.length);
    });
    await child.waitFor('tx');
    child.child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    const db = new Database(join(home, 'data', 'repository.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    expect(added).toMatch(/^[0-9a-f]{64}$/);
    const head = await data.getBranch({ repository: 'crash', branch: 'main' });
    const listed = await data.listObjects({ repository: 'crash', ref: head.commitId, amount: 1000 });
    expect((await data.diffUncommitted({ repository: 'crash', branch: 'main' })).results).toEqual([]);
    if (head.commitId === added) {
      // Killed before the revert transaction committed: the reverted commit's content is all there.
      expect(listed.results).toHaveLength(1000);
      expect(listed.hasMore).toBe(true);
    } else {
      // After: the revert commit is complete, every object gone.
      const commit = await data.getCommit({ repository: 'crash', ref: head.commitId });
      expect(commit).toMatchObject({ message: `Revert ${added}`, parents: [added] });
      expect(listed.results).toEqual([]);
    }
    // Either way the branch keeps working, and a revert now ends with the objects gone.
    if (head.commitId === added) await data.revert({ repository: 'crash', branch: 'main', ref: added });
    expect((await data.listObjects({ repository: 'crash', ref: 'main' })).results).toEqual([]);
  });

  it('leaves nothing visible when killed (SIGKILL) in the middle of a put, and gc removes the leftover', async () => {
    const home = newHome();
    const data = repository(home, { clock: { now: () => Date.now() } });
    await data.createRepository({ name: 'crash' });
    const child = startChild([home, 'endless-put']);
    await child.waitFor('streaming');
    child.child.kill('SIGKILL');
    await child.exited;
    await expectCode(data.statObject({ repository: 'crash', ref: 'main', path: 'endless.bin' }), 'NOT_FOUND');
    expect((await data.diffUncommitted({ repository: 'crash', branch: 'main' })).results).toEqual([]);
    expect(blobFiles(home)).toEqual([]);
    expect(readdirSync(join(home, 'data', 'blobs', 'tmp')).length).toBe(1);
    const gc = await data.gc({ gracePeriodMs: 0 });
    expect(gc.removedTempFiles).toBe(1);
    expect(readdirSync(join(home, 'data', 'blobs', 'tmp'))).toEqual([]);
  });

  it('gc removes blobs no commit or staged change references, and keeps the others', async () => {
    const home = newHome();
    const data = repository(home);
    await data.createRepository({ name: 'gc-repo' });
    await data.putObject({ repository: 'gc-repo', branch: 'main', path: 'kept.txt', content: 'kept' });
    await data.commit({ repository: 'gc-repo', branch: 'main', message: 'kept' });
    await data.putObject({ repository: 'gc-repo', branch: 'main', path: 'staged.txt', content: 'staged' });
    await data.createBranch({ repository: 'gc-repo', name: 'tmp', source: 'main' });
    // A large object (a file): a put in progress elsewhere could be about to reference a young file.
    await data.putObject({
      repository: 'gc-repo',
      branch: 'tmp',
      path: 'dropped.bin',
      content: Buffer.alloc(100_000, 1),
    });
    await data.resetBranch({ repository: 'gc-repo', branch: 'tmp' });
    expect(storedBlobs(home)).toHaveLength(3);
    const young = await data.gc({ gracePeriodMs: 3_600_000 });
    expect(young.removedBlobs).toBe(0);
    const result = await data.gc({ gracePeriodMs: 0 });
    expect(result).toMatchObject({ removedBlobs: 1, keptBlobs: 2 });
    expect(
      await readText(await data.getObject({ repository: 'gc-repo', ref: 'main', path: 'kept.txt' })),
    ).toBe('kept');
    expect(
      await readText(await data.getObject({ repository: 'gc-repo', ref: 'main', path: 'staged.txt' })),
    ).toBe('staged');
    await data.deleteRepository('gc-repo');
    const afterDelete = await data.gc({ gracePeriodMs: 0 });
    expect(afterDelete.removedBlobs).toBe(2);
    expect(storedBlobs(home)).toEqual([]);
  });

  it('keeps every commit readable across many commits (delta trees folded into full trees)', async () => {
    const home = newHome();
    const data = repository(home);
    await data.createRepository({ name: 'many' });
    const expected = new Map<string, string>();
    const snapshots: { id: string; files: Map<string, string> }[] = [];
    for (let i = 0; i < 400; i++) {
      const path = `d${i % 7}/f${i % 390}.txt`;
      if (i % 11 === 5 && expected.size > 0) {
        const victim = [...expected.keys()][i % expected.size] as string;
        await data.deleteObject({ repository: 'many', branch: 'main', path: victim });
        expected.delete(victim);
      } else {
        await data.putObject({ repository: 'many', branch: 'main', path, content: `v${i}` });
        expected.set(path, `v${i}`);
      }
      const commit = await data.commit({ repository: 'many', branch: 'main', message: `c${i}` });
      if (i % 50 === 49) snapshots.push({ id: commit.id, files: new Map(expected) });
    }
    for (const snapshot of snapshots) {
      const listed = await data.listObjects({ repository: 'many', ref: snapshot.id, amount: 1000 });
      expect(listed.results.map((e) => e.path).sort()).toEqual([...snapshot.files.keys()].sort());
      const [somePath, someValue] = [...snapshot.files.entries()][3] ?? ['', ''];
      expect(
        await readText(await data.getObject({ repository: 'many', ref: snapshot.id, path: somePath })),
      ).toBe(someValue);
    }
    // The chain of deltas was folded into full trees along the way (so both kinds were read above).
    const db = new Database(join(home, 'data', 'repository.db'), { readonly: true });
    const kinds = db
      .prepare<[], { full: number; delta: number }>(
        'SELECT count(*) FILTER (WHERE delta IS NULL AND id <> (SELECT id FROM trees ORDER BY seq LIMIT 1)) AS full, count(*) FILTER (WHERE delta IS NOT NULL) AS delta FROM trees',
      )
      .get();
    db.close();
    expect(kinds?.full).toBeGreaterThan(0);
    expect(kinds?.delta).toBeGreaterThan(100);
    const first = snapshots[0];
    const last = snapshots.at(-1);
    if (first === undefined || last === undefined) throw new Error('no snapshots');
    const diff = await data.diff({ repository: 'many', left: first.id, right: last.id, amount: 1000 });
    const changed = new Set(
      [...new Set([...first.files.keys(), ...last.files.keys()])].filter(
        (p) => first.files.get(p) !== last.files.get(p),
      ),
    );
    expect(new Set(diff.results.map((d) => d.path))).toEqual(changed);
  });

  it('resolves commit id prefixes and ~N refs, and refuses unknown ones', async () => {
    const data = repository(newHome());
    await data.createRepository({ name: 'refs' });
    const root = await data.getBranch({ repository: 'refs', branch: 'main' });
    const one = await data.commit({ repository: 'refs', branch: 'main', message: 'one', allowEmpty: true });
    await data.commit({ repository: 'refs', branch: 'main', message: 'two', allowEmpty: true });
    expect((await data.getCommit({ repository: 'refs', ref: one.id.slice(0, 10) })).id).toBe(one.id);
    expect((await data.getCommit({ repository: 'refs', ref: 'main~2' })).id).toBe(root.commitId);
    expect((await data.getCommit({ repository: 'refs', ref: 'main^^' })).id).toBe(root.commitId);
    await expectCode(data.getCommit({ repository: 'refs', ref: 'main~3' }), 'NOT_FOUND');
    await expectCode(data.getCommit({ repository: 'refs', ref: 'deadbeef00' }), 'NOT_FOUND');
    await expectCode(data.deleteBranch({ repository: 'refs', branch: 'main' }), 'PRECONDITION_FAILED');
    expect(existsSync(join(data.dataDir, 'repository.db'))).toBe(true);
  });
});
