/**
 * `lakeloop/data`: versioned data with lakeFS semantics. An embedded repository under the instance
 * home (default) or a lakeFS server, behind one `DataRepository` interface; `lakefs://` URIs;
 * a resolver to local files for DuckDB; and `importChunks` to load a table period by period.
 *
 * @example
 * ```ts
 * import { openDataRepository, importChunks, resolveToLocalPath } from 'lakeloop/data';
 * await using data = await openDataRepository({ home: '.lakeloop' });
 * await data.createRepository({ name: 'flights' });
 * await importChunks({ data, file: 'flights-3m.parquet', repository: 'flights', branch: 'main', column: 'date', until: '2001-07-01' });
 * const file = await resolveToLocalPath(data, 'lakefs://flights/main/flights-3m/2001-01.parquet', { cacheDir: '.lakeloop/data/cache' });
 * ```
 */
export type {
  BranchAddress,
  Commit,
  CommitEvent,
  CommitOptions,
  CreateRepositoryOptions,
  DataBackendKind,
  DataRepository,
  DataRepositoryCapabilities,
  DiffEntry,
  DiffOptions,
  DiffType,
  ListObjectsOptions,
  LogOptions,
  MergeOptions,
  MergeResult,
  MergeStrategy,
  ObjectAddress,
  ObjectContent,
  ObjectListEntry,
  ObjectStat,
  Page,
  PageOptions,
  PutObjectOptions,
  RefInfo,
  RepositoryInfo,
  RevertOptions,
} from './data-repository.js';
export { MERGE_STRATEGIES } from './data-repository.js';
export {
  DEFAULT_PAGE_SIZE,
  checkBranchName,
  checkObjectMetadata,
  checkObjectPath,
  checkParentNumber,
  checkRef,
  checkRepositoryName,
  checkTagName,
} from './data-names.js';
export { summarizeDiff } from './diff-summary.js';
export type { DiffSummary, DiffSummaryRow, DiffTotals, SummarizeDiffOptions } from './diff-summary.js';
export { DATA_URI_SCHEME, formatDataUri, isDataUri, parseDataUri } from './data-uri.js';
export type { DataUri } from './data-uri.js';
export { EmbeddedDataRepository } from './local/embedded-data-repository.js';
export type { EmbeddedDataRepositoryOptions, GcOptions, GcResult } from './local/embedded-data-repository.js';
export { LakeFsDataRepository } from './lakefs/lakefs-data-repository.js';
export type { LakeFsDataRepositoryOptions } from './lakefs/lakefs-data-repository.js';
export { resolveLakeFsConfig } from './lakefs/lakefs-config.js';
export type { LakeFsConfig, ResolveLakeFsConfigOptions } from './lakefs/lakefs-config.js';
export { createDataRepository, openDataRepository } from './data-repository-factory.js';
export type { OpenDataRepositoryOptions } from './data-repository-factory.js';
export { resolveDataFile, resolveToLocalPath } from './local-path-resolver.js';
export type { ResolveToLocalPathOptions, ResolvedDataFile } from './local-path-resolver.js';
export { CHUNK_PERIODS, importChunks } from './chunk-import.js';
export type {
  ChunkPeriod,
  ImportChunksOptions,
  ImportChunksResult,
  ImportProgress,
  ImportedChunk,
} from './chunk-import.js';
export { lakeloopDataCacheDir } from './data-paths.js';
export { TABLE_FORMATS, openData, readJson, readTable, readText, tableFormatOf } from './data-readers.js';
export type { DataTable, ReadObjectOptions, ReadTableOptions, TableFormat } from './data-readers.js';
export { copyResultColumns } from './duckdb-columns.js';
export type { TableColumn, TableColumns } from './duckdb-columns.js';
export { resolveDataFiles } from './data-file-set.js';
export type { DataFileSet, LocalDataFile, ResolveDataFilesOptions } from './data-file-set.js';
export { dataCommitTagOf, dataRepositoryResource } from './data-resource.js';
export type {
  DataRepositoryResourceOptions,
  DataRepositoryResourceValue,
  DataRepositoryView,
} from './data-resource.js';
export {
  DATA_BRANCH_TAG,
  DATA_COMMIT_TAG,
  DATA_REPOSITORY_TAG,
  dataCommitSensor,
  dataCommitWakeKey,
} from './data-commit-sensor.js';
export type {
  CommitLogReader,
  CommitNotification,
  CommitNotifier,
  DataCommitSensorSpec,
  SensedCommit,
} from './data-commit-sensor.js';
export {
  branchPatternMatches,
  branchProtectionEtag,
  checkBranchPatterns,
  protectingPattern,
} from './branch-protection.js';
export type { BranchProtection, ProtectedAction, SetBranchProtectionOptions } from './branch-protection.js';
export {
  DATA_HOOK_EVENTS,
  createDataHookRunner,
  dataHooksOf,
  defineDataHook,
  describeEvaluation,
} from './data-hooks.js';
export type {
  DataHook,
  DataHookEvaluation,
  DataHookEvent,
  DataHookReport,
  DataHookRequest,
  DataHookRunner,
  DataHookRunnerOptions,
  DataHookSpec,
  DataSnapshot,
} from './data-hooks.js';
