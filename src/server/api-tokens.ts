/**
 * API tokens with scopes. A token file (`<home>/api-tokens.json`, mode 0600) keeps each token's
 * name, scopes and SHA-256 digest — never the token, which `create` returns once. Scopes:
 * `read` (every GET), `trigger` (launch and cancel runs, tick and start/stop sensors and
 * schedules, merge data), `promote` (move model aliases: promote, rollback), `admin` (everything).
 * Writes are atomic (a temporary file renamed over the old one), so a crash leaves the old file or
 * the new one. The server re-reads the file when it changes, so a revoked token stops working at
 * once.
 *
 * @example
 * ```ts
 * const tokens = new ApiTokenFile(join(home, 'api-tokens.json'));
 * const { token } = await tokens.create('ci', ['read', 'trigger']); // shown once
 * (await tokens.find(token))?.scopes; // ['read', 'trigger']
 * ```
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { Context } from 'hono';
import { z } from 'zod';
import { LakeloopError } from '../errors.js';

/** What a token may do. */
export const API_SCOPES = ['read', 'trigger', 'promote', 'admin'] as const;
/** One scope of {@link API_SCOPES}. */
export type ApiScope = (typeof API_SCOPES)[number];

/** Who calls a route. */
export interface ApiCaller {
  /** The token's name; `'local'` on a server without tokens (loopback only). */
  name: string;
  scopes: ReadonlySet<ApiScope>;
  /** False on a server that asks for no token. */
  authenticated: boolean;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Unset on routes registered before the auth middleware (the health check). */
    caller: ApiCaller | undefined;
  }
}

/** The caller of a server that asks for no token: everything is allowed (loopback only). */
export const LOCAL_CALLER: ApiCaller = { name: 'local', scopes: new Set(API_SCOPES), authenticated: false };

/** The caller the auth middleware recognised (the local caller when there is no middleware). */
export function callerOf(c: Context): ApiCaller {
  return c.get('caller') ?? LOCAL_CALLER;
}

/** What the token file keeps of one token. */
export interface ApiTokenRecord {
  name: string;
  scopes: ApiScope[];
  /** Hex SHA-256 of the token. */
  sha256: string;
  /** ISO time of creation. */
  createdAt: string;
}

const TOKEN_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const recordSchema = z.object({
  name: z.string().regex(TOKEN_NAME),
  scopes: z.array(z.enum(API_SCOPES)).min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
});
const fileSchema = z.object({ tokens: z.array(recordSchema) });

/** Hex SHA-256 of a token, as the file keeps it. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Parses `read,trigger` into known scopes; INVALID_ARGUMENT naming an unknown one. */
export function parseScopes(values: readonly string[]): ApiScope[] {
  const scopes = values
    .flatMap((value) => value.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${unknown.length > 0 ? `Unknown scope ${unknown.map((s) => JSON.stringify(s)).join(', ')}` : 'No scope given'}; use ${API_SCOPES.join(', ')}.`,
    );
  }
  return [...new Set(scopes)] as ApiScope[];
}

/** The token file of an instance home: create, list, revoke and look up tokens. */
export class ApiTokenFile {
  readonly path: string;
  #cache: { mtimeMs: number; size: number; records: ApiTokenRecord[] } | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** The tokens (without secrets); none when the file does not exist. */
  list(): ApiTokenRecord[] {
    let stat;
    try {
      stat = statSync(this.path);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw cause;
    }
    if (this.#cache?.mtimeMs === stat.mtimeMs && this.#cache.size === stat.size) return this.#cache.records;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (cause) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `The token file ${this.path} is not JSON; fix or delete it.`,
        {
          cause,
        },
      );
    }
    const result = fileSchema.safeParse(parsed);
    if (!result.success) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `The token file ${this.path} is malformed (${result.error.issues[0]?.message ?? 'invalid'}); fix or delete it.`,
      );
    }
    this.#cache = { mtimeMs: stat.mtimeMs, size: stat.size, records: result.data.tokens };
    return result.data.tokens;
  }

  /** The record of the token `presented`, or undefined. */
  find(presented: string): ApiTokenRecord | undefined {
    // Compared on digests: finding a record by its digest says nothing about the token's bytes.
    const digest = tokenDigest(presented);
    return this.list().find((record) => record.sha256 === digest);
  }

  /** Creates a token called `name` with `scopes`; returns the token (shown once) and its record. */
  async create(
    name: string,
    scopes: readonly ApiScope[],
    now = new Date(),
  ): Promise<{ token: string; record: ApiTokenRecord }> {
    if (!TOKEN_NAME.test(name)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Token name ${JSON.stringify(name)} may hold only letters, digits and . _ - (1 to 64 characters).`,
      );
    }
    const records = this.list();
    if (records.some((record) => record.name === name)) {
      throw new LakeloopError(
        'ALREADY_EXISTS',
        `A token called "${name}" exists; revoke it first (\`lakeloop tokens revoke ${name}\`) or pick another name.`,
      );
    }
    const token = `llt_${randomBytes(32).toString('base64url')}`;
    const record: ApiTokenRecord = {
      name,
      scopes: [...new Set(scopes)],
      sha256: tokenDigest(token),
      createdAt: now.toISOString(),
    };
    await this.#write([...records, record]);
    return { token, record };
  }

  /** Removes the token called `name`; NOT_FOUND when there is none. */
  async revoke(name: string): Promise<void> {
    const records = this.list();
    if (!records.some((record) => record.name === name)) {
      throw new LakeloopError(
        'NOT_FOUND',
        `No token called "${name}"; list them with \`lakeloop tokens list\`.`,
      );
    }
    await this.#write(records.filter((record) => record.name !== name));
  }

  async #write(records: ApiTokenRecord[]): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ tokens: records }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.path);
    this.#cache = undefined;
  }
}
