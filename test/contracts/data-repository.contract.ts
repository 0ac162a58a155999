/**
 * The contract every {@link DataRepository} backend passes (embedded always; lakeFS when
 * `LAKEFS_ENDPOINT` and its keys are set). Tests use unique repository names, so the suite can run
 * against a shared lakeFS server, and delete what they create.
 *
 * @example
 * ```ts
 * describeDataRepositoryContract('embedded', async () => ({ data: new EmbeddedDataRepository({ home }), cleanup }));
 * ```
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isLakeloopError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import type { DataRepository } from '../../src/versioning/data-repository.js';

/** A fresh backend for one test, and how to clean up after it. */
export interface DataRepositoryFixture {
  data: DataRepository;
  cleanup?: () => Promise<void> | void;
}

/** Creates a backend for one test. */
export type DataRepositoryFactory = () => Promise<DataRepositoryFixture>;

/** Reads a stream into a string. */
export async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/** Asserts that `promise` rejects with a LakeloopError of `code`. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected a ${code} error`).toBeInstanceOf(Error);
  expect(isLakeloopError(error) ? error.code : String(error)).toBe(code);
  return error as Error;
}

/** Defines the contract tests for one backend (skipped when `options.skip`, e.g. no server configured). */
export function describeDataRepositoryContract(
  name: string,
  factory: DataRepositoryFactory,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`DataRepository contract: ${name}`, () => {
    let fixture: DataRepositoryFixture | undefined;
    const created: string[] = [];

    async function setup(): Promise<{ data: DataRepository; repo: string }> {
      fixture = await factory();
      const repo = `ct-${randomBytes(5).toString('hex')}`;
      await fixture.data.createRepository({ name: repo });
      created.push(repo);
      return { data: fixture.data, repo };
    }

    afterEach(async () => {
      if (fixture === undefined) return;
      for (const repo of created.splice(0)) {
        await fixture.data.deleteRepository(repo).catch(() => undefined);
      }
      await fixture.data.close();
      await fixture.cleanup?.();
      fixture = undefined;
    });

    it('creates, gets, lists and deletes repositories', async () => {
      const { data, repo } = await setup();
      const info = await data.getRepository(repo);
      expect(info).toMatchObject({ name: repo, defaultBranch: 'main' });
      const listed = await data.listRepositories({ prefix: repo });
      expect(listed.results.map((r) => r.name)).toEqual([repo]);
      await expectCode(data.createRepository({ name: repo }), 'ALREADY_EXISTS');
      await expectCode(data.createRepository({ name: 'Bad_Name' }), 'INVALID_ARGUMENT');
      const main = await data.getBranch({ repository: repo, branch: 'main' });
      expect(main.commitId).toMatch(/^[0-9a-f]{16,}$/);
      await data.deleteRepository(repo);
      expect((await data.listRepositories({ prefix: repo })).results).toEqual([]);
      if (data.capabilities.immediateRepositoryDeletion) {
        await expectCode(data.getRepository(repo), 'NOT_FOUND');
        await data.createRepository({ name: repo });
        expect((await data.getRepository(repo)).name).toBe(repo);
      } else {
        // lakeFS: getRepository answers from its repository cache for a few seconds.
        expect((await data.getRepository(repo)).name).toBe(repo);
      }
    });

    it('stages objects on a branch, commits them with metadata, and reads them back by ref', async () => {
      const { data, repo } = await setup();
      const stat = await data.putObject({
        repository: repo,
        branch: 'main',
        path: 'raw/a.csv',
        content: 'x,y\n1,2\n',
        contentType: 'text/csv',
        metadata: { source: 'test' },
      });
      expect(stat).toMatchObject({ path: 'raw/a.csv', sizeBytes: 8 });
      const uncommitted = await data.diffUncommitted({ repository: repo, branch: 'main' });
      expect(uncommitted.results).toEqual([expect.objectContaining({ type: 'added', path: 'raw/a.csv' })]);
      const commit = await data.commit({
        repository: repo,
        branch: 'main',
        message: 'first data',
        metadata: { period: '2001-01' },
      });
      expect(commit.message).toBe('first data');
      expect(commit.metadata).toMatchObject({ period: '2001-01' });
      expect(commit.parents).toHaveLength(1);
      expect((await data.getBranch({ repository: repo, branch: 'main' })).commitId).toBe(commit.id);
      expect((await data.getCommit({ repository: repo, ref: commit.id })).id).toBe(commit.id);
      expect(
        await readText(await data.getObject({ repository: repo, ref: commit.id, path: 'raw/a.csv' })),
      ).toBe('x,y\n1,2\n');
      const stats = await data.statObject({ repository: repo, ref: 'main', path: 'raw/a.csv' });
      expect(stats).toMatchObject({ sizeBytes: 8, contentType: 'text/csv', metadata: { source: 'test' } });
      expect((await data.diffUncommitted({ repository: repo, branch: 'main' })).results).toEqual([]);
    });

    it('keeps reads by commit id immutable while the branch moves on', async () => {
      const { data, repo } = await setup();
      await data.putObject({ repository: repo, branch: 'main', path: 'f.txt', content: 'one' });
      const first = await data.commit({ repository: repo, branch: 'main', message: 'one' });
      await data.putObject({ repository: repo, branch: 'main', path: 'f.txt', content: 'two' });
      expect(await readText(await data.getObject({ repository: repo, ref: 'main', path: 'f.txt' }))).toBe(
        'two',
      );
      await data.commit({ repository: repo, branch: 'main', message: 'two' });
      await data.deleteObject({ repository: repo, branch: 'main', path: 'f.txt' });
      await data.commit({ repository: repo, branch: 'main', message: 'three' });
      expect(await readText(await data.getObject({ repository: repo, ref: first.id, path: 'f.txt' }))).toBe(
        'one',
      );
      await expectCode(data.statObject({ repository: repo, ref: 'main', path: 'f.txt' }), 'NOT_FOUND');
      expect(await readText(await data.getObject({ repository: repo, ref: 'main~1', path: 'f.txt' }))).toBe(
        'two',
      );
    });

    it('refuses an empty commit unless allowed', async () => {
      const { data, repo } = await setup();
      const before = await data.getBranch({ repository: repo, branch: 'main' });
      await expectCode(
        data.commit({ repository: repo, branch: 'main', message: 'nothing' }),
        'PRECONDITION_FAILED',
      );
      expect((await data.getBranch({ repository: repo, branch: 'main' })).commitId).toBe(before.commitId);
      const empty = await data.commit({
        repository: repo,
        branch: 'main',
        message: 'marker',
        allowEmpty: true,
      });
      expect(empty.parents).toEqual([before.commitId]);
    });

    it('pages the log newest first and filters it by path prefix', async () => {
      const { data, repo } = await setup();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const dir = i % 2 === 0 ? 'even' : 'odd';
        await data.putObject({
          repository: repo,
          branch: 'main',
          path: `${dir}/${i}.txt`,
          content: String(i),
        });
        ids.push((await data.commit({ repository: repo, branch: 'main', message: `c${i}` })).id);
      }
      const first = await data.log({ repository: repo, ref: 'main', amount: 2 });
      expect(first.results.map((c) => c.message)).toEqual(['c4', 'c3']);
      expect(first.hasMore).toBe(true);
      const second = await data.log({ repository: repo, ref: 'main', amount: 2, after: first.nextOffset });
      expect(second.results.map((c) => c.message)).toEqual(['c2', 'c1']);
      const all = await data.log({ repository: repo, ref: 'main', amount: 100 });
      expect(all.results.map((c) => c.id).slice(0, 5)).toEqual([...ids].reverse());
      expect(all.hasMore).toBe(false);
      const odd = await data.log({ repository: repo, ref: 'main', prefix: 'odd/' });
      expect(odd.results.map((c) => c.message)).toEqual(['c3', 'c1']);
    });

    it('diffs two refs with added, removed and changed paths', async () => {
      const { data, repo } = await setup();
      await data.putObject({ repository: repo, branch: 'main', path: 'keep.txt', content: 'k' });
      await data.putObject({ repository: repo, branch: 'main', path: 'change.txt', content: 'v1' });
      await data.putObject({ repository: repo, branch: 'main', path: 'remove.txt', content: 'r' });
      const left = await data.commit({ repository: repo, branch: 'main', message: 'left' });
      await data.putObject({ repository: repo, branch: 'main', path: 'change.txt', content: 'v2!' });
      await data.deleteObject({ repository: repo, branch: 'main', path: 'remove.txt' });
      await data.putObject({ repository: repo, branch: 'main', path: 'add.txt', content: 'a' });
      const right = await data.commit({ repository: repo, branch: 'main', message: 'right' });
      const diff = await data.diff({ repository: repo, left: left.id, right: right.id });
      expect(diff.results.map((d) => [d.type, d.path])).toEqual([
        ['added', 'add.txt'],
        ['changed', 'change.txt'],
        ['removed', 'remove.txt'],
      ]);
      expect(diff.results.map((d) => d.sizeBytes)).toEqual([
        1,
        3,
        data.capabilities.removedEntrySize ? 1 : undefined,
      ]);
      expect((await data.diff({ repository: repo, left: right.id, right: right.id })).results).toEqual([]);
    });

    it('merges a branch: clean merge, conflict with paths, and both strategies', async () => {
      const { data, repo } = await setup();
      await data.putObject({ repository: repo, branch: 'main', path: 'shared.txt', content: 'base' });
      const base = await data.commit({ repository: repo, branch: 'main', message: 'base' });
      await data.createBranch({ repository: repo, name: 'dev', source: 'main' });
      await data.putObject({ repository: repo, branch: 'dev', path: 'dev-only.txt', content: 'dev' });
      const devWork = await data.commit({ repository: repo, branch: 'dev', message: 'dev work' });
      // main is an ancestor of dev, yet no backend fast-forwards: a merge commit on main.
      const clean = await data.merge({ repository: repo, source: 'dev', destination: 'main' });
      expect(clean.kind).toBe('merge');
      expect((await data.getCommit({ repository: repo, ref: clean.reference })).parents).toEqual([
        base.id,
        devWork.id,
      ]);
      expect(await data.merge({ repository: repo, source: 'dev', destination: 'main' })).toEqual({
        reference: clean.reference,
        kind: 'none',
      });
      expect(
        await readText(await data.getObject({ repository: repo, ref: 'main', path: 'dev-only.txt' })),
      ).toBe('dev');

      await data.putObject({ repository: repo, branch: 'dev', path: 'shared.txt', content: 'from dev' });
      await data.commit({ repository: repo, branch: 'dev', message: 'dev edit' });
      await data.putObject({ repository: repo, branch: 'main', path: 'shared.txt', content: 'from main' });
      await data.commit({ repository: repo, branch: 'main', message: 'main edit' });
      const headBefore = (await data.getBranch({ repository: repo, branch: 'main' })).commitId;
      await expectCode(data.merge({ repository: repo, source: 'dev', destination: 'main' }), 'CONFLICT');
      expect((await data.getBranch({ repository: repo, branch: 'main' })).commitId).toBe(headBefore);

      await data.createBranch({ repository: repo, name: 'main-copy', source: 'main' });
      const destWins = await data.merge({
        repository: repo,
        source: 'dev',
        destination: 'main-copy',
        strategy: 'dest-wins',
      });
      expect(destWins.kind).toBe('merge');
      expect(
        await readText(await data.getObject({ repository: repo, ref: 'main-copy', path: 'shared.txt' })),
      ).toBe('from main');
      const sourceWins = await data.merge({
        repository: repo,
        source: 'dev',
        destination: 'main',
        strategy: 'source-wins',
      });
      const mergeCommit = await data.getCommit({ repository: repo, ref: sourceWins.reference });
      expect(mergeCommit.parents).toHaveLength(2);
      expect(
        await readText(await data.getObject({ repository: repo, ref: 'main', path: 'shared.txt' })),
      ).toBe('from dev');
    });

    it("logs a branch's first-parent history (a merge is one commit) and filters merges by prefix per capability", async () => {
      const { data, repo } = await setup();
      await data.putObject({ repository: repo, branch: 'main', path: 'data/a', content: 'a' });
      const a = await data.commit({ repository: repo, branch: 'main', message: 'a' });
      await data.createBranch({ repository: repo, name: 'exp', source: 'main' });
      await data.putObject({ repository: repo, branch: 'exp', path: 'data/b', content: 'b' });
      const b = await data.commit({ repository: repo, branch: 'exp', message: 'b on exp' });
      await data.putObject({ repository: repo, branch: 'main', path: 'other/c', content: 'c' });
      const c = await data.commit({ repository: repo, branch: 'main', message: 'c on main' });
      const merge = await data.merge({ repository: repo, source: 'exp', destination: 'main' });
      const ids = async (options: { prefix?: string; firstParent?: boolean }) =>
        (await data.log({ repository: repo, ref: 'main', ...options })).results
          .filter((commit) => commit.parents.length > 0)
          .map((commit) => commit.id);
      expect(await ids({ firstParent: true })).toEqual([merge.reference, c.id, a.id]);
      expect(new Set(await ids({}))).toEqual(new Set([merge.reference, c.id, b.id, a.id]));
      const merges = data.capabilities.logPrefixIncludesMerges ? [merge.reference] : [];
      expect(await ids({ prefix: 'data/', firstParent: true })).toEqual([...merges, a.id]);
      // What the merge brought to main, whatever the capability: its diff against its first parent.
      const brought = await data.diff({
        repository: repo,
        left: c.id,
        right: merge.reference,
        prefix: 'data/',
      });
      expect(brought.results.map((entry) => entry.path)).toEqual(['data/b']);
    });

    it('refuses to merge into a branch with uncommitted changes with PRECONDITION_FAILED, changing nothing', async () => {
      const { data, repo } = await setup();
      await data.putObject({ repository: repo, branch: 'main', path: 'base.txt', content: 'base' });
      await data.commit({ repository: repo, branch: 'main', message: 'base' });
      await data.createBranch({ repository: repo, name: 'dev', source: 'main' });
      await data.putObject({ repository: repo, branch: 'dev', path: 'dev.txt', content: 'dev' });
      await data.commit({ repository: repo, branch: 'dev', message: 'dev work' });
      await data.putObject({ repository: repo, branch: 'main', path: 'staged.txt', content: 'staged' });
      const headBefore = (await data.getBranch({ repository: repo, branch: 'main' })).commitId;
      const error = await expectCode(
        data.merge({ repository: repo, source: 'dev', destination: 'main' }),
        'PRECONDITION_FAILED',
      );
      expect(error.message).toMatch(/uncommitted changes/);
      expect((await data.getBranch({ repository: repo, branch: 'main' })).commitId).toBe(headBefore);
      const staged = await data.diffUncommitted({ repository: repo, branch: 'main' });
      expect(staged.results.map((entry) => entry.path)).toEqual(['staged.txt']);
    });

    it('reverts a commit as a new commit on the branch, refusing conflicts, dirty branches and no-ops', async () => {
      const { data, repo } = await setup();
      const read = async (ref: string, path: string) =>
        readText(await data.getObject({ repository: repo, ref, path }));
      const paths = async (ref: string) =>
        (await data.listObjects({ repository: repo, ref })).results.map((entry) => entry.path);
      await data.putObject({ repository: repo, branch: 'main', path: 'a.txt', content: 'a1' });
      await data.putObject({ repository: repo, branch: 'main', path: 'b.txt', content: 'b1' });
      await data.commit({ repository: repo, branch: 'main', message: 'base' });
      await data.putObject({ repository: repo, branch: 'main', path: 'a.txt', content: 'a2' });
      await data.deleteObject({ repository: repo, branch: 'main', path: 'b.txt' });
      await data.putObject({ repository: repo, branch: 'main', path: 'c.txt', content: 'c' });
      const bad = await data.commit({ repository: repo, branch: 'main', message: 'bad' });
      await data.putObject({ repository: repo, branch: 'main', path: 'd.txt', content: 'd' });
      const later = await data.commit({ repository: repo, branch: 'main', message: 'later' });

      await data.putObject({ repository: repo, branch: 'main', path: 'staged.txt', content: 's' });
      const dirty = await expectCode(
        data.revert({ repository: repo, branch: 'main', ref: bad.id }),
        'PRECONDITION_FAILED',
      );
      expect(dirty.message).toMatch(/uncommitted changes/);
      expect((await data.getBranch({ repository: repo, branch: 'main' })).commitId).toBe(later.id);
      await data.resetBranch({ repository: repo, branch: 'main' });

      const revert = await data.revert({
        repository: repo,
        branch: 'main',
        ref: bad.id,
        metadata: { reason: 'bad data' },
      });
      expect(revert.parents).toEqual([later.id]);
      expect(revert.message).toBe(`Revert ${bad.id}`);
      expect(revert.metadata).toMatchObject({ reason: 'bad data' });
      expect((await data.getBranch({ repository: repo, branch: 'main' })).commitId).toBe(revert.id);
      expect(await paths('main')).toEqual(['a.txt', 'b.txt', 'd.txt']);
      expect(await read('main', 'a.txt')).toBe('a1');
      expect(await read('main', 'b.txt')).toBe('b1');
      expect(await read('main', 'd.txt')).toBe('d');
      // Undone already: nothing to commit.
      await expectCode(data.revert({ repository: repo, branch: 'main', ref: bad.id }), 'PRECONDITION_FAILED');

      // The branch changed a path the reverted commit changed: CONFLICT, nothing written.
      await data.putObject({ repository: repo, branch: 'main', path: 'd.txt', content: 'd2' });
      const edited = await data.commit({ repository: repo, branch: 'main', message: 'edit d' });
      await expectCode(data.revert({ repository: repo, branch: 'main', ref: later.id }), 'CONFLICT');
      expect((await data.getBranch({ repository: repo, branch: 'main' })).commitId).toBe(edited.id);
      await expectCode(data.revert({ repository: repo, branch: 'main', ref: 'no-such-ref' }), 'NOT_FOUND');
    });

    it('reverts a merge commit only against an explicit parent number', async () => {
      const { data, repo } = await setup();
      await data.putObject({ repository: repo, branch: 'main', path: 'base.txt', content: 'base' });
      await data.commit({ repository: repo, branch: 'main', message: 'base' });
      await data.createBranch({ repository: repo, name: 'dev', source: 'main' });
      await data.putObject({ repository: repo, branch: 'dev', path: 'dev.txt', content: 'dev' });
      await data.commit({ repository: repo, branch: 'dev', message: 'dev work' });
      await data.putObject({ repository: repo, branch: 'main', path: 'main.txt', content: 'main' });
      await data.commit({ repository: repo, branch: 'main', message: 'main work' });
      const merged = await data.merge({ repository: repo, source: 'dev', destination: 'main' });
      expect((await data.getCommit({ repository: repo, ref: merged.reference })).parents).toHaveLength(2);

      await expectCode(
        data.revert({ repository: repo, branch: 'main', ref: merged.reference }),
        'INVALID_ARGUMENT',
      );
      await expectCode(
        data.revert({ repository: repo, branch: 'main', ref: merged.reference, parentNumber: 3 }),
        'INVALID_ARGUMENT',
      );
      await expectCode(
        data.revert({ repository: repo, branch: 'main', ref: merged.reference, parentNumber: 0 }),
        'INVALID_ARGUMENT',
      );
      expect((await data.getBranch({ repository: repo, branch: 'main' })).commitId).toBe(merged.reference);
      const revert = await data.revert({
        repository: repo,
        branch: 'main',
        ref: merged.reference,
        parentNumber: 1,
        message: 'undo the dev merge',
      });
      expect(revert.message).toBe('undo the dev merge');
      const listed = await data.listObjects({ repository: repo, ref: 'main' });
      expect(listed.results.map((entry) => entry.path)).toEqual(['base.txt', 'main.txt']);
    });

    it('manages branches: create from a ref, list, reset and delete', async () => {
      const { data, repo } = await setup();
      await data.putObject({ repository: repo, branch: 'main', path: 'a.txt', content: 'a' });
      const first = await data.commit({ repository: repo, branch: 'main', message: 'a' });
      const branch = await data.createBranch({ repository: repo, name: 'exp-1', source: first.id });
      expect(branch.commitId).toBe(first.id);
      await expectCode(
        data.createBranch({ repository: repo, name: 'exp-1', source: 'main' }),
        'ALREADY_EXISTS',
      );
      await expectCode(
        data.createBranch({ repository: repo, name: 'bad name', source: 'main' }),
        'INVALID_ARGUMENT',
      );
      await expectCode(
        data.createBranch({ repository: repo, name: 'x', source: 'no-such-ref' }),
        'NOT_FOUND',
      );
      const listed = await data.listBranches({ repository: repo });
      expect(listed.results.map((b) => b.name)).toEqual(['exp-1', 'main']);

      await data.putObject({ repository: repo, branch: 'exp-1', path: 'b.txt', content: 'b' });
      await data.resetBranch({ repository: repo, branch: 'exp-1' });
      expect((await data.diffUncommitted({ repository: repo, branch: 'exp-1' })).results).toEqual([]);
      await expectCode(data.statObject({ repository: repo, ref: 'exp-1', path: 'b.txt' }), 'NOT_FOUND');

      await data.deleteBranch({ repository: repo, branch: 'exp-1' });
      await expectCode(data.getBranch({ repository: repo, branch: 'exp-1' }), 'NOT_FOUND');
    });

    it('creates, lists, reads through and deletes tags', async () => {
      const { data, repo } = await setup();
      await data.putObject({ repository: repo, branch: 'main', path: 'v.txt', content: 'v1' });
      const commit = await data.commit({ repository: repo, branch: 'main', message: 'v1' });
      const tag = await data.createTag({ repository: repo, name: 'v1.0', ref: 'main' });
      expect(tag.commitId).toBe(commit.id);
      await data.putObject({ repository: repo, branch: 'main', path: 'v.txt', content: 'v2' });
      await data.commit({ repository: repo, branch: 'main', message: 'v2' });
      expect(await readText(await data.getObject({ repository: repo, ref: 'v1.0', path: 'v.txt' }))).toBe(
        'v1',
      );
      expect((await data.listTags({ repository: repo })).results).toEqual([
        { name: 'v1.0', commitId: commit.id },
      ]);
      await data.deleteTag({ repository: repo, tag: 'v1.0' });
      expect((await data.listTags({ repository: repo })).results).toEqual([]);
    });

    it('lists objects with prefix, delimiter and pagination', async () => {
      const { data, repo } = await setup();
      for (const path of ['a/1.txt', 'a/2.txt', 'a/sub/3.txt', 'b/4.txt', 'c.txt']) {
        await data.putObject({ repository: repo, branch: 'main', path, content: path });
      }
      await data.commit({ repository: repo, branch: 'main', message: 'tree' });
      const top = await data.listObjects({ repository: repo, ref: 'main', delimiter: '/' });
      expect(top.results.map((e) => [e.pathType, e.path])).toEqual([
        ['common_prefix', 'a/'],
        ['common_prefix', 'b/'],
        ['object', 'c.txt'],
      ]);
      const underA = await data.listObjects({ repository: repo, ref: 'main', prefix: 'a/', delimiter: '/' });
      expect(underA.results.map((e) => e.path)).toEqual(['a/1.txt', 'a/2.txt', 'a/sub/']);
      const page1 = await data.listObjects({ repository: repo, ref: 'main', amount: 2 });
      expect(page1.results.map((e) => e.path)).toEqual(['a/1.txt', 'a/2.txt']);
      expect(page1.hasMore).toBe(true);
      const page2 = await data.listObjects({
        repository: repo,
        ref: 'main',
        amount: 10,
        after: page1.nextOffset,
      });
      expect(page2.results.map((e) => e.path)).toEqual(['a/sub/3.txt', 'b/4.txt', 'c.txt']);
      expect(page2.hasMore).toBe(false);
    });

    it('streams objects in and out', async () => {
      const { data, repo } = await setup();
      const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i));
      await data.putObject({
        repository: repo,
        branch: 'main',
        path: 'big.bin',
        content: Readable.from(chunks),
      });
      const stat = await data.statObject({ repository: repo, ref: 'main', path: 'big.bin' });
      expect(stat.sizeBytes).toBe(64 * 16 * 1024);
      let total = 0;
      let firstByte = -1;
      for await (const chunk of await data.getObject({ repository: repo, ref: 'main', path: 'big.bin' })) {
        const buffer = chunk as Buffer;
        if (firstByte < 0) firstByte = buffer[0] ?? -1;
        total += buffer.byteLength;
      }
      expect(total).toBe(64 * 16 * 1024);
      expect(firstByte).toBe(0);
    });

    it('refuses bad paths and unknown refs with specific errors and changes nothing', async () => {
      const { data, repo } = await setup();
      for (const path of ['../etc/passwd', '/abs/path', 'a/../b', 'bad\u0001name', '']) {
        await expectCode(
          data.putObject({ repository: repo, branch: 'main', path, content: 'x' }),
          'INVALID_ARGUMENT',
        );
      }
      expect((await data.diffUncommitted({ repository: repo, branch: 'main' })).results).toEqual([]);
      // Every backend names what is missing and a command that helps (lakeFS's own answers are terse).
      const missing: [() => Promise<unknown>, RegExp][] = [
        [
          () => data.getCommit({ repository: repo, ref: 'no-such-branch' }),
          /Unknown ref "no-such-branch".*lakeloop data/,
        ],
        [
          () => data.getBranch({ repository: repo, branch: 'nope' }),
          /Unknown branch "nope".*lakeloop data branch/,
        ],
        [
          () => data.putObject({ repository: repo, branch: 'nope', path: 'a', content: 'x' }),
          /Unknown branch "nope".*lakeloop data branch/,
        ],
        [
          () => data.statObject({ repository: repo, ref: 'main', path: 'absent.csv' }),
          /No object "absent.csv"/,
        ],
        [
          () => data.getRepository('no-such-repo-here'),
          /Unknown .*repository "no-such-repo-here".*lakeloop data repo create/,
        ],
      ];
      for (const [refused, message] of missing) {
        expect((await expectCode(refused(), 'NOT_FOUND')).message).toMatch(message);
      }
    });

    it('refuses non-ASCII object metadata with INVALID_ARGUMENT naming the key, and stages nothing', async () => {
      const { data, repo } = await setup();
      const refused: [Record<string, string>, string][] = [
        [{ note: 'héllo' }, 'note'],
        [{ mood: '\u{1F600}' }, 'mood'],
        [{ clé: 'x' }, 'clé'],
        [{ 'two words': 'x' }, 'two words'],
      ];
      for (const [metadata, key] of refused) {
        const error = await expectCode(
          data.putObject({ repository: repo, branch: 'main', path: 'meta.txt', content: 'x', metadata }),
          'INVALID_ARGUMENT',
        );
        expect(error.message).toContain(JSON.stringify(key));
        expect(error.message).toMatch(/must be ASCII/);
      }
      expect((await data.diffUncommitted({ repository: repo, branch: 'main' })).results).toEqual([]);
      // printable ASCII, encoded by the caller, round-trips on every backend
      const note = encodeURIComponent('héllo \u{1F600}');
      await data.putObject({
        repository: repo,
        branch: 'main',
        path: 'meta.txt',
        content: 'x',
        metadata: { note },
      });
      const stat = await data.statObject({ repository: repo, ref: 'main', path: 'meta.txt' });
      expect(stat.metadata).toEqual({ note });
      expect(decodeURIComponent(stat.metadata['note'] ?? '')).toBe('héllo \u{1F600}');
    });

    it('stores object metadata keys lower-cased (HTTP headers are case-insensitive) and refuses keys differing only in case', async () => {
      const { data, repo } = await setup();
      const put = await data.putObject({
        repository: repo,
        branch: 'main',
        path: 'keys.txt',
        content: 'x',
        metadata: { Source: 'BTS', 'X-Month': '2001-01' },
      });
      expect(put.metadata).toEqual({ source: 'BTS', 'x-month': '2001-01' });
      const stat = await data.statObject({ repository: repo, ref: 'main', path: 'keys.txt' });
      expect(stat.metadata).toEqual({ source: 'BTS', 'x-month': '2001-01' });
      await expectCode(
        data.putObject({
          repository: repo,
          branch: 'main',
          path: 'twice.txt',
          content: 'x',
          metadata: { Month: '1', month: '2' },
        }),
        'INVALID_ARGUMENT',
      );
    });

    it('protects branches by pattern: writes, commits and resets refused with PRECONDITION_FAILED, merges and reverts allowed', async () => {
      const { data, repo } = await setup();
      await data.createBranch({ repository: repo, name: 'dev', source: 'main' });
      expect(await data.getBranchProtection({ repository: repo })).toEqual({ patterns: [], etag: '' });
      // Rules before any write of the repository: lakeFS caches them per repository for a second.
      await data.setBranchProtection({ repository: repo, patterns: ['main'], ifMatch: '' });
      const rules = await data.getBranchProtection({ repository: repo });
      expect(rules.patterns).toEqual(['main']);
      expect(rules.etag).not.toBe('');
      await expectCode(
        data.setBranchProtection({ repository: repo, patterns: ['other'], ifMatch: '' }),
        'PRECONDITION_FAILED',
      );
      await expectCode(
        data.setBranchProtection({ repository: repo, patterns: ['other'], ifMatch: 'stale-etag' }),
        'PRECONDITION_FAILED',
      );
      await expectCode(
        data.setBranchProtection({ repository: repo, patterns: ['bad/name'] }),
        'INVALID_ARGUMENT',
      );
      expect((await data.getBranchProtection({ repository: repo })).patterns).toEqual(['main']);

      await data.putObject({ repository: repo, branch: 'dev', path: 'a.txt', content: 'from dev' });
      const head = (await data.getBranch({ repository: repo, branch: 'main' })).commitId;
      // One at a time: a rejection nobody awaits yet would be an unhandled rejection.
      const refusals = [
        () => data.putObject({ repository: repo, branch: 'main', path: 'a.txt', content: 'direct' }),
        () => data.deleteObject({ repository: repo, branch: 'main', path: 'a.txt' }),
        () => data.commit({ repository: repo, branch: 'main', message: 'direct', allowEmpty: true }),
        () => data.resetBranch({ repository: repo, branch: 'main' }),
      ];
      for (const refused of refusals) {
        const error = await expectCode(refused(), 'PRECONDITION_FAILED');
        expect(error.message).toMatch(/protected/);
        expect((error as { details?: unknown }).details).toMatchObject({
          reason: 'protected_branch',
          branch: 'main',
        });
      }
      expect((await data.getBranch({ repository: repo, branch: 'main' })).commitId).toBe(head);
      expect((await data.diffUncommitted({ repository: repo, branch: 'main' })).results).toEqual([]);

      await data.commit({ repository: repo, branch: 'dev', message: 'dev work' });
      const merged = await data.merge({ repository: repo, source: 'dev', destination: 'main' });
      expect(merged.kind).not.toBe('none');
      expect(await readText(await data.getObject({ repository: repo, ref: 'main', path: 'a.txt' }))).toBe(
        'from dev',
      );
      // A revert is allowed too (lakeFS lets it through like a merge): a new commit, no staging.
      const reverted = await data.revert({
        repository: repo,
        branch: 'main',
        ref: merged.reference,
        parentNumber: 1,
      });
      expect(reverted.parents).toEqual([merged.reference]);

      // A protected branch other than the default one can be deleted (as on lakeFS).
      await data.setBranchProtection({
        repository: repo,
        patterns: ['main', 'release-*'],
        ifMatch: rules.etag,
      });
      expect((await data.getBranchProtection({ repository: repo })).patterns).toEqual(['main', 'release-*']);
      await data.createBranch({ repository: repo, name: 'release-1', source: 'main' });
      await data.deleteBranch({ repository: repo, branch: 'release-1' });
      await data.setBranchProtection({ repository: repo, patterns: [] });
      expect(await data.getBranchProtection({ repository: repo })).toEqual({ patterns: [], etag: '' });
    });
  });
}
