/**
 * What the REST API accepts from clients, as zod schemas checked before any work: run tags
 * (at most {@link MAX_TAGS}, keys of at most {@link MAX_TAG_KEY_LENGTH} characters, values of at
 * most {@link MAX_TAG_VALUE_LENGTH}, like MLflow's limits; no key under the reserved prefix
 * `lakeloop/`, which lakeloop itself writes and trusts), bounded whole numbers, cursors, and
 * query strings that name only known parameters, each at most once.
 *
 * @example
 * ```ts
 * const query = parseQuery(c, eventsQuery); // 400 INVALID_ARGUMENT on `?type=NOPE` or `?limit=0`
 * ```
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { LakeloopError } from '../errors.js';
import { EventType, RunStatus } from '../core/events/event-types.js';
import { parseInput } from './api-errors.js';

/** Most tags a client may give a run. */
export const MAX_TAGS = 50;
/** Longest tag key a client may give. */
export const MAX_TAG_KEY_LENGTH = 250;
/** Longest tag value a client may give. */
export const MAX_TAG_VALUE_LENGTH = 5000;
/** Tag keys lakeloop writes itself (definitions module, data commit, priority…): never from clients. */
export const RESERVED_TAG_PREFIX = 'lakeloop/';
/** Largest page a list route returns. */
export const MAX_PAGE_SIZE = 1000;
/** Longest job name, asset selection or partition key a client may give. */
export const MAX_NAME_LENGTH = 1000;

const TAG_KEY = /^[\p{L}\p{N}_.\-/: ]+$/u;
const RUN_ID = /^[A-Za-z0-9._:-]{1,200}$/;
const MAX_REPORTED_ISSUES = 5;

/** True when `key` is reserved for lakeloop (case-insensitive, so look-alikes are refused too). */
export function isReservedTagKey(key: string): boolean {
  return key.toLowerCase().startsWith(RESERVED_TAG_PREFIX);
}

/** Why `key` cannot be a client's tag key, or undefined when it can. */
export function tagKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'a tag key cannot be empty';
  if (key.length > MAX_TAG_KEY_LENGTH)
    return `tag key ${JSON.stringify(key.slice(0, 40))}… is longer than ${MAX_TAG_KEY_LENGTH} characters`;
  if (isReservedTagKey(key)) {
    return (
      `tag key ${JSON.stringify(key)} is reserved: keys starting with "${RESERVED_TAG_PREFIX}" are written ` +
      'by lakeloop itself; use another key (and the "priority" field for the priority)'
    );
  }
  if (!TAG_KEY.test(key)) {
    return `tag key ${JSON.stringify(key)} may only hold letters, digits, spaces and _ . - / :`;
  }
  return undefined;
}

/** Client run tags: a JSON object of string values, bounded in count and size, no reserved keys. */
export const clientTagsSchema = z
  .custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    { error: 'tags must be a JSON object of strings, e.g. {"team": "ml"}' },
  )
  .superRefine((tags, ctx) => {
    const keys = Object.keys(tags);
    if (keys.length > MAX_TAGS) {
      ctx.addIssue({
        code: 'custom',
        message: `${keys.length} tags given; at most ${MAX_TAGS} are accepted`,
      });
      return;
    }
    let reported = 0;
    for (const key of keys) {
      if (reported >= MAX_REPORTED_ISSUES) break;
      const value = tags[key];
      const problem =
        tagKeyProblem(key) ??
        (typeof value !== 'string'
          ? `the value of tag ${JSON.stringify(key)} must be a string`
          : value.length > MAX_TAG_VALUE_LENGTH
            ? `the value of tag ${JSON.stringify(key)} is longer than ${MAX_TAG_VALUE_LENGTH} characters`
            : undefined);
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: problem });
        reported++;
      }
    }
  })
  .transform((tags) => tags as Record<string, string>);

const nameSchema = z
  .string()
  .min(1, { error: 'cannot be empty' })
  .max(MAX_NAME_LENGTH, { error: `longer than ${MAX_NAME_LENGTH} characters` });

/** `POST /api/runs`: a job or an asset selection, an optional partition, tags, priority and run config. */
export const launchSchema = z
  .strictObject(
    {
      job: nameSchema.optional(),
      select: nameSchema.optional(),
      partition: nameSchema.optional(),
      tags: clientTagsSchema.optional(),
      priority: z
        .number()
        .int({ error: 'must be a whole number' })
        .min(-1_000_000, { error: 'must be from -1000000 to 1000000' })
        .max(1_000_000, { error: 'must be from -1000000 to 1000000' })
        .optional(),
      // Sections by asset key / job name; checked against the definitions' schemas by createRun.
      config: z
        .record(z.string(), z.unknown(), { error: 'must be an object of sections by asset key or job name' })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field ${issue.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}; ` +
            'a launch request takes job or select, partition, tags, priority and config'
          : undefined,
    },
  )
  .refine((body) => (body.job === undefined) !== (body.select === undefined), {
    message: 'give exactly one of "job" (a job name) or "select" (an asset selection)',
  });

/** A whole number in `[min, max]` given as decimal digits (no signs, exponents, hex or blanks). */
export function wholeNumberParam(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,15}$/, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be a whole number from ${min} to ${max}` })
        .max(max, { error: `must be a whole number from ${min} to ${max}` }),
    );
}

/** A run id as lakeloop makes them (UUIDs and derived ids): a cursor or a path segment. */
export const runIdSchema = z
  .string()
  .regex(RUN_ID, { error: 'must be a run id (letters, digits and . _ : -, at most 200 characters)' });

/** A comma-separated list of members of `values` (at least one, each known). */
export function commaListParam<T extends string>(values: readonly T[], what: string) {
  const known = new Set<string>(values);
  return z
    .string()
    .max(2000, { error: `too long; give at most ${values.length} ${what}s` })
    .transform((text) => [...new Set(text.split(',').map((s) => s.trim()))].filter((s) => s !== ''))
    .superRefine((list, ctx) => {
      if (list.length === 0) ctx.addIssue({ code: 'custom', message: `give at least one ${what}` });
      const unknown = list.filter((s) => !known.has(s));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown ${what} ${unknown
            .slice(0, MAX_REPORTED_ISSUES)
            .map((s) => JSON.stringify(s.slice(0, 40)))
            .join(', ')}; use ${values.join(', ')}`,
        });
      }
    })
    .transform((list) => list as T[]);
}

const limitParam = wholeNumberParam(1, MAX_PAGE_SIZE);

/** The page size of a list route, 1..{@link MAX_PAGE_SIZE}. */
export const pageLimitParam = limitParam;

/**
 * One page of a list route, the same shape everywhere: the items, whether more follow, and the
 * cursor to pass as `after` for the next page (`''` on the last page).
 */
export interface ListPage<T> {
  results: T[];
  hasMore: boolean;
  nextOffset: string;
}

/** A page from its items and the next page's cursor (undefined: the last page). */
export function listPage<T>(results: T[], nextOffset: string | undefined): ListPage<T> {
  return { results, hasMore: nextOffset !== undefined && nextOffset !== '', nextOffset: nextOffset ?? '' };
}

/** A query string with exactly these parameters (unknown ones are refused, naming the known ones). */
export function querySchema<T extends z.ZodRawShape>(shape: T) {
  const names = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown query parameter ${issue.keys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}; ` +
          (names.length === 0 ? 'this route takes none' : `this route takes ${names.join(', ')}`)
        : undefined,
  });
}

/** `GET /api/runs`. */
export const listRunsQuery = querySchema({
  status: commaListParam(Object.values(RunStatus), 'status').optional(),
  job: nameSchema.optional(),
  tag: z
    .string()
    .max(MAX_TAG_KEY_LENGTH + 1 + MAX_TAG_VALUE_LENGTH, { error: 'too long' })
    .regex(/^[^=]+=.*$/s, { error: 'use key=value' })
    .transform((text) => {
      const at = text.indexOf('=');
      return { key: text.slice(0, at), value: text.slice(at + 1) };
    })
    .refine((tag) => tag.key.length <= MAX_TAG_KEY_LENGTH && tag.value.length <= MAX_TAG_VALUE_LENGTH, {
      error: `key at most ${MAX_TAG_KEY_LENGTH} characters, value at most ${MAX_TAG_VALUE_LENGTH}`,
    })
    .optional(),
  /** Runs of this data commit (the `lakeloop/data_commit` tag the data-commit sensors put on runs). */
  commit: nameSchema.optional(),
  limit: limitParam.optional(),
  /** The previous page's `nextOffset` (the last run id it showed). */
  after: runIdSchema.optional(),
  /** The older name of `after`, still accepted. */
  before: runIdSchema.optional(),
});

/** `GET /api/runs/:id/events`. */
export const eventsQuery = querySchema({
  after: wholeNumberParam(0, Number.MAX_SAFE_INTEGER).optional(),
  limit: limitParam.optional(),
  type: commaListParam(Object.values(EventType), 'event type').optional(),
  /** Only the events of this step (asset key): its step events, logs, materializations, checks. */
  step: nameSchema.optional(),
});

/** `GET /api/sensors/:name/ticks`, `GET /api/schedules/:name/ticks`. */
export const ticksQuery = querySchema({ limit: limitParam.optional() });

/** Every route without query parameters. */
export const noQuery = querySchema({});

/**
 * The request's query string checked against `schema`: each parameter at most once, then the
 * schema (INVALID_ARGUMENT naming each bad parameter).
 */
export function parseQuery<TSchema extends z.ZodType>(c: Context, schema: TSchema): z.infer<TSchema> {
  const repeated = Object.entries(c.req.queries())
    .filter(([, values]) => values.length > 1)
    .map(([name]) => name);
  if (repeated.length > 0) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid query: give each parameter once (repeated: ${repeated
        .slice(0, MAX_REPORTED_ISSUES)
        .map((name) => JSON.stringify(name.slice(0, 40)))
        .join(', ')}).`,
    );
  }
  return parseInput(schema, c.req.query(), 'query');
}

/** The `:id` path parameter as a well-formed run id (400 otherwise, before any storage look-up). */
export function runIdParam(c: Context): string {
  return parseInput(runIdSchema, c.req.param('id'), 'run id');
}
