/**
 * Restores any lakeloop model from its JSON form, dispatching on the `format` field.
 *
 * @example
 * ```ts
 * const model = modelFromJSON(JSON.parse(readFileSync('model.json', 'utf8')));
 * const p = model.predict(features, rows);
 * ```
 */
import { LakeloopError } from '../errors.js';
import { GradientBoostingModel } from './gradient-boosting-model.js';
import { LogisticRegressionModel } from './logistic-regression.js';

/** Any model lakeloop trains. */
export type TrainedModel = GradientBoostingModel | LogisticRegressionModel;

/** Restores a model saved with `toJSON()`; throws INVALID_ARGUMENT for anything else. */
export function modelFromJSON(json: unknown): TrainedModel {
  const format =
    typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined;
  switch (format) {
    case 'lakeloop.gradient-boosting':
      return GradientBoostingModel.fromJSON(json);
    case 'lakeloop.logistic-regression':
      return LogisticRegressionModel.fromJSON(json);
    default:
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Unknown model format ${JSON.stringify(format)}; expected "lakeloop.gradient-boosting" or "lakeloop.logistic-regression".`,
      );
  }
}
