/**
 * The champion/challenger promotion gate: score the current champion on the same new rows as the
 * challenger, compare with a tolerance, and return a typed verdict that says why. With no
 * champion, the challenger is promoted (and the verdict says so). It lives in `lakeloop/ml`
 * because it is metrics over scores: the scorers are structural (anything with `predict`, e.g.
 * `loadModel`'s scorer or a trained model wrapped in one line), so it depends on no store.
 *
 * @example
 * ```ts
 * await using champion = await loadModel('models:/flights@champion', { registry, tracking }).catch(() => undefined);
 * const verdict = await championGate({
 *   challenger: { scores: model.predict(test.features, test.rows) },
 *   champion,
 *   rows: test.features,
 *   labels: test.labels,
 *   metric: 'auc',
 *   tolerance: 0.002,
 * });
 * if (verdict.promote) await registry.setAlias('flights', 'champion', version, { reason: verdict.reason });
 * ```
 */
import { LakeloopError } from '../errors.js';
import { logLoss, rocAuc } from './classification-metrics.js';

/** A model that scores rows (P(y=1) per row). `version` names it in the verdict's reason. */
export interface GateScorer<TRows> {
  readonly version?: string | undefined;
  predict(rows: TRows): ArrayLike<number> | Promise<ArrayLike<number>>;
}

/** A metric of labels and scores. */
export interface GateMetricDefinition {
  readonly name: string;
  readonly higherIsBetter: boolean;
  score(labels: ArrayLike<number>, scores: ArrayLike<number>): number;
}

/** Built-in metrics: `auc` (higher is better) and `log_loss` (lower is better). */
export const GATE_METRICS = {
  auc: { name: 'auc', higherIsBetter: true, score: (labels, scores) => rocAuc({ labels, scores }) },
  log_loss: {
    name: 'log_loss',
    higherIsBetter: false,
    score: (labels, scores) => logLoss({ labels, scores }),
  },
} as const satisfies Record<string, GateMetricDefinition>;

/** A built-in metric's name. */
export type GateMetricName = keyof typeof GATE_METRICS;

/** Options of {@link championGate}. */
export interface ChampionGateOptions<TRows> {
  /** The new model, or its scores on `rows` when already computed. */
  challenger: GateScorer<TRows> | { readonly scores: ArrayLike<number>; readonly version?: string };
  /** The current champion; undefined when there is none (the challenger is promoted). */
  champion: GateScorer<TRows> | undefined;
  /** The new rows both are scored on. */
  rows: TRows;
  /** Their labels (0/1). */
  labels: ArrayLike<number>;
  /** Default `'auc'`. */
  metric?: GateMetricName | GateMetricDefinition;
  /** How much worse than the champion the challenger may be and still be promoted. Default 0. */
  tolerance?: number;
  /** Default: the metric's own (true for `auc`, false for `log_loss`). */
  higherIsBetter?: boolean;
}

/** The gate's decision. */
export interface GateVerdict {
  promote: boolean;
  /** One sentence, e.g. `auc 0.7912 >= champion v3 0.7890 - 0.002: promote`. */
  reason: string;
  metric: string;
  challengerScore: number;
  /** Undefined when there is no champion. */
  championScore: number | undefined;
  /** challengerScore - championScore (undefined without a champion). */
  delta: number | undefined;
  /** The comparison applied, e.g. `challenger >= champion - 0.002`. */
  rule: string;
  tolerance: number;
  championVersion: string | undefined;
}

/** Scores the champion on the challenger's rows and decides (see the module comment). */
export async function championGate<TRows>(options: ChampionGateOptions<TRows>): Promise<GateVerdict> {
  const metric = typeof options.metric === 'object' ? options.metric : GATE_METRICS[options.metric ?? 'auc'];
  const challengerScores =
    'scores' in options.challenger
      ? options.challenger.scores
      : await options.challenger.predict(options.rows);
  const championScores =
    options.champion === undefined ? undefined : await options.champion.predict(options.rows);
  return compareScores({
    metric: metric.name,
    challengerScore: metric.score(options.labels, challengerScores),
    championScore: championScores === undefined ? undefined : metric.score(options.labels, championScores),
    championVersion: options.champion?.version,
    tolerance: options.tolerance ?? 0,
    higherIsBetter: options.higherIsBetter ?? metric.higherIsBetter,
  });
}

/**
 * The verdict for two metric values (the pure part of {@link championGate}).
 *
 * @example
 * ```ts
 * compareScores({ metric: 'auc', challengerScore: 0.789, championScore: 0.790, tolerance: 0.002, higherIsBetter: true }).promote; // true
 * ```
 */
export function compareScores(options: {
  metric: string;
  challengerScore: number;
  championScore: number | undefined;
  championVersion?: string | undefined;
  tolerance: number;
  higherIsBetter: boolean;
}): GateVerdict {
  const { metric, challengerScore, championScore, tolerance, higherIsBetter } = options;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The gate's tolerance must be a finite number >= 0, not ${tolerance}.`,
    );
  }
  const rule = higherIsBetter
    ? `challenger >= champion - ${tolerance}`
    : `challenger <= champion + ${tolerance}`;
  const base = { metric, challengerScore, tolerance, rule, championVersion: options.championVersion };
  const champion =
    options.championVersion === undefined ? 'champion' : `champion v${options.championVersion}`;
  if (Number.isNaN(challengerScore)) {
    return {
      ...base,
      promote: false,
      championScore,
      delta: undefined,
      reason: `${metric} of the challenger is NaN: keep the ${champion}.`,
    };
  }
  if (championScore === undefined) {
    return {
      ...base,
      promote: true,
      championScore: undefined,
      delta: undefined,
      reason: `No champion yet: promote (${metric} ${format(challengerScore)}).`,
    };
  }
  const delta = challengerScore - championScore;
  // A champion that scores NaN on the new rows cannot be compared: the challenger is promoted.
  const promote = Number.isNaN(championScore)
    ? true
    : higherIsBetter
      ? challengerScore >= championScore - tolerance
      : challengerScore <= championScore + tolerance;
  const comparison = higherIsBetter ? (promote ? '>=' : '<') : promote ? '<=' : '>';
  const sign = higherIsBetter ? '-' : '+';
  const reason = Number.isNaN(championScore)
    ? `${metric} of the ${champion} is NaN on these rows: promote (${format(challengerScore)}).`
    : `${metric} ${format(challengerScore)} ${comparison} ${champion} ${format(championScore)} ${sign} ${tolerance}: ${promote ? 'promote' : `keep the ${champion}`}.`;
  return { ...base, promote, championScore, delta, reason };
}

function format(value: number): string {
  return value.toFixed(4);
}
