/**
 * The `ModelRegistry` interface: registered models, their versions and aliases (MLflow's model
 * registry). `champion` is the alias the pipeline moves when quality gates pass.
 *
 * @example
 * ```ts
 * await using registry = await openRegistry();
 * await registry.getOrCreateRegisteredModel({ name: 'flight-delays' });
 * const version = await registry.createModelVersion({ name: 'flight-delays', runId, artifactPath: 'model' });
 * await registry.setAlias({ name: 'flight-delays', alias: 'champion', version: version.version });
 * ```
 */
import { LakeloopError } from '../errors.js';
import type { ModelVersion, RegisteredModel } from './tracking-types.js';

/** Options of {@link ModelRegistry.createRegisteredModel}. */
export interface CreateRegisteredModelOptions {
  name: string;
  description?: string;
  tags?: Readonly<Record<string, string>>;
}

/** Options of {@link ModelRegistry.createModelVersion}. */
export interface CreateModelVersionOptions {
  /** The registered model (must exist). */
  name: string;
  /** The run whose artifact holds the model folder. */
  runId: string;
  /** Path of the model folder inside the run's artifacts. Default `'model'`. */
  artifactPath?: string;
  description?: string;
  /** E.g. `lakeloop.data_commit` and `lakeloop.pipeline_run_id` (see `LineageTag`). */
  tags?: Readonly<Record<string, string>>;
}

/** Options of {@link ModelRegistry.searchModelVersions}. */
export interface SearchModelVersionsOptions {
  /** Versions of this registered model. */
  name: string;
  /** Default 1000. */
  maxResults?: number;
}

/** Identifies an alias of a registered model. */
export interface AliasRef {
  name: string;
  alias: string;
}

/** Registered models, model versions and aliases. */
export interface ModelRegistry extends AsyncDisposable {
  /** A description of the backend (never credentials). */
  readonly uri: string;

  /** Creates a registered model; ALREADY_EXISTS when the name is taken. */
  createRegisteredModel(options: CreateRegisteredModelOptions): Promise<RegisteredModel>;
  /** Returns the registered model, creating it when missing. */
  getOrCreateRegisteredModel(options: CreateRegisteredModelOptions): Promise<RegisteredModel>;
  /** Returns a registered model with its aliases; NOT_FOUND when unknown. */
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** Lists registered models, optionally those whose name contains `nameContains`, by name. */
  searchRegisteredModels(options?: {
    nameContains?: string;
    maxResults?: number;
  }): Promise<RegisteredModel[]>;

  /** Registers a new version from a run's model artifact folder. */
  createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion>;
  /** Returns one version; NOT_FOUND when the model or the version is unknown. */
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  /** Versions of a registered model, newest first. */
  searchModelVersions(options: SearchModelVersionsOptions): Promise<ModelVersion[]>;

  /** Points `alias` at `version` (moving it when it pointed elsewhere). */
  setAlias(options: AliasRef & { version: string }): Promise<void>;
  /** Removes an alias; NOT_FOUND when the model or the alias is unknown. */
  deleteAlias(options: AliasRef): Promise<void>;
  /** The version `name@alias` points at; NOT_FOUND when unknown. */
  getModelVersionByAlias(options: AliasRef): Promise<ModelVersion>;

  /** Releases resources. */
  close(): Promise<void>;
}

/** Parses `name@alias` or `name/version` (also with a `models:/` prefix). */
export function parseModelRef(
  ref: string,
):
  | { name: string; alias: string; version?: undefined }
  | { name: string; version: string; alias?: undefined } {
  const body = ref.startsWith('models:/') ? ref.slice('models:/'.length) : ref;
  const at = body.lastIndexOf('@');
  if (at > 0 && at < body.length - 1) return { name: body.slice(0, at), alias: body.slice(at + 1) };
  const slash = body.lastIndexOf('/');
  if (slash > 0 && /^\d+$/.test(body.slice(slash + 1))) {
    return { name: body.slice(0, slash), version: body.slice(slash + 1) };
  }
  throw new LakeloopError(
    'INVALID_ARGUMENT',
    `"${ref}" is not a model reference; write "<name>@<alias>" or "<name>/<version>".`,
  );
}
