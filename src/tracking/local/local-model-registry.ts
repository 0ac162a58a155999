/**
 * The embedded model registry, in the same SQLite file as the embedded tracking store
 * (`<root>/mlflow.db`). Version numbers are assigned inside a write transaction, so concurrent
 * processes never get the same number.
 *
 * @example
 * ```ts
 * const registry = new LocalModelRegistry({ root: '.lakeloop/tracking' });
 * await registry.getOrCreateRegisteredModel({ name: 'flight-delays' });
 * ```
 */
/* eslint-disable @typescript-eslint/require-await -- synchronous SQLite behind the async interface: async methods turn throws into rejections */
import { join } from 'node:path';
import { LakeloopError } from '../../errors.js';
import { systemClock } from '../../clock.js';
import type { Clock } from '../../clock.js';
import type { Statement } from '../../util/statement-cache.js';
import type { SqliteDatabase } from '../../util/sqlite-database.js';
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
import { openTrackingDatabase } from './local-tracking-schema.js';
import { StatementCache } from '../../util/statement-cache.js';

/** Options of {@link LocalModelRegistry}. */
export interface LocalModelRegistryOptions {
  /** The tracking folder (holds `mlflow.db`). */
  root: string;
  /** Default: the system clock. */
  clock?: Clock;
}

interface ModelRow {
  name: string;
  description: string;
  creation_time: number;
  last_updated_time: number;
}

interface AliasMoveRow {
  name: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  timestamp: number;
  reason: string;
  moved_by: string;
}

interface VersionRow {
  name: string;
  version: number;
  source: string;
  run_id: string | null;
  description: string;
  status: string;
  creation_time: number;
}

/** The embedded (SQLite) {@link ModelRegistry}. */
export class LocalModelRegistry implements ModelRegistry {
  readonly uri: string;
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  #closed = false;
  readonly #statements: StatementCache;
  readonly #aliasListeners = new Set<(move: AliasMove) => void>();

  constructor(options: LocalModelRegistryOptions) {
    this.uri = `embedded:${options.root}`;
    this.#db = openTrackingDatabase(join(options.root, 'mlflow.db'));
    this.#statements = new StatementCache(this.#db);
    this.#clock = options.clock ?? systemClock;
  }

  async createRegisteredModel(options: CreateRegisteredModelOptions): Promise<RegisteredModel> {
    validateName('registered model', options.name);
    const tags = Object.entries(options.tags ?? {});
    for (const [key] of tags) validateKey('tag', key);
    const db = this.#open();
    const now = this.#clock.now();
    db.transaction(() => {
      if (this.#sql('SELECT 1 FROM registered_models WHERE name = ?').get(options.name) !== undefined) {
        throw new LakeloopError(
          'ALREADY_EXISTS',
          `A registered model called "${options.name}" already exists; use getOrCreateRegisteredModel or another name.`,
        );
      }
      this.#sql(
        'INSERT INTO registered_models (name, description, creation_time, last_updated_time) VALUES (?, ?, ?, ?)',
      ).run(options.name, options.description ?? '', now, now);
      const insertTag = this.#sql('INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)');
      for (const [key, value] of tags) insertTag.run(options.name, key, value);
    }).immediate();
    return this.getRegisteredModel(options.name);
  }

  async getOrCreateRegisteredModel(options: CreateRegisteredModelOptions): Promise<RegisteredModel> {
    const existing = this.#sql('SELECT 1 FROM registered_models WHERE name = ?').get(options.name);
    if (existing !== undefined) return this.getRegisteredModel(options.name);
    try {
      return await this.createRegisteredModel(options);
    } catch (error) {
      if (error instanceof LakeloopError && error.code === 'ALREADY_EXISTS')
        return this.getRegisteredModel(options.name);
      throw error;
    }
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.#registeredModel(this.#modelRow(name));
  }

  async searchRegisteredModels(options: SearchRegisteredModelsOptions = {}): Promise<RegisteredModel[]> {
    // BINARY collation: UTF-8 byte order, which is code point order.
    const rows = this.#sql(
      'SELECT * FROM registered_models WHERE instr(name, ?) > 0 AND name > ? ORDER BY name LIMIT ?',
    ).all(options.nameContains ?? '', options.after ?? '', options.maxResults ?? 1000) as ModelRow[];
    return rows.map((row) => this.#registeredModel(row));
  }

  async registerModel(name: string, options: RegisterModelOptions): Promise<ModelVersion> {
    await this.getOrCreateRegisteredModel({ name });
    return this.createModelVersion({ name, ...options });
  }

  async createModelVersion(options: CreateModelVersionOptions): Promise<ModelVersion> {
    const artifactPath = normalizeArtifactPath(options.artifactPath ?? 'model');
    for (const key of Object.keys(options.tags ?? {})) validateKey('tag', key);
    const db = this.#open();
    const now = this.#clock.now();
    const version = db
      .transaction(() => {
        this.#modelRow(options.name);
        if (this.#sql('SELECT 1 FROM runs WHERE run_id = ?').get(options.runId) === undefined) {
          throw new LakeloopError(
            'NOT_FOUND',
            `Unknown training run "${options.runId}"; a model version must come from a run of this tracking store.`,
          );
        }
        const next =
          (
            this.#sql('SELECT MAX(version) AS v FROM model_versions WHERE name = ?').get(options.name) as {
              v: number | null;
            }
          ).v ?? 0;
        const number = next + 1;
        this.#sql(
          `INSERT INTO model_versions (name, version, source, run_id, description, status, creation_time)
         VALUES (?, ?, ?, ?, ?, 'READY', ?)`,
        ).run(
          options.name,
          number,
          `runs:/${options.runId}/${artifactPath}`,
          options.runId,
          options.description ?? '',
          now,
        );
        const insertTag = this.#sql(
          'INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)',
        );
        for (const [key, value] of Object.entries(options.tags ?? {}))
          insertTag.run(options.name, number, key, value);
        this.#sql('UPDATE registered_models SET last_updated_time = ? WHERE name = ?').run(now, options.name);
        return number;
      })
      .immediate();
    return this.getModelVersion(options.name, String(version));
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    this.#modelRow(name);
    const row = /^\d+$/.test(version)
      ? (this.#sql('SELECT * FROM model_versions WHERE name = ? AND version = ?').get(
          name,
          Number(version),
        ) as VersionRow | undefined)
      : undefined;
    if (row === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Registered model "${name}" has no version "${version}"; see \`lakeloop models show ${name}\`.`,
      );
    }
    return this.#modelVersion(row);
  }

  async searchModelVersions(options: SearchModelVersionsOptions): Promise<ModelVersion[]> {
    const below = options.belowVersion === undefined ? null : Number(options.belowVersion);
    if (below !== null && !/^\d{1,15}$/.test(options.belowVersion ?? '')) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `"${options.belowVersion}" is not a version number, e.g. 3.`,
      );
    }
    const rows = this.#sql(
      'SELECT * FROM model_versions WHERE name = ? AND (? IS NULL OR version < ?) ORDER BY version DESC LIMIT ?',
    ).all(options.name, below, below, options.maxResults ?? 1000) as VersionRow[];
    return rows.map((row) => this.#modelVersion(row));
  }

  async findModelVersions(options: FindModelVersionsOptions): Promise<ModelVersion[]> {
    const limit = options.maxResults ?? 1000;
    const rows = (
      options.tag !== undefined
        ? this.#sql(
            `SELECT v.* FROM model_version_tags t
             JOIN model_versions v ON v.name = t.name AND v.version = t.version
             WHERE t.key = ? AND t.value = ? ORDER BY v.name, v.version DESC LIMIT ?`,
          ).all(options.tag.key, options.tag.value, limit)
        : this.#sql('SELECT * FROM model_versions WHERE run_id = ? ORDER BY name, version DESC LIMIT ?').all(
            options.runId,
            limit,
          )
    ) as VersionRow[];
    return rows.map((row) => this.#modelVersion(row));
  }

  setAlias(options: SetAliasOptions): Promise<void>;
  setAlias(name: string, alias: string, version: string, options?: AliasMoveOptions): Promise<void>;
  async setAlias(...args: [SetAliasOptions] | [string, string, string, AliasMoveOptions?]): Promise<void> {
    const options = setAliasArguments(args);
    validateName('alias', options.alias);
    await this.getModelVersion(options.name, options.version);
    const db = this.#open();
    const now = this.#clock.now();
    const moved = db
      .transaction(() => {
        const from = this.#aliasVersion(options);
        if (from === Number(options.version)) return undefined;
        this.#sql(
          `INSERT INTO model_aliases (name, alias, version) VALUES (?, ?, ?)
         ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version`,
        ).run(options.name, options.alias, Number(options.version));
        this.#recordMove({ ...options, from, to: Number(options.version), now });
        this.#sql('UPDATE registered_models SET last_updated_time = ? WHERE name = ?').run(now, options.name);
        return { from };
      })
      .immediate();
    if (moved !== undefined) {
      this.#emitAliasMove({
        name: options.name,
        alias: options.alias,
        fromVersion: moved.from === undefined ? undefined : String(moved.from),
        toVersion: options.version,
        timestamp: now,
        reason: options.reason,
        by: options.by,
      });
    }
  }

  onAliasMoved(listener: (move: AliasMove) => void): () => void {
    this.#aliasListeners.add(listener);
    return () => {
      this.#aliasListeners.delete(listener);
    };
  }

  /** Tells the in-process listeners (after the transaction committed); a throwing listener does not fail the move. */
  #emitAliasMove(move: AliasMove): void {
    for (const listener of this.#aliasListeners) {
      try {
        listener(move);
      } catch {
        // A listener's failure is its own; the alias has moved.
      }
    }
  }

  async deleteAlias(options: AliasRef & AliasMoveOptions): Promise<void> {
    this.#modelRow(options.name);
    const now = this.#clock.now();
    const move = {
      name: options.name,
      alias: options.alias,
      reason: options.reason ?? '',
      by: options.by ?? defaultAliasMover(),
    };
    const from = this.#open()
      .transaction(() => {
        const version = this.#aliasVersion(options);
        if (version === undefined) throw unknownAlias(options);
        this.#sql('DELETE FROM model_aliases WHERE name = ? AND alias = ?').run(options.name, options.alias);
        this.#recordMove({ ...move, from: version, to: undefined, now });
        return version;
      })
      .immediate();
    this.#emitAliasMove({ ...move, fromVersion: String(from), toVersion: undefined, timestamp: now });
  }

  async aliasHistory(name: string, options: AliasHistoryOptions = {}): Promise<AliasMove[]> {
    this.#modelRow(name);
    if (options.version !== undefined && !/^\d{1,15}$/.test(options.version)) {
      throw new LakeloopError('INVALID_ARGUMENT', `"${options.version}" is not a version number, e.g. 3.`);
    }
    // Only the conditions given, so each shape of query uses its index (name, alias, seq), or
    // those on from/to versions, and stops at the limit.
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (options.alias !== undefined) {
      conditions.push('alias = ?');
      params.push(options.alias);
    }
    if (options.notAfter !== undefined) {
      conditions.push('timestamp <= ?');
      params.push(options.notAfter);
    }
    const where = conditions.map((c) => ` AND ${c}`).join('');
    const limit = options.maxResults ?? 1000;
    const rows = (
      options.version === undefined
        ? this.#sql(`SELECT * FROM model_alias_history WHERE name = ?${where} ORDER BY seq DESC LIMIT ?`).all(
            name,
            ...params,
            limit,
          )
        : this.#sql(
            `SELECT * FROM (
               SELECT * FROM model_alias_history WHERE name = ? AND to_version = ?
               UNION SELECT * FROM model_alias_history WHERE name = ? AND from_version = ?
             ) WHERE 1 = 1${where} ORDER BY seq DESC LIMIT ?`,
          ).all(name, Number(options.version), name, Number(options.version), ...params, limit)
    ) as AliasMoveRow[];
    return rows.map((row) => ({
      name: row.name,
      alias: row.alias,
      fromVersion: row.from_version === null ? undefined : String(row.from_version),
      toVersion: row.to_version === null ? undefined : String(row.to_version),
      timestamp: row.timestamp,
      reason: row.reason,
      by: row.moved_by,
    }));
  }

  async getModelVersionByAlias(options: AliasRef): Promise<ModelVersion> {
    this.#modelRow(options.name);
    const row = this.#sql('SELECT version FROM model_aliases WHERE name = ? AND alias = ?').get(
      options.name,
      options.alias,
    ) as { version: number } | undefined;
    if (row === undefined) throw unknownAlias(options);
    return this.getModelVersion(options.name, String(row.version));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The prepared statement for `sql`, prepared once per connection. */
  #sql(sql: string): Statement {
    this.#open();
    return this.#statements.get(sql);
  }

  #open(): SqliteDatabase {
    if (this.#closed) {
      throw new LakeloopError('PRECONDITION_FAILED', 'This model registry is closed; open a new one.');
    }
    return this.#db;
  }

  /** The version `alias` points at now (call inside the write transaction). */
  #aliasVersion(ref: AliasRef): number | undefined {
    const row = this.#sql('SELECT version FROM model_aliases WHERE name = ? AND alias = ?').get(
      ref.name,
      ref.alias,
    ) as { version: number } | undefined;
    return row?.version;
  }

  #recordMove(move: {
    name: string;
    alias: string;
    reason: string;
    by: string;
    from: number | undefined;
    to: number | undefined;
    now: number;
  }): void {
    this.#sql(
      `INSERT INTO model_alias_history (name, alias, from_version, to_version, timestamp, reason, moved_by)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(move.name, move.alias, move.from ?? null, move.to ?? null, move.now, move.reason, move.by);
  }

  #modelRow(name: string): ModelRow {
    const row = this.#sql('SELECT * FROM registered_models WHERE name = ?').get(name) as ModelRow | undefined;
    if (row === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown registered model "${name}"; list models with \`lakeloop models list\`.`,
      );
    }
    return row;
  }

  #registeredModel(row: ModelRow): RegisteredModel {
    const tags: Record<string, string> = {};
    for (const tag of this.#sql(
      'SELECT key, value FROM registered_model_tags WHERE name = ? ORDER BY key',
    ).all(row.name) as { key: string; value: string }[]) {
      tags[tag.key] = tag.value;
    }
    const aliases: Record<string, string> = {};
    for (const alias of this.#sql(
      'SELECT alias, version FROM model_aliases WHERE name = ? ORDER BY alias',
    ).all(row.name) as { alias: string; version: number }[]) {
      aliases[alias.alias] = String(alias.version);
    }
    const latest = (
      this.#sql('SELECT MAX(version) AS v FROM model_versions WHERE name = ?').get(row.name) as {
        v: number | null;
      }
    ).v;
    return {
      name: row.name,
      description: row.description,
      creationTimestamp: row.creation_time,
      lastUpdatedTimestamp: row.last_updated_time,
      tags,
      aliases,
      latestVersion: latest === null ? undefined : String(latest),
    };
  }

  #modelVersion(row: VersionRow): ModelVersion {
    const tags: Record<string, string> = {};
    for (const tag of this.#sql(
      'SELECT key, value FROM model_version_tags WHERE name = ? AND version = ? ORDER BY key',
    ).all(row.name, row.version) as { key: string; value: string }[]) {
      tags[tag.key] = tag.value;
    }
    const aliases = (
      this.#sql('SELECT alias FROM model_aliases WHERE name = ? AND version = ? ORDER BY alias').all(
        row.name,
        row.version,
      ) as { alias: string }[]
    ).map((alias) => alias.alias);
    return {
      name: row.name,
      version: String(row.version),
      source: row.source,
      runId: row.run_id ?? undefined,
      description: row.description,
      tags,
      aliases,
      creationTimestamp: row.creation_time,
      status: 'READY',
    };
  }
}

function unknownAlias(options: AliasRef): LakeloopError {
  return new LakeloopError(
    'NOT_FOUND',
    `Registered model "${options.name}" has no alias "${options.alias}"; set it with \`lakeloop models promote ${options.name} <version> --alias ${options.alias}\`.`,
  );
}
