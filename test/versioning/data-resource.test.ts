/**
 * `dataRepositoryResource` with real runs on the embedded backend in the instance home: the head
 * recorded at launch, a data-commit sensor's commit kept, every step reading the launch commit
 * even when a step commits to the branch mid-run, and the fallback for a run without tags.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DATA_BRANCH_TAG,
  DATA_COMMIT_TAG,
  DATA_REPOSITORY_TAG,
} from '../../src/core/definitions/data-commit.js';
import {
  closeProcessResources,
  defineAsset,
  Definitions,
  Instance,
  isLakeloopError,
  materialize,
} from '../../src/index.js';
import type { ResourceStep } from '../../src/index.js';
import { dataCommitTagOf, dataRepositoryResource } from '../../src/versioning/data-resource.js';
import type { DataRepositoryView } from '../../src/versioning/data-resource.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';

const EMBEDDED = { open: { backend: 'embedded' as const } };

const instances: Instance[] = [];
const repos: EmbeddedDataRepository[] = [];
afterEach(async () => {
  await closeProcessResources();
  for (const repo of repos.splice(0)) await repo.close();
  for (const instance of instances.splice(0)) await instance.close();
});

/** An instance and its embedded data repository with `months/2001-01.csv` (2 rows) committed on main. */
async function setup(): Promise<{ instance: Instance; data: EmbeddedDataRepository; first: string }> {
  const instance = await Instance.ephemeral();
  instances.push(instance);
  const data = new EmbeddedDataRepository({ home: instance.home });
  repos.push(data);
  await data.createRepository({ name: 'flights' });
  await data.putObject({
    repository: 'flights',
    branch: 'main',
    path: 'months/2001-01.csv',
    content: 'delay\n1\n2\n',
  });
  const first = (await data.commit({ repository: 'flights', branch: 'main', message: 'january' })).id;
  return { instance, data, first };
}

async function addMonth(data: EmbeddedDataRepository, month: string): Promise<string> {
  await data.putObject({
    repository: 'flights',
    branch: 'main',
    path: `months/${month}.csv`,
    content: 'delay\n3\n',
  });
  return (await data.commit({ repository: 'flights', branch: 'main', message: month })).id;
}

/** Two steps: `arrive` commits a new month to the branch through the resource, `count` reads `months/`. */
function pipeline(seen: { arrive?: string; count?: string; rows?: number }) {
  const data = dataRepositoryResource({ repository: 'flights', branch: 'main', ...EMBEDDED });
  const arrive = defineAsset({
    key: 'arrive',
    resources: { data },
    compute: async (ctx) => {
      const view: DataRepositoryView = ctx.resources.data;
      seen.arrive = await view.resolveCommitId();
      await view.repository.putObject({
        repository: 'flights',
        branch: 'main',
        path: 'months/2001-02.csv',
        content: 'delay\n3\n',
      });
      await view.repository.commit({ repository: 'flights', branch: 'main', message: 'february, mid-run' });
      return 'committed';
    },
  });
  const count = defineAsset({
    key: 'count',
    deps: ['arrive'],
    resources: { data },
    compute: async (ctx) => {
      seen.count = ctx.resources.data.commitId;
      const table = await ctx.resources.data.readTable('months/');
      seen.rows = table.rowCount;
      return table.rowCount;
    },
  });
  return new Definitions({ assets: [arrive, count] });
}

describe('dataRepositoryResource', () => {
  it('records the branch head at launch, and every step reads it even after a step committed to the branch', async () => {
    const { instance, data, first } = await setup();
    const seen: { arrive?: string; count?: string; rows?: number } = {};

    const run = await materialize(pipeline(seen), { instance, select: '*' });

    expect(run.status).toBe('SUCCESS');
    expect(run.tags).toMatchObject({
      [DATA_COMMIT_TAG]: first,
      [DATA_REPOSITORY_TAG]: 'flights',
      [DATA_BRANCH_TAG]: 'main',
    });
    expect(seen).toEqual({ arrive: first, count: first, rows: 2 });
    // The branch did move: a new run reads the February file too.
    const head = (await data.getBranch({ repository: 'flights', branch: 'main' })).commitId;
    expect(head).not.toBe(first);
    const next: { rows?: number } = {};
    const again = await materialize(pipeline(next), { instance, select: 'count' });
    expect(again.tags[DATA_COMMIT_TAG]).toBe(head);
    expect(next.rows).toBe(3);
  });

  it("keeps the commit a data-commit sensor's run names", async () => {
    const { instance, data, first } = await setup();
    await addMonth(data, '2001-03');
    const seen: { arrive?: string; rows?: number; count?: string } = {};

    const run = await materialize(pipeline(seen), {
      instance,
      select: '*',
      tags: { [DATA_COMMIT_TAG]: first, [DATA_REPOSITORY_TAG]: 'flights', [DATA_BRANCH_TAG]: 'main' },
    });

    expect(run.status).toBe('SUCCESS');
    expect(run.tags[DATA_COMMIT_TAG]).toBe(first);
    expect(seen).toEqual({ arrive: first, count: first, rows: 2 });
  });

  it("records its own commit beside a run's commit of another repository", async () => {
    const { instance, first } = await setup();
    const resource = dataRepositoryResource({ repository: 'flights', ...EMBEDDED });
    const runTags = { [DATA_COMMIT_TAG]: 'c0ffee', [DATA_REPOSITORY_TAG]: 'weather' };

    const tags = await resource.launchTags?.({ instanceHome: instance.home, runTags });

    expect(tags).toEqual({ [dataCommitTagOf('flights')]: first });
  });

  it('refuses to launch when the branch does not exist, saying how to list', async () => {
    const { instance } = await setup();
    const resource = dataRepositoryResource({ repository: 'flights', branch: 'nope', ...EMBEDDED });

    const error = await resource
      .launchTags?.({ instanceHome: instance.home, runTags: {} })
      .catch((caught: unknown) => caught);

    expect(isLakeloopError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain('lakeloop data branch list flights');
  });

  it('resolves the head once per run for a run that recorded no commit', async () => {
    const { instance, data, first } = await setup();
    const resource = dataRepositoryResource({ repository: 'flights', ...EMBEDDED });
    const value = await resource.setup({
      instanceHome: instance.home,
      runId: undefined,
      runTags: {},
      dataCommit: undefined,
    });
    const step = (runId: string, assetKey: string): ResourceStep => ({
      runId,
      runTags: {},
      assetKey,
      partition: undefined,
      attempt: 1,
      dataCommit: undefined,
      instanceHome: instance.home,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      signal: new AbortController().signal,
    });
    if (resource.bind === undefined) throw new Error('the data resource binds steps');
    const bind = resource.bind.bind(resource);
    try {
      const a = bind(value, step('run-1', 'a')).value;
      expect(a.commitId).toBeUndefined();
      expect((await a.readTable('months/')).commitId).toBe(first);
      const moved = await addMonth(data, '2001-02');
      const b = bind(value, step('run-1', 'b')).value;
      expect(await b.resolveCommitId()).toBe(first);
      expect((await b.readTable('months/')).rowCount).toBe(2);
      expect(await bind(value, step('run-2', 'a')).value.resolveCommitId()).toBe(moved);
      expect(await a.uri('months/2001-01.csv')).toBe(`lakefs://flights/${first}/months/2001-01.csv`);
      expect(await a.uri('lakefs://flights/main/x.csv')).toBe('lakefs://flights/main/x.csv');
    } finally {
      await resource.teardown?.(value);
    }
  });
});
