/**
 * `promote_model`: moves the `champion` alias to the version `evaluate_model` registered, with the
 * verdict's reason in the alias history. It is downstream of `evaluate_model`, so it runs only
 * when that step's blocking checks (`auc_floor`, `not_worse_than_champion`) passed: promotion is
 * structure, not a branch inside the evaluation. A verdict that passes but must not promote (older
 * data than the champion) leaves the alias where it is. Re-executing it is idempotent: setting
 * the alias to the version it already points at records nothing.
 *
 * @example
 * ```ts
 * await materialize(defs, { select: 'promote_model', instance }); // reads the stored evaluate_model
 * ```
 */
import { defineAsset, isLakeloopError, output } from 'lakeloop';
import type { ModelRegistry } from 'lakeloop/tracking';
import { CHAMPION_ALIAS, evaluateModel } from './evaluate-model-asset.js';
import { flightResources } from './flight-resources.js';

/** The value of `promote_model`. */
export interface PromotionValue {
  modelName: string;
  version: string;
  /** True when `champion` points at {@link version} after this step. */
  champion: boolean;
  /** The champion before this step (undefined: none). */
  previousChampion: string | undefined;
  reason: string;
}

async function championOf(registry: ModelRegistry, name: string): Promise<string | undefined> {
  try {
    return (await registry.getModelVersionByAlias({ name, alias: CHAMPION_ALIAS })).version;
  } catch (error) {
    if (isLakeloopError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

/** The `promote_model` asset. */
export const promoteModel = defineAsset({
  key: 'promote_model',
  deps: [evaluateModel],
  group: 'flight_delays',
  codeVersion: 'promote-model-v1',
  description: 'Moves the `champion` alias to the evaluated version (runs only when its gates passed).',
  resources: { registry: flightResources.registry },
  compute: async (ctx, { evaluate_model: evaluated }) => {
    const { registry } = ctx.resources;
    const { modelName, version, verdict } = evaluated;
    const previousChampion = await championOf(registry, modelName);
    if (verdict.promote) {
      await registry.setAlias(modelName, CHAMPION_ALIAS, version, { reason: verdict.reason });
      ctx.log.info(
        previousChampion === version
          ? `${modelName}@${CHAMPION_ALIAS} already points at v${version}.`
          : `${modelName}@${CHAMPION_ALIAS} -> v${version} (was ${previousChampion === undefined ? 'unset' : `v${previousChampion}`}): ${verdict.reason}`,
      );
    } else {
      ctx.log.info(`${modelName} v${version} is not promoted: ${verdict.notWorseThanChampion.description}`);
    }
    const value: PromotionValue = {
      modelName,
      version,
      champion: verdict.promote || previousChampion === version,
      previousChampion,
      reason: verdict.promote ? verdict.reason : verdict.notWorseThanChampion.description,
    };
    return output(value, {
      metadata: { version, champion: value.champion, previous_champion: previousChampion ?? null },
    });
  },
});
