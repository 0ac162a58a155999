/**
 * `lakeloop/ml`: training in TypeScript (histogram gradient boosting, logistic regression),
 * classification metrics and ONNX export.
 *
 * @example
 * ```ts
 * import { trainGradientBoosting, rocAuc } from 'lakeloop/ml';
 * const model = await trainGradientBoosting(train, { maxIterations: 100, maxLeaves: 31 });
 * const auc = rocAuc({ labels: test.labels, scores: model.predict(test.features, test.rows) });
 * const onnxBytes = model.toOnnx();
 * ```
 */
export { validateTrainingData, TrainingDataError } from './tabular-data.js';
export type { TabularData, TrainingDataProblem, ValidateTrainingDataOptions } from './tabular-data.js';
export { accuracy, calibrationTable, logLoss, rocAuc, thresholdMetrics } from './classification-metrics.js';
export type {
  CalibrationBin,
  CalibrationOptions,
  LogLossOptions,
  ScoredLabels,
  ThresholdMetrics,
  ThresholdOptions,
} from './classification-metrics.js';
export { trainGradientBoosting } from './gradient-boosting-trainer.js';
export type { GradientBoostingParams, BoostingProgress } from './gradient-boosting-trainer.js';
export { GradientBoostingModel } from './gradient-boosting-model.js';
export type {
  GradientBoostingObjective,
  GradientBoostingModelJson,
  FeatureImportance,
  TreeArrays,
  PredictOptions,
} from './gradient-boosting-model.js';
export { trainLogisticRegression, LogisticRegressionModel } from './logistic-regression.js';
export type { LogisticRegressionParams, LogisticRegressionModelJson } from './logistic-regression.js';
export { minimizeLbfgs } from './lbfgs-optimizer.js';
export type { LbfgsOptions, LbfgsResult } from './lbfgs-optimizer.js';
export { makeSyntheticData } from './synthetic-data.js';
export type { SyntheticDataOptions } from './synthetic-data.js';
export { modelFromJSON } from './model-json.js';
export type { TrainedModel } from './model-json.js';
export { championGate, compareScores, GATE_METRICS } from './champion-gate.js';
export type {
  ChampionGateOptions,
  GateMetricDefinition,
  GateMetricName,
  GateScorer,
  GateVerdict,
} from './champion-gate.js';
