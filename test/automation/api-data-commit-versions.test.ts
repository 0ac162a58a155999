/**
 * `GET /api/data/repositories/:repo/commits?modelVersions=true` through `app.request` on a real
 * loop (embedded stores): each commit of the log with the runs it triggered and the model versions
 * trained on it (their `lakeloop.data_commit` tag), versions of another repository left out, the
 * field absent without the parameter and without a registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineageTag } from '../../src/tracking/index.js';
import { MODEL, openModelLoop, REPOSITORY } from './fixtures/model-loop.js';
import type { ModelLoop } from './fixtures/model-loop.js';

interface LoggedCommit {
  id: string;
  runs: { runId: string }[];
  modelVersions?: { name: string; version: string; aliases: string[] }[];
}

describe('REST API: the commit log with the model versions trained on each commit', () => {
  let loop: ModelLoop;
  const commits: string[] = [];
  const runs: string[] = [];

  beforeAll(async () => {
    loop = await openModelLoop();
    for (const auc of [0.8, 0.85]) {
      const { commitId, run } = await loop.commit({
        files: { [`flights/${auc}.csv`]: 'a\n1\n' },
        auc,
        learningRate: 0.1,
      });
      commits.push(commitId);
      runs.push(run.runId);
    }
  }, 60_000);

  afterAll(async () => {
    await loop.close();
  });

  const log = async (query: string, app = loop.app()) => {
    const response = await app.request(`/api/data/repositories/${REPOSITORY}/commits?ref=main&${query}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { results: LoggedCommit[] }).results;
  };

  it('lists each commit with its run and the version trained on it', async () => {
    const [second, first, created] = await log('modelVersions=true');
    expect(second).toMatchObject({
      id: commits[1],
      runs: [{ runId: runs[1] }],
      modelVersions: [{ name: MODEL, version: '2', aliases: ['champion'] }],
    });
    expect(first).toMatchObject({
      id: commits[0],
      modelVersions: [{ name: MODEL, version: '1', aliases: [] }],
    });
    expect(created?.modelVersions).toEqual([]);
  });

  it('leaves out a version tagged with the same commit id in another repository', async () => {
    const v1 = await loop.registry.getModelVersion(MODEL, '1');
    const trainedElsewhere = await loop.registry.registerModel('elsewhere', {
      runId: v1.runId ?? '',
      tags: { [LineageTag.DATA_COMMIT]: commits[0] ?? '', [LineageTag.DATA_REPOSITORY]: 'other-repo' },
    });
    expect(trainedElsewhere.version).toBe('1');
    const [, first] = await log('modelVersions=true');
    expect(first?.modelVersions?.map((v) => v.name)).toEqual([MODEL]);
  });

  it('has no modelVersions field without the parameter or without a registry, and validates it', async () => {
    const [plain] = await log('');
    expect(plain).not.toHaveProperty('modelVersions');
    const [noRegistry] = await log('modelVersions=true', loop.app({ registry: undefined }));
    expect(noRegistry).not.toHaveProperty('modelVersions');
    expect(noRegistry?.runs).toHaveLength(1);
    const bad = await loop
      .app()
      .request(`/api/data/repositories/${REPOSITORY}/commits?ref=main&modelVersions=1`);
    expect(bad.status).toBe(400);
  });
});
