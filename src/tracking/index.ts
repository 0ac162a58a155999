/**
 * `lakeloop/tracking`: experiment tracking and the model registry, in MLflow's vocabulary, on an
 * embedded SQLite store (default) or a real MLflow tracking server (`MLFLOW_TRACKING_URI`).
 *
 * @example
 * ```ts
 * import { openTracking, openRegistry, logModel } from 'lakeloop/tracking';
 *
 * await using tracking = openTracking();
 * await using registry = openRegistry();
 * const experiment = await tracking.getOrCreateExperiment('flight-delays');
 * const run = await tracking.createRun({ experimentId: experiment.experimentId, name: 'train' });
 * await tracking.logBatch(run.info.runId, { params: { lr: 0.1 }, metrics: [{ key: 'auc', value: 0.79 }] });
 * await logModel(tracking, run.info.runId, { onnx, signature });
 * await tracking.endRun(run.info.runId, 'FINISHED');
 * await registry.getOrCreateRegisteredModel({ name: 'flight-delays' });
 * const version = await registry.createModelVersion({ name: 'flight-delays', runId: run.info.runId });
 * await registry.setAlias({ name: 'flight-delays', alias: 'champion', version: version.version });
 * ```
 */
export { LineageTag, TERMINAL_RUN_STATUSES, TrackingRunStatus } from './tracking-types.js';
export type {
  AliasMove,
  ArtifactInfo,
  DatasetInput,
  Experiment,
  LogBatch,
  Metric,
  MetricComparator,
  MetricInput,
  ModelVersion,
  RegisteredModel,
  SearchRunsPage,
  SearchRunsPageQuery,
  SearchRunsQuery,
  StringComparator,
  StringFilter,
  TrackingRun,
  TrackingRunInfo,
} from './tracking-types.js';
export type { CreateRunOptions, DownloadArtifactsOptions, TrackingStore } from './tracking-store.js';
export { parseModelRef } from './model-registry.js';
export { rollbackAlias } from './alias-rollback.js';
export type { RollbackAliasOptions, RollbackResult } from './alias-rollback.js';
export type {
  AliasHistoryOptions,
  AliasMoveOptions,
  AliasRef,
  CreateModelVersionOptions,
  CreateRegisteredModelOptions,
  ModelRegistry,
  RegisterModelOptions,
  SearchModelVersionsOptions,
  SearchRegisteredModelsOptions,
  FindModelVersionsOptions,
  SetAliasOptions,
} from './model-registry.js';
export { TrackingLimits, normalizeArtifactPath } from './tracking-validation.js';
export { parseRunFilter, parseRunOrder } from './run-filter.js';
export type { RunFilter, RunOrder } from './run-filter.js';
export { downsampleMetric } from './metric-downsampling.js';
export type { DownsampledMetric, DownsampleOptions } from './metric-downsampling.js';
export { resolveTrackingUri } from './tracking-uri.js';
export type { ResolveTrackingUriOptions, TrackingTarget } from './tracking-uri.js';
export { openTracking, openRegistry } from './open-tracking.js';
export type { OpenTrackingOptions } from './open-tracking.js';
export { LocalTrackingStore } from './local/local-tracking-store.js';
export type { LocalTrackingStoreOptions } from './local/local-tracking-store.js';
export { LocalModelRegistry } from './local/local-model-registry.js';
export type { LocalModelRegistryOptions } from './local/local-model-registry.js';
export { MlflowTrackingStore } from './mlflow/mlflow-tracking-store.js';
export type { MlflowTrackingStoreOptions } from './mlflow/mlflow-tracking-store.js';
export { MlflowModelRegistry } from './mlflow/mlflow-model-registry.js';
export type { MlflowModelRegistryOptions } from './mlflow/mlflow-model-registry.js';
export type { MlflowAuth } from './mlflow/mlflow-rest-client.js';
export { writeMlflowModelFolder } from './model/mlflow-model-folder.js';
export type {
  ColumnSpec,
  ColumnType,
  InputExample,
  MlflowModelFolder,
  ModelSignature,
  TensorSpec,
  WriteMlflowModelFolderOptions,
} from './model/mlflow-model-folder.js';
export { inferSignature, logModel } from './model/model-logging.js';
export type { LoggableModel, LogModelOptions } from './model/model-logging.js';
export { loadModel } from './model/model-loading.js';
export type { LoadModelOptions, ModelScorer, ScorerRows } from './model/model-loading.js';
export { MetricBuffer } from './metric-buffer.js';
export type { MetricBufferOptions } from './metric-buffer.js';
export { trackingResource, lineageTagsOf } from './resources/tracking-resource.js';
export type {
  StartRunOptions,
  StepTracking,
  TrackingResourceOptions,
} from './resources/tracking-resource.js';
export { parseStepMover, registryResource, stepMover } from './resources/registry-resource.js';
export { ActiveTrainingRun } from './resources/active-training-run.js';
export type { ParamValue, TrainingRunEndStatus } from './resources/active-training-run.js';
