/**
 * trackingResource and registryResource through real runs (materialize on an ephemeral instance,
 * the embedded store in its home; one case on a real MLflow server): the lineage tags, FINISHED on
 * success, FAILED on a throw, no RUNNING leftovers, buffered params and metrics, the step
 * registry's alias mover.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeProcessResources,
  DATA_BRANCH_TAG,
  DATA_COMMIT_TAG,
  DATA_REPOSITORY_TAG,
  defineAsset,
  Definitions,
  Instance,
  materialize,
  staticPartitions,
} from '../../src/index.js';
import { makeSyntheticData, trainGradientBoosting } from '../../src/ml/index.js';
import {
  LineageTag,
  LocalModelRegistry,
  LocalTrackingStore,
  MlflowModelRegistry,
  MlflowTrackingStore,
  registryResource,
  trackingResource,
} from '../../src/tracking/index.js';
import type {
  ActiveTrainingRun,
  ModelRegistry,
  TrackingRun,
  TrackingStore,
} from '../../src/tracking/index.js';
import { recordingSleep } from '../core/core-test-helpers.js';
import { describeWithMlflow } from './mlflow-test-server.js';

const dataTags = { [DATA_COMMIT_TAG]: 'c0ffee', [DATA_REPOSITORY_TAG]: 'flights', [DATA_BRANCH_TAG]: 'main' };

let instance: Instance;
let tracking: TrackingStore;
let registry: ModelRegistry;

beforeEach(async () => {
  instance = await Instance.ephemeral({ storage: 'sqlite', sleep: recordingSleep(), random: () => 0.5 });
  tracking = new LocalTrackingStore({ root: join(instance.home, 'tracking') });
  registry = new LocalModelRegistry({ root: join(instance.home, 'tracking') });
});
afterEach(async () => {
  await closeProcessResources();
  await registry.close();
  await tracking.close();
  await instance.close();
});

/** Both resources on the embedded store whatever MLFLOW_TRACKING_URI says. */
const embedded = { tracking: trackingResource({ env: {} }), registry: registryResource({ env: {} }) };

async function runsOf(experiment: string): Promise<TrackingRun[]> {
  const { experimentId } = await tracking.getExperimentByName(experiment);
  return tracking.searchRuns({
    experimentIds: [experimentId],
    orderBy: { field: 'start_time' },
    ascending: true,
  });
}

describe('trackingResource', () => {
  it('starts runs with the lineage tags; FINISHED with params, metrics, input and model when the step succeeds', async () => {
    const data = makeSyntheticData({ rows: 500, columns: 3, seed: 1 });
    const train = defineAsset({
      key: 'train',
      resources: embedded,
      compute: async (ctx) => {
        await using run = await ctx.resources.tracking.startRun({
          experiment: 'flights',
          params: { rows: data.rows },
          tags: { team: 'ml', [LineageTag.PIPELINE_RUN_ID]: 'forged' },
        });
        run.logParams({ learning_rate: 0.1, trees: 5 });
        for (let step = 0; step < 3; step++) run.logMetric('train_loss', 1 / (step + 1), step);
        run.logMetrics({ auc: 0.8 });
        const model = await trainGradientBoosting(data, { maxIterations: 5, maxLeaves: 4, threads: 1 });
        await run.logModel({ model });
        const version = await ctx.resources.registry.registerModel('flights', { runId: run.id });
        await ctx.resources.registry.setAlias('flights', 'champion', version.version, { reason: 'first' });
        // Nothing buffered is written before the block ends.
        expect((await tracking.getRun(run.id)).params).toEqual({ rows: '500' });
        return run.id;
      },
    });
    const pipelineRun = await materialize(new Definitions({ assets: [train] }), {
      select: '*',
      instance,
      tags: dataTags,
    });
    expect(pipelineRun.status).toBe('SUCCESS');

    const [run] = await runsOf('flights');
    expect(run?.info).toMatchObject({ status: 'FINISHED', runName: 'train' });
    expect(run?.tags).toMatchObject({
      team: 'ml',
      [LineageTag.PIPELINE_RUN_ID]: pipelineRun.runId,
      [LineageTag.ASSET_KEY]: 'train',
      [LineageTag.ATTEMPT]: '1',
      [LineageTag.DATA_COMMIT]: 'c0ffee',
      [LineageTag.DATA_REPOSITORY]: 'flights',
      [LineageTag.DATA_BRANCH]: 'main',
    });
    expect(run?.tags[LineageTag.PARTITION]).toBeUndefined();
    expect(run?.params).toEqual({ rows: '500', learning_rate: '0.1', trees: '5' });
    expect(run?.metrics).toEqual({ train_loss: 1 / 3, auc: 0.8 });
    expect(run?.inputs).toMatchObject([
      { name: 'flights', digest: 'c0ffee', sourceType: 'lakeloop-data', source: 'lakefs://flights/c0ffee' },
    ]);
    expect((await tracking.listArtifacts(run?.info.runId ?? '', 'model')).map((a) => a.path)).toContain(
      'model/model.onnx',
    );
    const [move] = await registry.aliasHistory('flights');
    expect(move).toMatchObject({
      toVersion: '1',
      reason: 'first',
      by: `lakeloop run ${pipelineRun.runId} (train)`,
    });
  });

  it('ends FAILED when the step throws, with what was logged before the throw', async () => {
    const train = defineAsset({
      key: 'train',
      resources: embedded,
      compute: async (ctx) => {
        await using run = await ctx.resources.tracking.startRun({ experiment: 'failing' });
        run.logMetric('loss', 0.5);
        run.logParam('seed', 7);
        throw new Error('diverged');
      },
    });
    const pipelineRun = await materialize(new Definitions({ assets: [train] }), { select: '*', instance });
    expect(pipelineRun.status).toBe('FAILURE');
    const [run] = await runsOf('failing');
    expect(run?.info.status).toBe('FAILED');
    expect(run?.metrics).toEqual({ loss: 0.5 });
    expect(run?.params).toEqual({ seed: '7' });
  });

  it('leaves no run RUNNING: runs never disposed end with the step; a run ended by the step keeps its status', async () => {
    let kept: ActiveTrainingRun | undefined;
    const train = defineAsset({
      key: 'train',
      resources: embedded,
      compute: async (ctx) => {
        const forgotten = await ctx.resources.tracking.startRun({
          experiment: 'leftovers',
          runName: 'forgotten',
        });
        forgotten.logMetric('loss', 0.25);
        kept = await ctx.resources.tracking.startRun({ experiment: 'leftovers', runName: 'killed' });
        await kept.end('KILLED');
        expect(() => {
          kept?.logMetric('late', 1);
        }).toThrow(/has ended \(KILLED\)/);
        expect(ctx.resources.tracking.runs).toHaveLength(2);
      },
    });
    await materialize(new Definitions({ assets: [train] }), { select: '*', instance });
    // Both runs may start in the same millisecond; ties in start_time order by run id (random), as in MLflow.
    const runs = (await runsOf('leftovers')).sort((a, b) => a.info.runName.localeCompare(b.info.runName));
    expect(runs.map((r) => [r.info.runName, r.info.status])).toEqual([
      ['forgotten', 'FINISHED'],
      ['killed', 'KILLED'],
    ]);
    expect(runs[0]?.metrics).toEqual({ loss: 0.25 });
    expect(kept?.endStatus).toBe('KILLED');
  });

  it('tags each attempt: a retried step has a FAILED run of attempt 1 and a FINISHED run of attempt 2', async () => {
    let attempts = 0;
    const train = defineAsset({
      key: 'train',
      resources: embedded,
      retryPolicy: { maxRetries: 1 },
      compute: async (ctx) => {
        await using run = await ctx.resources.tracking.startRun({ experiment: 'retried' });
        run.logParam('attempt', ++attempts);
        if (attempts === 1) throw new Error('flaky');
      },
    });
    const pipelineRun = await materialize(new Definitions({ assets: [train] }), { select: '*', instance });
    expect(pipelineRun.status).toBe('SUCCESS');
    const runs = await runsOf('retried');
    expect(runs.map((r) => [r.tags[LineageTag.ATTEMPT], r.info.status])).toEqual([
      ['1', 'FAILED'],
      ['2', 'FINISHED'],
    ]);
  });

  it('names and tags a partitioned step’s run by its partition', async () => {
    const monthly = defineAsset({
      key: 'monthly',
      partitions: staticPartitions(['2001-01', '2001-02']),
      resources: embedded,
      compute: async (ctx) => {
        await using run = await ctx.resources.tracking.startRun({ experiment: 'monthly' });
        run.logMetric('rows', 1);
      },
    });
    await materialize(new Definitions({ assets: [monthly] }), {
      select: '*',
      partition: '2001-02',
      instance,
    });
    const [run] = await runsOf('monthly');
    expect(run?.info).toMatchObject({ runName: 'monthly[2001-02]', status: 'FINISHED' });
    expect(run?.tags[LineageTag.PARTITION]).toBe('2001-02');
  });

  it('refuses a param logged again with another value at once (params are immutable)', async () => {
    const train = defineAsset({
      key: 'train',
      resources: embedded,
      compute: async (ctx) => {
        await using run = await ctx.resources.tracking.startRun({ experiment: 'conflict' });
        run.logParam('lr', 0.1);
        run.logParam('lr', 0.1);
        expect(() => {
          run.logParam('lr', 0.2);
        }).toThrow(expect.objectContaining({ code: 'CONFLICT' }) as Error);
      },
    });
    expect((await materialize(new Definitions({ assets: [train] }), { select: '*', instance })).status).toBe(
      'SUCCESS',
    );
    expect((await runsOf('conflict'))[0]?.params).toEqual({ lr: '0.1' });
  });
});

describeWithMlflow('trackingResource: MLflow server', (uri) => {
  it('writes the same lineage and final status to the server', async () => {
    const experiment = `resource-${String(Date.now())}`;
    const train = defineAsset({
      key: 'train',
      resources: { tracking: trackingResource({ uri }), registry: registryResource({ uri }) },
      compute: async (ctx) => {
        await using run = await ctx.resources.tracking.startRun({ experiment });
        run.logMetric('auc', 0.75);
        return run.id;
      },
    });
    const pipelineRun = await materialize(new Definitions({ assets: [train] }), {
      select: '*',
      instance,
      tags: dataTags,
    });
    expect(pipelineRun.status).toBe('SUCCESS');
    await using server = new MlflowTrackingStore({ url: uri });
    await using _registry = new MlflowModelRegistry({ url: uri });
    const { experimentId } = await server.getExperimentByName(experiment);
    const [run] = await server.searchRuns({ experimentIds: [experimentId] });
    expect(run?.info.status).toBe('FINISHED');
    expect(run?.metrics).toEqual({ auc: 0.75 });
    expect(run?.tags).toMatchObject({
      [LineageTag.PIPELINE_RUN_ID]: pipelineRun.runId,
      [LineageTag.ASSET_KEY]: 'train',
      [LineageTag.DATA_COMMIT]: 'c0ffee',
    });
  });
});
