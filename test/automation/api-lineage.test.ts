/**
 * `GET /api/lineage` through `app.request` against a real loop on the embedded stores: the chain
 * data commit → sensor tick → pipeline run (steps, checks) → training run → model version → gate →
 * alias moves, from a model version, from a run and from a commit; what is missing is said, not
 * guessed; validation and 503 without a registry.
 */
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiAppOptions } from '../../src/server/api-app.js';
import type { LineageEdge, LineageGraph, LineageNode } from '../../src/server/lineage/lineage.js';
import { MODEL, openModelLoop, REPOSITORY } from './fixtures/model-loop.js';
import type { ModelLoop } from './fixtures/model-loop.js';

describe('REST API: lineage', () => {
  let loop: ModelLoop;
  let app: Hono;
  const runs: string[] = [];
  const commits: string[] = [];

  beforeAll(async () => {
    loop = await openModelLoop();
    for (const [auc, lr] of [
      [0.8, 0.1],
      [0.83, 0.05],
      [0.7, 0.2],
    ] as const) {
      const { commitId, run } = await loop.commit({
        files: { [`flights/${auc}.csv`]: 'a\n1\n' },
        auc,
        learningRate: lr,
      });
      commits.push(commitId);
      runs.push(run.runId);
    }
  }, 60_000);

  afterAll(async () => {
    await loop.close();
  });

  const appWith = (options: Partial<ApiAppOptions> = {}) => loop.app(options);
  const get = async (path: string) => {
    const response = await app.request(path);
    return {
      status: response.status,
      body: (await response.json()) as LineageGraph & Record<string, unknown>,
    };
  };
  const byKind = (graph: LineageGraph, kind: LineageNode['kind']) =>
    graph.nodes.filter((n) => n.kind === kind);
  const has = (graph: LineageGraph, edge: LineageEdge) =>
    graph.edges.some((e) => e.from === edge.from && e.to === edge.to && e.relation === edge.relation);

  it('follows a model version back to its commit and tick and forward to its gate and alias moves', async () => {
    app = appWith();
    const { status, body: graph } = await get(`/api/lineage?modelVersion=${MODEL}/2`);
    expect(status).toBe(200);
    expect(graph.focus).toBe(`model_version:${MODEL}/2`);
    const commit = `data_commit:${REPOSITORY}@${commits[1]}`;
    const [tick] = byKind(graph, 'sensor_tick');
    const run = `pipeline_run:${runs[1]}`;
    const [trainingRun] = byKind(graph, 'training_run');
    const gate = `gate:${runs[1]}`;
    const [move] = byKind(graph, 'alias_move');
    expect(tick).toMatchObject({ data: { sensor: 'new_data', runKeys: [commits[1]], runIds: [runs[1]] } });
    expect(trainingRun).toMatchObject({
      data: { metrics: { auc: 0.83 }, params: { learning_rate: '0.05' } },
    });
    expect(move).toMatchObject({ data: { alias: 'champion', fromVersion: '1', toVersion: '2' } });
    expect(byKind(graph, 'model_version').map((n) => n.id)).toEqual([`model_version:${MODEL}/2`]);
    for (const edge of [
      { from: commit, to: tick?.id ?? '', relation: 'evaluated' },
      { from: tick?.id ?? '', to: run, relation: 'launched' },
      { from: run, to: trainingRun?.id ?? '', relation: 'logged' },
      { from: trainingRun?.id ?? '', to: `model_version:${MODEL}/2`, relation: 'registered' },
      { from: run, to: gate, relation: 'checked' },
      { from: `model_version:${MODEL}/2`, to: gate, relation: 'evaluated_by' },
      { from: gate, to: move?.id ?? '', relation: 'decided' },
      { from: `model_version:${MODEL}/2`, to: move?.id ?? '', relation: 'moved_to' },
    ] as const) {
      expect(has(graph, edge), JSON.stringify(edge)).toBe(true);
    }
    const runNode = graph.nodes.find((n) => n.id === run);
    expect(runNode).toMatchObject({
      kind: 'pipeline_run',
      data: {
        status: 'SUCCESS',
        steps: [
          { stepKey: 'train', status: 'SUCCESS' },
          { stepKey: 'evaluate', status: 'SUCCESS' },
          { stepKey: 'promote', status: 'SUCCESS' },
        ],
        checks: [
          { checkName: 'auc_floor', passed: true },
          { checkName: 'not_worse', passed: true, metadata: { champion_version: '1' } },
        ],
      },
    });
    expect(graph.nodes.find((n) => n.id === commit)).toMatchObject({
      data: { message: 'data with auc 0.83' },
    });
    expect(graph.nodes.find((n) => n.id === gate)).toMatchObject({ data: { passed: true, failed: [] } });
    expect(graph.notes).toEqual([]);
    // Nodes come in chain order, so a client can lay them out left to right.
    expect(graph.nodes.map((n) => n.kind)).toEqual([
      'data_commit',
      'sensor_tick',
      'pipeline_run',
      'training_run',
      'model_version',
      'gate',
      'alias_move',
    ]);
  });

  it('from a run that failed its gate: the failed check, the version it registered and no alias move', async () => {
    app = appWith();
    const { body: graph } = await get(`/api/lineage?run=${runs[2]}`);
    expect(graph.focus).toBe(`pipeline_run:${runs[2]}`);
    expect(graph.nodes.find((n) => n.id === `gate:${runs[2]}`)).toMatchObject({
      data: { passed: false, failed: ['evaluate:not_worse'] },
    });
    expect(byKind(graph, 'model_version').map((n) => n.id)).toEqual([`model_version:${MODEL}/3`]);
    expect(byKind(graph, 'alias_move')).toEqual([]);
    const run = graph.nodes.find((n) => n.id === `pipeline_run:${runs[2]}`);
    expect(run).toMatchObject({ data: { status: 'FAILURE' } });
    const steps = (run?.data as { steps: { stepKey: string; status: string }[] }).steps;
    expect(steps.map((step) => [step.stepKey, step.status])).toEqual([
      ['train', 'SUCCESS'],
      ['evaluate', 'FAILURE'],
      ['promote', 'SKIPPED'],
    ]);
  });

  it('from a commit (with or without its repository), and from the first version: moves to and away from it', async () => {
    app = appWith();
    const fromCommit = (await get(`/api/lineage?commit=${commits[0]}&repository=${REPOSITORY}`)).body;
    expect(fromCommit.focus).toBe(`data_commit:${REPOSITORY}@${commits[0]}`);
    expect(byKind(fromCommit, 'pipeline_run').map((n) => n.id)).toEqual([`pipeline_run:${runs[0]}`]);
    const moves = byKind(fromCommit, 'alias_move').map(
      (n) => [n.data as { fromVersion: string | null; toVersion: string | null }, n.id] as const,
    );
    expect(moves.map(([data]) => [data.fromVersion, data.toVersion])).toEqual([
      [null, '1'],
      ['1', '2'],
    ]);
    expect(
      has(fromCommit, { from: `model_version:${MODEL}/1`, to: moves[1]?.[1] ?? '', relation: 'moved_from' }),
    ).toBe(true);
    const bare = (await get(`/api/lineage?commit=${commits[0]}`)).body;
    expect(bare.focus).toBe(fromCommit.focus);
    expect(bare.nodes.length).toBe(fromCommit.nodes.length);
  });

  it('says what it cannot follow instead of guessing', async () => {
    app = appWith({ tracking: undefined, data: undefined });
    const { body: graph } = await get(`/api/lineage?modelVersion=${MODEL}/2`);
    expect(byKind(graph, 'training_run')).toEqual([]);
    expect(graph.notes).toContain('No tracking store: training runs are not shown.');
    // Without training runs the pipeline run registered the version directly.
    expect(
      has(graph, { from: `pipeline_run:${runs[1]}`, to: `model_version:${MODEL}/2`, relation: 'registered' }),
    ).toBe(true);
    // Without the data repository the commit is there, without its message.
    const commit = graph.nodes.find((n) => n.kind === 'data_commit');
    expect(commit?.data).toEqual({ repository: REPOSITORY, commitId: commits[1], branch: 'main' });
  });

  it('finds the tick that launched an old run, however many ticks the sensor stored since', async () => {
    app = appWith();
    for (let i = 0; i < 1_500; i++) {
      await loop.instance.schedules.addTick({
        instigatorName: 'new_data',
        type: 'SENSOR',
        timestamp: loop.clock.now() + i * 30_000,
        status: 'SKIPPED',
        runKeys: [],
        runIds: [],
        skipReason: `no new commit (${i})`,
      });
    }
    const { status, body: graph } = await get(`/api/lineage?run=${runs[0]}`);
    expect(status).toBe(200);
    const [tick] = byKind(graph, 'sensor_tick');
    expect(tick).toMatchObject({ data: { sensor: 'new_data', runIds: [runs[0]], runKeys: [commits[0]] } });
    expect(has(graph, { from: tick?.id ?? '', to: `pipeline_run:${runs[0]}`, relation: 'launched' })).toBe(
      true,
    );
  });

  it('validates its query, answers 404 for unknown seeds and 503 without a registry', async () => {
    app = appWith();
    const none = await get('/api/lineage');
    expect(none.status).toBe(400);
    expect(JSON.stringify(none.body)).toContain('exactly one of modelVersion');
    expect((await get(`/api/lineage?run=${runs[0]}&commit=${commits[0]}`)).status).toBe(400);
    expect((await get(`/api/lineage?modelVersion=${MODEL}`)).status).toBe(400);
    expect((await get(`/api/lineage?repository=${REPOSITORY}&run=${runs[0]}`)).status).toBe(400);
    expect((await get(`/api/lineage?modelVersion=${MODEL}/9`)).status).toBe(404);
    expect((await get('/api/lineage?run=no-such-run')).status).toBe(404);
    expect((await get('/api/lineage?commit=c0ffee')).status).toBe(404);
    app = appWith({ registry: undefined });
    expect((await get(`/api/lineage?run=${runs[0]}`)).status).toBe(503);
  });
});
