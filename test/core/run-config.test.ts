/** Run config: validated at launch naming the field, stored, parsed into ctx.config, kept by re-executions and sensors. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createRun,
  defineAsset,
  defineJob,
  Definitions,
  executeRun,
  Instance,
  materialize,
  reexecuteFromFailure,
} from '../../src/index.js';
import { launchRunRequest } from '../../src/core/daemon/run-request-launch.js';
import { recordingSleep } from './core-test-helpers.js';

let instance: Instance;

beforeEach(async () => {
  instance = await Instance.ephemeral({ storage: 'sqlite', sleep: recordingSleep(), random: () => 0.5 });
});
afterEach(async () => {
  await instance.close();
});

const seen: unknown[] = [];
const features = defineAsset({ key: 'features', compute: () => [1, 2, 3] });
let failTraining = false;
const trainModel = defineAsset({
  key: 'train_model',
  deps: [features],
  config: z.object({ learningRate: z.number().positive(), trees: z.number().int().default(100) }),
  compute: (ctx, { features: rows }) => {
    seen.push({ config: ctx.config, job: ctx.jobConfig });
    if (failTraining) throw new Error('diverged');
    return rows.length * ctx.config.learningRate * ctx.config.trees;
  },
});
const retrain = defineJob({
  name: 'retrain',
  select: '*',
  config: z.object({ months: z.number().int().min(1).default(6) }),
});
const defs = new Definitions({ assets: [features, trainModel], jobs: [retrain] });

beforeEach(() => {
  seen.length = 0;
  failTraining = false;
});

describe('run config', () => {
  it('refuses an invalid config with INVALID_ARGUMENT naming the field, before any run is stored', async () => {
    const wrongType = createRun(defs, {
      instance,
      select: '*',
      config: { train_model: { learningRate: 'fast' } },
    });
    await expect(wrongType).rejects.toThrow(
      'config.train_model.learningRate: Invalid input: expected number, received string',
    );
    await expect(wrongType).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createRun(defs, { instance, select: '*' })).rejects.toThrow(
      /config\.train_model\.learningRate: Invalid input: expected number, received undefined/,
    );
    await expect(
      createRun(defs, {
        instance,
        select: '*',
        config: { train_modle: {}, train_model: { learningRate: 1 } },
      }),
    ).rejects.toThrow(/config\.train_modle matches no asset or job .*train_model, retrain/);
    await expect(
      createRun(defs, {
        instance,
        jobName: 'retrain',
        config: { train_model: { learningRate: 1 }, retrain: { months: 0 } },
      }),
    ).rejects.toThrow(/config\.retrain\.months: Too small/);
    expect(await instance.runs.listRuns()).toEqual([]);
  });

  it('gives compute the parsed config with defaults and the job config, and stores the config as given', async () => {
    const run = await createRun(defs, {
      instance,
      jobName: 'retrain',
      config: { train_model: { learningRate: 0.5 } },
    });
    const done = await executeRun({ defs, runId: run.runId, instance });
    expect(done.status).toBe('SUCCESS');
    expect(seen).toEqual([{ config: { learningRate: 0.5, trees: 100 }, job: { months: 6 } }]);
    expect((await instance.runs.getRun(run.runId))?.config).toEqual({ train_model: { learningRate: 0.5 } });
  });

  it('materialize({ config }) runs with it; a selection without configured assets needs none', async () => {
    await materialize(defs, {
      select: '*',
      instance,
      config: { train_model: { learningRate: 2, trees: 3 } },
    });
    expect(seen).toEqual([{ config: { learningRate: 2, trees: 3 }, job: undefined }]);
    const plain = await materialize(defs, { select: 'features', instance });
    expect(plain.status).toBe('SUCCESS');
    expect(plain.config).toBeUndefined();
  });

  it('a re-execution uses the parent config and job', async () => {
    failTraining = true;
    const run = await createRun(defs, {
      instance,
      jobName: 'retrain',
      config: { train_model: { learningRate: 0.1 }, retrain: { months: 3 } },
    });
    const failed = await executeRun({ defs, runId: run.runId, instance });
    expect(failed.status).toBe('FAILURE');
    failTraining = false;
    const again = await reexecuteFromFailure({ defs, runId: run.runId, instance });
    expect(again.status).toBe('SUCCESS');
    expect(again.config).toEqual(run.config);
    expect(again.jobName).toBe('retrain');
    expect(again.assetKeys).toEqual(['train_model']);
    expect(seen.at(-1)).toEqual({ config: { learningRate: 0.1, trees: 100 }, job: { months: 3 } });
  });

  it("a sensor's RunRequest.config reaches the run, and an invalid one is refused", async () => {
    const launched = await launchRunRequest({
      defs,
      instance,
      instigatorName: 'new_data',
      instigatorType: 'SENSOR',
      jobName: 'retrain',
      request: { runKey: 'k1', config: { train_model: { learningRate: 0.25 } } },
    });
    expect((await instance.runs.getRun(launched.runId))?.config).toEqual({
      train_model: { learningRate: 0.25 },
    });
    await expect(
      launchRunRequest({
        defs,
        instance,
        instigatorName: 'new_data',
        instigatorType: 'SENSOR',
        jobName: 'retrain',
        request: { runKey: 'k2', config: { train_model: { learningRate: -1 } } },
      }),
    ).rejects.toThrow(/config\.train_model\.learningRate: Too small/);
  });

  it('rejects a job and an asset of the same name that both take config', () => {
    expect(
      () =>
        new Definitions({
          assets: [features, trainModel],
          jobs: [defineJob({ name: 'train_model', select: '*', config: z.object({}) })],
        }),
    ).toThrow(/Job "train_model" and asset "train_model" both declare a config schema/);
  });
});
