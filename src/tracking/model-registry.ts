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
import type { AliasMove, ModelVersion, RegisteredModel } from './tracking-types.js';

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

/** Options of {@link ModelRegistry.searchRegisteredModels}. */
export interface SearchRegisteredModelsOptions {
  nameContains?: string;
  /** Only the models whose name sorts after this one (the cursor of a page). */
  after?: string;
  /** Default 1000. */
  maxResults?: number;
}

/** Options of {@link ModelRegistry.searchModelVersions}. */
export interface SearchModelVersionsOptions {
  /** Versions of this registered model. */
  name: string;
  /** Only the versions older than this one (the cursor of a page, newest first). */
  belowVersion?: string;
  /** Default 1000. */
  maxResults?: number;
}

/**
 * Options of {@link ModelRegistry.findModelVersions}: one condition — a version tag's exact value, or
 * the training run a version was registered from — over every registered model.
 */
export type FindModelVersionsOptions = (
  { tag: { key: string; value: string }; runId?: undefined } | { runId: string; tag?: undefined }
) & {
  /** Default 1000. */
  maxResults?: number;
};

/** Identifies an alias of a registered model. */
export interface AliasRef {
  name: string;
  alias: string;
}

/** Options of {@link ModelRegistry.registerModel}: the version to register. */
export interface RegisterModelOptions {
  /** The run whose artifact holds the model folder. */
  runId: string;
  /** Path of the model folder inside the run's artifacts. Default `'model'`. */
  artifactPath?: string;
  /** Tags of the new version (e.g. {@link LineageTag}s). */
  tags?: Readonly<Record<string, string>>;
  /** Description of the new version. */
  description?: string;
}

/** Why and by whom an alias moves (recorded in its history, see {@link ModelRegistry.aliasHistory}). */
export interface AliasMoveOptions {
  /** Why it moved, e.g. `'AUC 0.791 >= champion 0.788 - 0.002'`. Default `''`. */
  reason?: string;
  /** Who moved it. Default `process.env.USER`, else `'unknown'` (a step's registry: the pipeline run). */
  by?: string;
}

/** Options of {@link ModelRegistry.setAlias} in its one-object form. */
export interface SetAliasOptions extends AliasRef, AliasMoveOptions {
  version: string;
}

/** Options of {@link ModelRegistry.aliasHistory}. */
export interface AliasHistoryOptions {
  /** Only the moves of this alias. Default: every alias of the model. */
  alias?: string;
  /** Only the moves to or from this version (e.g. lineage of one version). */
  version?: string;
  /** Only the moves at or before this epoch ms (e.g. the alias when a version was registered). */
  notAfter?: number;
  /** Default 1000. */
  maxResults?: number;
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
  /**
   * Lists registered models by name (code point order), optionally those whose name contains
   * `nameContains`, and only those named after `after` (the cursor of a page).
   */
  searchRegisteredModels(options?: SearchRegisteredModelsOptions): Promise<RegisteredModel[]>;

  /**
   * Registers a new version of `name` from a run's model folder, creating the registered model
   * first when it is missing (MLflow's `register_model`; a concurrent create of the same name is fine).
   */
  registerModel(name: string, options: RegisterModelOptions): Promise<ModelVersion>;
  /** Registers a new version from a run's model artifact folder (the registered model must exist). */
  createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion>;
  /** Returns one version; NOT_FOUND when the model or the version is unknown. */
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  /** Versions of a registered model, newest first. */
  searchModelVersions(options: SearchModelVersionsOptions): Promise<ModelVersion[]>;
  /**
   * The versions of any registered model with a tag of that value (e.g. `lakeloop.pipeline_run_id`)
   * or registered from that training run, by model name then newest first; an index lookup, not a
   * scan of the models.
   */
  findModelVersions(options: FindModelVersionsOptions): Promise<ModelVersion[]>;

  /**
   * Points `alias` at `version` (moving it when it pointed elsewhere) and records the move in the
   * alias history (from, to, when, why, by whom). Setting it to the version it already points at
   * records nothing.
   */
  setAlias(options: SetAliasOptions): Promise<void>;
  setAlias(name: string, alias: string, version: string, options?: AliasMoveOptions): Promise<void>;
  /** Removes an alias (recorded as a move to no version); NOT_FOUND when the model or the alias is unknown. */
  deleteAlias(options: AliasRef & AliasMoveOptions): Promise<void>;
  /** Every recorded move of the model's aliases (or of one alias), newest first. */
  aliasHistory(name: string, options?: AliasHistoryOptions): Promise<AliasMove[]>;
  /** The version `name@alias` points at; NOT_FOUND when unknown. */
  getModelVersionByAlias(options: AliasRef): Promise<ModelVersion>;
  /**
   * Subscribes to the alias moves made through this registry object, pushed once they are
   * committed (`lakeloop serve` in the same process swaps at once). Returns the unsubscribe
   * function. The embedded registry implements it; moves by other processes and MLflow servers
   * (no push channel) are seen by polling {@link getModelVersionByAlias}.
   */
  onAliasMoved?(listener: (move: AliasMove) => void): () => void;

  /** Releases resources. */
  close(): Promise<void>;
}

/** The arguments of either form of {@link ModelRegistry.setAlias}, as one object with `by` resolved. */
export function setAliasArguments(
  args: [SetAliasOptions] | [string, string, string, AliasMoveOptions?],
  defaultBy?: string,
): Required<SetAliasOptions> {
  const options: SetAliasOptions =
    typeof args[0] === 'string'
      ? { name: args[0], alias: args[1] as string, version: args[2] as string, ...args[3] }
      : args[0];
  return {
    name: options.name,
    alias: options.alias,
    version: options.version,
    reason: options.reason ?? '',
    by: options.by ?? defaultBy ?? defaultAliasMover(),
  };
}

/** Who moves an alias when the caller does not say: `$USER`, else `'unknown'`. */
export function defaultAliasMover(): string {
  const user = process.env.USER;
  return user === undefined || user === '' ? 'unknown' : user;
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
