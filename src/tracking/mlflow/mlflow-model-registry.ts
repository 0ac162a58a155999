/**
 * The {@link ModelRegistry} of a real MLflow tracking server (registered models, model versions,
 * aliases) over its REST API 2.0. A model version's source is the model folder inside its run's
 * artifacts (`mlflow-artifacts:/<exp>/<run>/artifacts/<path>`), which `mlflow.pyfunc.load_model`
 * resolves through `models:/<name>@<alias>`.
 *
 * Retries never create twice: `model-versions/create` carries a `lakeloop.request_id` tag, and
 * before sending it again the registry looks for a version of that run with that tag; a
 * registered model found after an unanswered `registered-models/create` is that create's.
 *
 * @example
 * ```ts
 * const registry = new MlflowModelRegistry({ url: 'http://127.0.0.1:5000' });
 * const champion = await registry.getModelVersionByAlias({ name: 'flight-delays', alias: 'champion' });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { LakeloopError, isLakeloopError } from '../../errors.js';
import { systemClock } from '../../clock.js';
import type { Clock } from '../../clock.js';
import { defaultAliasMover, setAliasArguments } from '../model-registry.js';
import type {
  AliasHistoryOptions,
  AliasMoveOptions,
  AliasRef,
  CreateModelVersionOptions,
  CreateRegisteredModelOptions,
  FindModelVersionsOptions,
  ModelRegistry,
  RegisterModelOptions,
  SearchModelVersionsOptions,
  SearchRegisteredModelsOptions,
  SetAliasOptions,
} from '../model-registry.js';
import { normalizeArtifactPath, validateKey, validateName } from '../tracking-validation.js';
import type { AliasMove, ModelVersion, RegisteredModel } from '../tracking-types.js';
import { aliasMovesFromTags, aliasMoveTag, lastAliasMoveSeq } from './mlflow-alias-history.js';
import { MlflowRestClient, REQUEST_ID_TAG } from './mlflow-rest-client.js';
import type { MlflowRestClientOptions } from './mlflow-rest-client.js';
import {
  ModelVersionSchema,
  RegisteredModelSchema,
  RunSchema,
  toModelVersion,
  toRegisteredModel,
} from './mlflow-schemas.js';

/** Options of {@link MlflowModelRegistry}. */
export interface MlflowModelRegistryOptions extends MlflowRestClientOptions {
  /** Default: the system clock (alias-history timestamps). */
  clock?: Clock;
}

const Empty = z.object({}).loose();
const ModelBody = z.object({ registered_model: RegisteredModelSchema });
const VersionBody = z.object({ model_version: ModelVersionSchema });

/** The MLflow-server {@link ModelRegistry}. */
export class MlflowModelRegistry implements ModelRegistry {
  readonly uri: string;
  readonly client: MlflowRestClient;
  readonly #clock: Clock;

  constructor(options: MlflowModelRegistryOptions) {
    this.client = new MlflowRestClient(options);
    this.#clock = options.clock ?? systemClock;
    this.uri = this.client.url;
  }

  async createRegisteredModel(options: CreateRegisteredModelOptions): Promise<RegisteredModel> {
    validateName('registered model', options.name);
    for (const key of Object.keys(options.tags ?? {})) validateKey('tag', key);
    try {
      await this.client.post(
        'registered-models/create',
        { name: options.name, description: options.description ?? '', tags: pairs(options.tags) },
        ModelBody,
        {
          // Names are unique: a model of this name after an unanswered create is that create's
          // (sending it again would answer RESOURCE_ALREADY_EXISTS for our own model).
          recover: () =>
            this.client
              .get('registered-models/get', { name: options.name }, ModelBody)
              .catch((error: unknown) => {
                if (isLakeloopError(error, 'NOT_FOUND')) return undefined;
                throw error;
              }),
        },
      );
    } catch (error) {
      if (isLakeloopError(error, 'ALREADY_EXISTS')) {
        throw new LakeloopError(
          'ALREADY_EXISTS',
          `A registered model called "${options.name}" already exists; use getOrCreateRegisteredModel or another name.`,
          { cause: error },
        );
      }
      throw error;
    }
    return this.getRegisteredModel(options.name);
  }

  async getOrCreateRegisteredModel(options: CreateRegisteredModelOptions): Promise<RegisteredModel> {
    try {
      return await this.getRegisteredModel(options.name);
    } catch (error) {
      if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    }
    try {
      return await this.createRegisteredModel(options);
    } catch (error) {
      if (isLakeloopError(error, 'ALREADY_EXISTS')) return this.getRegisteredModel(options.name);
      throw error;
    }
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const body = await this.#notFound(
      `Unknown registered model "${name}"; list models with \`lakeloop models list\`.`,
      () => this.client.get('registered-models/get', { name }, ModelBody),
    );
    return toRegisteredModel(body.registered_model);
  }

  async searchRegisteredModels(options: SearchRegisteredModelsOptions = {}): Promise<RegisteredModel[]> {
    const maxResults = options.maxResults ?? 1000;
    const filter =
      options.nameContains === undefined || options.nameContains === ''
        ? undefined
        : `name LIKE '%${escapeLike(options.nameContains)}%'`;
    const models: RegisteredModel[] = [];
    let pageToken: string | undefined;
    do {
      const body = await this.client.get(
        'registered-models/search',
        { filter, max_results: Math.min(maxResults, 1000), order_by: 'name ASC', page_token: pageToken },
        z.object({
          registered_models: z.array(RegisteredModelSchema).default([]),
          next_page_token: z.string().optional(),
        }),
      );
      // MLflow filters names by equality and LIKE only: a page after `after` skips the names before.
      const { after } = options;
      models.push(
        ...body.registered_models.map(toRegisteredModel).filter((m) => after === undefined || m.name > after),
      );
      pageToken = body.next_page_token === '' ? undefined : body.next_page_token;
    } while (pageToken !== undefined && models.length < maxResults);
    return models.slice(0, maxResults).sort((a, b) => a.name.localeCompare(b.name));
  }

  async registerModel(name: string, options: RegisterModelOptions): Promise<ModelVersion> {
    await this.getOrCreateRegisteredModel({ name });
    return this.createModelVersion({ name, ...options });
  }

  async createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion> {
    const artifactPath = normalizeArtifactPath(options.artifactPath ?? 'model');
    for (const key of Object.keys(options.tags ?? {})) validateKey('tag', key);
    await this.getRegisteredModel(options.name);
    const run = await this.#notFound(
      `Unknown training run "${options.runId}"; a model version must come from a run of this tracking server.`,
      () => this.client.get('runs/get', { run_id: options.runId }, z.object({ run: RunSchema })),
    );
    const artifactUri = run.run.info.artifact_uri.replace(/\/+$/, '');
    const requestId = randomUUID();
    const body = await this.client.post(
      'model-versions/create',
      {
        name: options.name,
        source: artifactPath === '' ? artifactUri : `${artifactUri}/${artifactPath}`,
        run_id: options.runId,
        description: options.description ?? '',
        tags: [...pairs(options.tags), { key: REQUEST_ID_TAG, value: requestId }],
      },
      VersionBody,
      { recover: () => this.#findCreatedVersion(options.name, options.runId, requestId) },
    );
    return toModelVersion(body.model_version);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    await this.getRegisteredModel(name);
    if (!/^\d+$/.test(version)) throw unknownVersion(name, version);
    const body = await this.#notFound(unknownVersion(name, version).message, () =>
      this.client.get('model-versions/get', { name, version }, VersionBody),
    );
    return toModelVersion(body.model_version);
  }

  async searchModelVersions(options: SearchModelVersionsOptions): Promise<ModelVersion[]> {
    const maxResults = options.maxResults ?? 1000;
    if (options.name.includes("'")) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Cannot search model "${options.name}": it contains a quote.`,
      );
    }
    const versions: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const body = await this.client.get(
        'model-versions/search',
        {
          filter:
            options.belowVersion === undefined
              ? `name = '${options.name}'`
              : `name = '${options.name}' and version_number < ${versionNumber(options.belowVersion)}`,
          max_results: Math.min(maxResults, 10_000),
          order_by: 'version_number DESC',
          page_token: pageToken,
        },
        z.object({
          model_versions: z.array(ModelVersionSchema).default([]),
          next_page_token: z.string().optional(),
        }),
      );
      versions.push(...body.model_versions.map(toModelVersion));
      pageToken = body.next_page_token === '' ? undefined : body.next_page_token;
    } while (pageToken !== undefined && versions.length < maxResults);
    return versions.sort((a, b) => Number(b.version) - Number(a.version)).slice(0, maxResults);
  }

  async findModelVersions(options: FindModelVersionsOptions): Promise<ModelVersion[]> {
    const maxResults = options.maxResults ?? 1000;
    const filter = findFilter(options);
    const versions: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const body = await this.client.get(
        'model-versions/search',
        { filter, max_results: Math.min(maxResults, 10_000), page_token: pageToken },
        z.object({
          model_versions: z.array(ModelVersionSchema).default([]),
          next_page_token: z.string().optional(),
        }),
      );
      versions.push(...body.model_versions.map(toModelVersion));
      pageToken = body.next_page_token === '' ? undefined : body.next_page_token;
    } while (pageToken !== undefined && versions.length < maxResults);
    return versions
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : Number(b.version) - Number(a.version)))
      .slice(0, maxResults);
  }

  setAlias(options: SetAliasOptions): Promise<void>;
  setAlias(name: string, alias: string, version: string, options?: AliasMoveOptions): Promise<void>;
  async setAlias(...args: [SetAliasOptions] | [string, string, string, AliasMoveOptions?]): Promise<void> {
    const options = setAliasArguments(args);
    validateName('alias', options.alias);
    await this.getModelVersion(options.name, options.version);
    // MLflow has no transaction here: `from` is read just before the move, so two concurrent
    // moves may both record the same `from` (the history still has both).
    const before = await this.#rawModel(options.name);
    const from = before.aliases.find((entry) => entry.alias === options.alias)?.version;
    if (from === options.version) return;
    await this.client.post(
      'registered-models/alias',
      { name: options.name, alias: options.alias, version: options.version },
      Empty,
      { idempotent: true },
    );
    await this.#recordMove(before.tags, {
      alias: options.alias,
      fromVersion: from,
      toVersion: options.version,
      reason: options.reason,
      by: options.by,
      name: options.name,
    });
  }

  async deleteAlias(options: AliasRef & AliasMoveOptions): Promise<void> {
    const before = await this.#rawModel(options.name);
    const from = before.aliases.find((entry) => entry.alias === options.alias)?.version;
    if (from === undefined) throw unknownAlias(options);
    await this.client.delete('registered-models/alias', { name: options.name, alias: options.alias }, Empty);
    await this.#recordMove(before.tags, {
      name: options.name,
      alias: options.alias,
      fromVersion: from,
      toVersion: undefined,
      reason: options.reason ?? '',
      by: options.by ?? defaultAliasMover(),
    });
  }

  async aliasHistory(name: string, options: AliasHistoryOptions = {}): Promise<AliasMove[]> {
    const model = await this.#rawModel(name);
    return aliasMovesFromTags(name, model.tags)
      .filter(
        (move) =>
          (options.alias === undefined || move.alias === options.alias) &&
          (options.version === undefined ||
            move.fromVersion === options.version ||
            move.toVersion === options.version) &&
          (options.notAfter === undefined || move.timestamp <= options.notAfter),
      )
      .slice(0, options.maxResults ?? 1000);
  }

  async getModelVersionByAlias(options: AliasRef): Promise<ModelVersion> {
    const model = await this.getRegisteredModel(options.name);
    // MLflow answers an unknown alias with INVALID_PARAMETER_VALUE; check it here to say NOT_FOUND.
    if (model.aliases[options.alias] === undefined) throw unknownAlias(options);
    const body = await this.#notFound(unknownAlias(options).message, () =>
      this.client.get('registered-models/alias', { name: options.name, alias: options.alias }, VersionBody),
    );
    return toModelVersion(body.model_version);
  }

  async close(): Promise<void> {
    // No resources held.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The registered model as the server sends it (with the alias-history tags). */
  async #rawModel(name: string): Promise<z.infer<typeof RegisteredModelSchema>> {
    const body = await this.#notFound(
      `Unknown registered model "${name}"; list models with \`lakeloop models list\`.`,
      () => this.client.get('registered-models/get', { name }, ModelBody),
    );
    return body.registered_model;
  }

  /** Writes one move as the next history tag (after the move itself: a crash loses the record, never invents one). */
  async #recordMove(
    tagsBefore: readonly { key: string }[],
    move: Omit<AliasMove, 'timestamp'>,
  ): Promise<void> {
    const tag = aliasMoveTag({
      seq: lastAliasMoveSeq(tagsBefore) + 1,
      move: { ...move, timestamp: this.#clock.now() },
    });
    await this.client.post(
      'registered-models/set-tag',
      { name: move.name, key: tag.key, value: tag.value },
      Empty,
      { idempotent: true },
    );
  }

  /** The version an earlier `model-versions/create` attempt with this request id created, if any. */
  async #findCreatedVersion(
    name: string,
    runId: string,
    requestId: string,
  ): Promise<{ model_version: unknown } | undefined> {
    if (name.includes("'") || runId.includes("'")) return undefined;
    let pageToken: string | undefined;
    do {
      const body = await this.client.get(
        'model-versions/search',
        { filter: `name = '${name}' and run_id = '${runId}'`, max_results: 1000, page_token: pageToken },
        z.object({
          model_versions: z.array(ModelVersionSchema).default([]),
          next_page_token: z.string().optional(),
        }),
      );
      const found = body.model_versions.find((version) =>
        version.tags.some((tag) => tag.key === REQUEST_ID_TAG && tag.value === requestId),
      );
      if (found !== undefined) return { model_version: found };
      pageToken = body.next_page_token === '' ? undefined : body.next_page_token;
    } while (pageToken !== undefined);
    return undefined;
  }

  async #notFound<T>(message: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isLakeloopError(error, 'NOT_FOUND'))
        throw new LakeloopError('NOT_FOUND', message, { cause: error });
      throw error;
    }
  }
}

function pairs(tags: Readonly<Record<string, string>> | undefined): { key: string; value: string }[] {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
}

/** A version number for a filter; INVALID_ARGUMENT for anything else. */
function versionNumber(version: string): number {
  if (!/^\d{1,15}$/.test(version)) {
    throw new LakeloopError('INVALID_ARGUMENT', `"${version}" is not a version number, e.g. 3.`);
  }
  return Number(version);
}

/** The `model-versions/search` filter of one {@link FindModelVersionsOptions} condition. */
function findFilter(options: FindModelVersionsOptions): string {
  const quoted = (what: string, value: string) => {
    if (value.includes("'")) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Cannot search model versions by ${what} "${value}": it contains a quote.`,
      );
    }
    return `'${value}'`;
  };
  if (options.tag === undefined) return `run_id = ${quoted('run id', options.runId)}`;
  if (options.tag.key.includes('`')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Cannot search model versions by tag "${options.tag.key}": its key contains a backtick.`,
    );
  }
  return `tags.\`${options.tag.key}\` = ${quoted('tag value', options.tag.value)}`;
}

function escapeLike(text: string): string {
  if (text.includes("'")) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Cannot search model names for "${text}": it contains a quote.`,
    );
  }
  return text.replace(/[%_]/g, (c) => `\\${c}`);
}

function unknownVersion(name: string, version: string): LakeloopError {
  return new LakeloopError(
    'NOT_FOUND',
    `Registered model "${name}" has no version "${version}"; see \`lakeloop models show ${name}\`.`,
  );
}

function unknownAlias(options: AliasRef): LakeloopError {
  return new LakeloopError(
    'NOT_FOUND',
    `Registered model "${options.name}" has no alias "${options.alias}"; set it with \`lakeloop models promote ${options.name} <version> --alias ${options.alias}\`.`,
  );
}
