/**
 * `GET /api/timeline` through `app.request` on a real loop (embedded stores, model-loop fixture):
 * commits, their ticks, runs and model versions in one list, newest first, bounded by `limit`.
 */
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimelineItem } from '../../src/server/timeline.js';
import { MODEL, openModelLoop } from './fixtures/model-loop.js';
import type { ModelLoop } from './fixtures/model-loop.js';

describe('REST API: timeline', () => {
  let loop: ModelLoop;
  let app: Hono;
  const commits: string[] = [];
  const runs: string[] = [];

  beforeAll(async () => {
    loop = await openModelLoop();
    for (const auc of [0.8, 0.83]) {
      const { commitId, run } = await loop.commit({
        files: { [`flights/${auc}.csv`]: 'a\n1\n' },
        auc,
        learningRate: 0.1,
      });
      commits.push(commitId);
      runs.push(run.runId);
    }
    app = loop.app();
  }, 60_000);

  afterAll(async () => {
    await loop.close();
  });

  const timeline = async (query = '') => {
    const response = await app.request(`/api/timeline${query}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: TimelineItem[] }).items;
  };

  it('lists each commit, its tick, its run and its model version, newest first', async () => {
    const items = await timeline();
    const ids = (kind: TimelineItem['kind']) => items.filter((i) => i.kind === kind).map((i) => i.id);
    expect(ids('commit')).toEqual([...commits].reverse());
    expect(ids('run')).toEqual([...runs].reverse());
    expect(ids('model-version')).toEqual([`${MODEL}/2`, `${MODEL}/1`]);
    const ticks = items.filter((i) => i.kind === 'tick');
    expect(ticks.map((t) => t.runIds)).toEqual([[runs[1]], [runs[0]]]);
    expect(items.filter((i) => i.kind === 'run').map((r) => r.commit)).toEqual([...commits].reverse());
    const times = items.map((i) => i.at);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('keeps the newest `limit` items and refuses a bad limit', async () => {
    const all = await timeline();
    expect(await timeline('?limit=3')).toEqual(all.slice(0, 3));
    expect((await app.request('/api/timeline?limit=0')).status).toBe(400);
    expect((await app.request('/api/timeline?limit=201')).status).toBe(400);
  });
});
