/**
 * The PostgreSQL storage URL: `postgres://user:password@host:port/database?schema=NAME` (libpq's
 * URL form; `postgresql://` too). `schema` is lakeloop's own parameter (default `lakeloop`): every
 * table lives in that schema, so several instances (or tests) share one database. The password
 * never leaves this module in a message: {@link redactPostgresUrl} replaces it.
 *
 * @example
 * ```ts
 * const target = parsePostgresUrl('postgres://ll:s3cret@127.0.0.1:5432/lakeloop?schema=team_a');
 * target.schema;                 // 'team_a'
 * target.redacted;               // 'postgres://ll:[REDACTED]@127.0.0.1:5432/lakeloop?schema=team_a'
 * ```
 */
import { LakeloopError } from '../../../errors.js';
import { REDACTED, redactSecrets, secretVariants } from '../../../util/redact-secrets.js';

/** The schema lakeloop's tables go in when the URL and options name none. */
export const DEFAULT_POSTGRES_SCHEMA = 'lakeloop';

/** A parsed storage URL. */
export interface PostgresTarget {
  /** What `pg` connects with (the URL without lakeloop's `schema` and libpq's `options` parameters). */
  connectionString: string;
  /**
   * libpq's `options` for every connection: the URL's own, then `-c search_path=<schema>` (pg lets a
   * URL parameter override the config, so the URL's `options` is taken out and merged here).
   */
  serverOptions: string;
  /** The schema holding lakeloop's tables. */
  schema: string;
  /** The URL with its password replaced, for messages. */
  redacted: string;
  /** The password's forms, for {@link redactPostgresText}. */
  secrets: readonly string[];
}

/** Whether `url` names a PostgreSQL server (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim());
}

/** Schema names lakeloop accepts: a plain identifier (it is also part of the NOTIFY channel names). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** Checks a schema name (INVALID_ARGUMENT unless lower-case letters, digits and `_`, at most 48). */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid PostgreSQL schema name "${schema}"; use lower-case letters, digits and _ (at most 48, not starting with a digit).`,
      { details: { schema } },
    );
  }
  return schema;
}

/** Parses a storage URL; `schema` (an option) wins over the URL's `?schema=`. */
export function parsePostgresUrl(url: string, schema?: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    // No cause: URL's error carries the input, password included.
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'The storage URL is not a valid URL; write it as postgres://user:password@host:5432/database?schema=lakeloop.',
    );
  }
  if (!/^postgres(ql)?:$/i.test(parsed.protocol)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `The storage URL must start with postgres:// (got ${parsed.protocol}//...).`,
    );
  }
  const password = decodeURIComponent(parsed.password);
  const secrets = password === '' ? [] : [...secretVariants(password), parsed.password];
  const chosen = checkSchemaName(schema ?? parsed.searchParams.get('schema') ?? DEFAULT_POSTGRES_SCHEMA);
  const forPg = new URL(parsed.href);
  forPg.searchParams.delete('schema');
  const ownOptions = forPg.searchParams.get('options') ?? '';
  forPg.searchParams.delete('options');
  const redactedUrl = new URL(parsed.href);
  if (redactedUrl.password !== '') redactedUrl.password = REDACTED;
  return {
    connectionString: forPg.href,
    serverOptions: `${ownOptions} -c search_path=${chosen}`.trim(),
    schema: chosen,
    redacted: decodeURIComponent(redactedUrl.href),
    secrets,
  };
}

/** `text` without the target's password (in any of its forms). */
export function redactPostgresText(text: string, target: Pick<PostgresTarget, 'secrets'>): string {
  return redactSecrets(text, target.secrets);
}
