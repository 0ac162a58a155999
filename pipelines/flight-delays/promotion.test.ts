/**
 * Promotion as structure: `promote_model` moves `@champion` with the verdict's reason, only when
 * `evaluate_model`'s blocking checks passed (a failed one skips it), leaves the alias for a
 * verdict that must not promote (older data), and is idempotent when executed again (the alias
 * history gets no second entry). Real embedded registry and tracking store; the upstream
 * `evaluate_model` is a stand-in asset of the same key returning a chosen verdict.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineAsset, Definitions, Instance, materialize } from 'lakeloop';
import { openRegistry, openTracking, registryResource } from 'lakeloop/tracking';
import type { ModelRegistry, TrackingStore } from 'lakeloop/tracking';
import { closeProcessResources } from 'lakeloop';
import { aucFloorCheck, CHAMPION_ALIAS, notWorseThanChampionCheck } from './evaluate-model-asset.js';
import type { EvaluationValue, PromotionVerdict } from './evaluate-model-asset.js';
import { promoteModel } from './promote-model-asset.js';

const MODEL = 'flight-delays';

let home: string;
let instance: Instance;
let tracking: TrackingStore;
let registry: ModelRegistry;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'lakeloop-promotion-'));
  instance = await Instance.open(home);
  tracking = openTracking({ home, env: {} });
  registry = openRegistry({ home, env: {} });
});

afterEach(async () => {
  await closeProcessResources(home);
  await instance.close();
  await tracking.close();
  await registry.close();
  rmSync(home, { recursive: true, force: true });
});

/** Registers a version (from a real training run) and returns its number. */
async function registerVersion(): Promise<string> {
  const experiment = await tracking.getOrCreateExperiment('flight-delays');
  const run = await tracking.createRun({ experimentId: experiment.experimentId });
  return (await registry.registerModel(MODEL, { runId: run.info.runId })).version;
}

function verdict(overrides: Partial<PromotionVerdict>): PromotionVerdict {
  return {
    aucFloor: { passed: true, description: 'AUC 0.7000 >= floor 0.6000.' },
    notWorseThanChampion: { passed: true, description: 'No champion yet: promote (auc 0.7000).' },
    passed: true,
    promote: true,
    reason: 'AUC 0.7000 >= floor 0.6000. No champion yet: promote (auc 0.7000).',
    ...overrides,
  };
}

/** Definitions of a stand-in evaluate_model returning `value`, the real checks and promote_model. */
function defsEvaluating(value: EvaluationValue): Definitions {
  const evaluate = defineAsset({ key: 'evaluate_model', compute: () => value });
  return new Definitions({
    assets: [evaluate, promoteModel],
    checks: [aucFloorCheck, notWorseThanChampionCheck],
    resources: { registry: registryResource({ env: {} }) },
  });
}

function evaluation(version: string, v: PromotionVerdict): EvaluationValue {
  return {
    modelName: MODEL,
    version,
    auc: 0.7,
    logLoss: 0.4,
    calibration: [],
    testRows: 100,
    evaluationMonth: '2001-02',
    champion: undefined,
    verdict: v,
    aucFloor: 0.6,
    aucTolerance: 0.005,
  };
}

describe('promote_model', () => {
  it('moves the champion with the verdict’s reason, once: executing it again records nothing', async () => {
    const version = await registerVersion();
    const defs = defsEvaluating(evaluation(version, verdict({})));
    const first = await materialize(defs, { instance, select: '*' });
    expect(first.status).toBe('SUCCESS');
    expect((await registry.getModelVersionByAlias({ name: MODEL, alias: CHAMPION_ALIAS })).version).toBe(
      version,
    );
    const again = await materialize(defs, { instance, select: 'promote_model' }); // as a re-execution would
    expect(again.status).toBe('SUCCESS');
    const history = await registry.aliasHistory(MODEL, { alias: CHAMPION_ALIAS });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      fromVersion: undefined,
      toVersion: version,
      reason: 'AUC 0.7000 >= floor 0.6000. No champion yet: promote (auc 0.7000).',
      by: `lakeloop run ${first.runId} (promote_model)`,
    });
  });

  it('is skipped when a blocking check of evaluate_model fails, and the champion stays', async () => {
    const champion = await registerVersion();
    await registry.setAlias(MODEL, CHAMPION_ALIAS, champion, { reason: 'first' });
    const challenger = await registerVersion();
    const worse = verdict({
      notWorseThanChampion: {
        passed: false,
        description: 'auc 0.6000 < champion v1 0.7000 - 0.005: keep the champion v1.',
      },
      passed: false,
      promote: false,
      reason: '',
    });
    const run = await materialize(defsEvaluating(evaluation(challenger, worse)), { instance, select: '*' });
    expect(run.status).toBe('FAILURE');
    expect(run.error?.message).toContain('not_worse_than_champion');
    const steps = await instance.events.getEvents({ runId: run.runId });
    expect(steps.filter((e) => e.type === 'STEP_SKIPPED').map((e) => e.stepKey)).toEqual(['promote_model']);
    expect((await registry.getModelVersionByAlias({ name: MODEL, alias: CHAMPION_ALIAS })).version).toBe(
      champion,
    );
    expect(await registry.aliasHistory(MODEL, { alias: CHAMPION_ALIAS })).toHaveLength(1);
  });

  it('leaves the alias for a verdict that passes but must not promote (older data than the champion)', async () => {
    const champion = await registerVersion();
    await registry.setAlias(MODEL, CHAMPION_ALIAS, champion, { reason: 'newer data' });
    const older = await registerVersion();
    const notPromoted = verdict({
      notWorseThanChampion: {
        passed: true,
        description: `Trained on older data than champion v${champion}: not compared, never promoted.`,
      },
      promote: false,
    });
    const run = await materialize(defsEvaluating(evaluation(older, notPromoted)), { instance, select: '*' });
    expect(run.status).toBe('SUCCESS');
    expect((await registry.getModelVersionByAlias({ name: MODEL, alias: CHAMPION_ALIAS })).version).toBe(
      champion,
    );
  });
});
