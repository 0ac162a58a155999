/**
 * lakeloop's core: software-defined assets, their orchestration, and the instance that stores
 * runs and events.
 *
 * @example
 * ```ts
 * import { defineAsset, Definitions, materialize, Instance } from 'lakeloop';
 * const hello = defineAsset({ key: 'hello', compute: () => 'world' });
 * const defs = new Definitions({ assets: [hello] });
 * await using instance = await Instance.ephemeral();
 * const run = await materialize(defs, { select: '*', instance }); // run.status === 'SUCCESS'
 * ```
 */
// The public surface of `lakeloop`, listed name by name: what is not here is internal (modules of
// other layers import what they need by path). Grouped by area; each module's TSDoc explains it.

// Errors and clocks
export {
  ErrorCode,
  LakeloopError,
  describeError,
  exitCodeOf,
  httpStatusOf,
  isLakeloopError,
} from './errors.js';
export type { LakeloopErrorOptions } from './errors.js';
export { manualClock, randomId, systemClock } from './clock.js';
export type { Clock, IdGenerator, ManualClock } from './clock.js';

// Runs and events (records)
export { EventType, FINISHED_RUN_STATUSES, RunStatus } from './core/events/event-types.js';
export type {
  CheckEvaluationData,
  EventRecord,
  MaterializationData,
  RunRecord,
  SerializedError,
  StoredEvent,
} from './core/events/event-types.js';

// Storage (runs, events, schedules)
export type {
  DeleteTicksOptions,
  EventFilter,
  EventLogStorage,
  EventOrder,
  InstigatorState,
  InstigatorStatus,
  InstigatorType,
  LatestMaterialization,
  RunFilter,
  RunOrder,
  RunStorage,
  RunUpdate,
  ScheduleStorage,
  TickRecord,
  TickStatus,
} from './core/storage/storage-types.js';
export type { EventBufferingPolicy, Storages, StorageTopic, StorageWake } from './core/storage/storages.js';
export { openPostgresStorages } from './core/storage/postgres/postgres-storages.js';
export type {
  OpenPostgresStoragesOptions,
  PostgresStorages,
} from './core/storage/postgres/postgres-storages.js';
export { openSqliteStorages } from './core/storage/sqlite/sqlite-storages.js';
export type { OpenSqliteStoragesOptions, SqliteStorages } from './core/storage/sqlite/sqlite-storages.js';
export { createMemoryStorages } from './core/storage/memory/memory-storages.js';
export type { MemoryStorages, MemoryStoragesOptions } from './core/storage/memory/memory-storages.js';

// Definitions: assets, checks, jobs, partitions, resources, run config
export type {
  AssetContext,
  CheckContext,
  LogLevel,
  ResourceMap,
  StepLogger,
} from './core/definitions/asset-context.js';
export { defineAsset, isAssetOutput, output } from './core/definitions/asset-definition.js';
export type {
  AssetDefinition,
  AssetDep,
  AssetInputs,
  AssetOutput,
  AssetSpec,
  AssetValue,
  RetryBackoff,
  RetryJitter,
  RetryPolicy,
} from './core/definitions/asset-definition.js';
export { AssetGraph } from './core/definitions/asset-graph.js';
export { resolveSelection } from './core/definitions/asset-selection.js';
export { defineCheck } from './core/definitions/check-definition.js';
export type {
  CheckDefinition,
  CheckResult,
  CheckSeverity,
  CheckSpec,
} from './core/definitions/check-definition.js';
export {
  DATA_BRANCH_TAG,
  DATA_COMMIT_TAG,
  DATA_REPOSITORY_TAG,
  dataCommitFromTags,
} from './core/definitions/data-commit.js';
export type { DataCommitRef } from './core/definitions/data-commit.js';
export { Definitions, isDefinitions } from './core/definitions/definitions.js';
export type { DefinitionsSpec, ScheduleLike, SensorLike } from './core/definitions/definitions.js';
export { defineJob } from './core/definitions/job-definition.js';
export type { JobDefinition, JobSpec } from './core/definitions/job-definition.js';
export {
  dailyPartitions,
  monthlyPartitions,
  staticPartitions,
} from './core/definitions/partitions-definition.js';
export type {
  PartitionsDefinition,
  PartitionsKind,
  TimeWindow,
  TimeWindowPartitionsOptions,
} from './core/definitions/partitions-definition.js';
export { defineResource, isResourceDefinition } from './core/definitions/resource-definition.js';
export type {
  ResourceBinding,
  ResourceDefinition,
  ResourceLaunchContext,
  ResourceSetupContext,
  ResourceSpec,
  ResourceStep,
  ResourceStepResult,
  ResourceValue,
  ResourceValues,
  ResourcesSpec,
} from './core/definitions/resource-definition.js';
export { validateRunConfig } from './core/definitions/run-config.js';
export type { ConfigSchema, ConfigValue, RunConfig, RunConfigTarget } from './core/definitions/run-config.js';
export type { RunFailureContext, RunFailureHook } from './core/definitions/run-failure-hook.js';
export {
  DEFAULT_SENSOR_INTERVAL_SECONDS,
  defineSensor,
  isSensorDefinition,
} from './core/definitions/sensor-definition.js';
export type {
  RunRequest,
  SensorDefinition,
  SensorEvaluationContext,
  SensorResult,
  SensorSpec,
  SensorWake,
} from './core/definitions/sensor-definition.js';
export {
  defineSchedule,
  isScheduleDefinition,
  latestScheduledTime,
  nextScheduledTime,
  scheduledTimesBetween,
} from './core/definitions/schedule-definition.js';
export type { ScheduleDefinition, ScheduleSpec } from './core/definitions/schedule-definition.js';

// Execution: launching, materializing, following and canceling runs; executors; IO managers
export { RUN_END_EVENT_TYPES, awaitRunHandle, openRunHandle } from './core/execution/run-handle.js';
export type { AwaitRunHandleOptions, RunHandle, RunHandleOptions } from './core/execution/run-handle.js';
export { FAILURE_HOOKS_TAG } from './core/execution/run-failure-hooks.js';
export { deleteRun, markRunFailed } from './core/execution/run-admin.js';
export type { RunAdminOptions } from './core/execution/run-admin.js';
export { OWNER_LOST_TAG, ownerState } from './core/execution/run-ownership.js';
export type { RunOwner } from './core/execution/run-ownership.js';
export { closeProcessResources } from './core/execution/resource-scope.js';
export { assetStatuses, describeStaleReason } from './core/execution/asset-status.js';
export type {
  AssetStatus,
  AssetStatusOptions,
  AssetStatusValue,
  StaleReason,
} from './core/execution/asset-status.js';
export { loadDefinitions } from './core/execution/definitions-loader.js';
export type { LoadDefinitionsOptions } from './core/execution/definitions-loader.js';
export type {
  Executor,
  ExecutorContext,
  ExecutorSession,
  StepChannel,
  StepInput,
  StepOutcome,
  StepTask,
  StepWorkerIdentity,
} from './core/execution/executor.js';
export { inProcessExecutor } from './core/execution/in-process-executor.js';
export type { InProcessExecutorOptions } from './core/execution/in-process-executor.js';
export type {
  IoManager,
  OutputRef,
  PruneValuesOptions,
  PruneValuesResult,
  StoredOutput,
  StoredOutputRef,
} from './core/execution/io/io-manager.js';
export { FilesystemIoManager } from './core/execution/io/filesystem-io-manager.js';
export type { FilesystemIoManagerOptions } from './core/execution/io/filesystem-io-manager.js';
export { ioUrlFromEnv, openIoManager } from './core/execution/io/io-manager-url.js';
export type { OpenIoManagerOptions } from './core/execution/io/io-manager-url.js';
export type { ValueFormat } from './core/execution/io/value-codec.js';
export { multiProcessExecutor } from './core/execution/multi-process/multi-process-executor.js';
export type { MultiProcessExecutorOptions } from './core/execution/multi-process/multi-process-executor.js';
export { retryDelayMs } from './core/execution/retry-policy.js';
export type { RetryDelayOptions } from './core/execution/retry-policy.js';
export { formatStepProgress, stepProgress } from './core/execution/step-progress.js';
export type { ProgressReporter, StepProgress, StepProgressOptions } from './core/execution/step-progress.js';
export { executeRun } from './core/execution/run-execution.js';
export type { ExecuteRunOptions } from './core/execution/run-execution.js';
export {
  ASSET_SELECTION_JOB,
  createRun,
  launchRun,
  materialize,
  reexecuteFromFailure,
  submitRun,
} from './core/execution/run-launcher.js';
export type {
  CreateRunOptions,
  LaunchRunOptions,
  MaterializeOptions,
  ReexecuteOptions,
  SubmitRunOptions,
} from './core/execution/run-launcher.js';
export { cancelRun } from './core/execution/run-cancel.js';
export { summarizeSteps } from './core/execution/run-summary.js';
export type { StepStatus, StepSummary } from './core/execution/run-summary.js';

// The instance and its retention
export { Instance, systemSleep } from './core/instance/instance.js';
export type { EphemeralInstanceOptions, InstanceOptions, Sleep } from './core/instance/instance.js';
export {
  DAY_MS,
  DEFAULT_PRUNE_INTERVAL_MS,
  DEFAULT_VALUE_GRACE_MS,
  parseDuration,
  pruneInstance,
  pruneInstanceIfDue,
  readRetentionConfig,
} from './core/instance/retention.js';
export type {
  PruneInstanceOptions,
  PruneReport,
  PruneStep,
  RetentionConfig,
  RetentionPolicy,
} from './core/instance/retention.js';

// Automation: sensors, schedules, the daemon and its run queue
export {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_TICK_INTERVAL_MS,
  Daemon,
  MAX_AUTOMATIC_REEXECUTIONS,
  daemonHealth,
} from './core/daemon/daemon.js';
export type {
  DaemonHealth,
  DaemonHealthOptions,
  DaemonLogger,
  DaemonOptions,
  DaemonTickResult,
  OrphanedRunPolicy,
} from './core/daemon/daemon.js';
export {
  getInstigator,
  listInstigators,
  resetSensorCursor,
  setInstigatorStatus,
} from './core/daemon/instigator-control.js';
export type { InstigatorControlOptions, InstigatorSummary } from './core/daemon/instigator-control.js';
export {
  DAEMON_ID_TAG,
  DEFAULT_MAX_CONCURRENT_RUNS,
  ONE_RUN_PER_SENSOR,
  PRIORITY_TAG,
} from './core/daemon/run-queue.js';
export type { RunQueueOptions, TagConcurrencyLimit } from './core/daemon/run-queue.js';
export { RUN_KEY_TAG, SCHEDULE_TAG, SENSOR_TAG } from './core/daemon/run-request-launch.js';
export { SCHEDULED_TIME_TAG } from './core/daemon/schedule-loop.js';
export { DEFAULT_SENSOR_EVALUATION_TIMEOUT_MS, sensorStatus } from './core/daemon/sensor-loop.js';
