/**
 * The versioned-data routes of the REST API: repositories, branches, tags, the commit log with the
 * runs each commit triggered, the diff of two refs with its per-prefix summary, a branch's
 * uncommitted changes, and object listings (scope `read`); branch creation and merge (scope
 * `trigger`; a merge records the caller in the merge commit's `lakeloop.merged_by` metadata, and
 * the repository's own refusals — conflicts, uncommitted changes, pre-merge hooks — come through
 * with their codes). Lists page with the data repository's own
 * cursors (`after` = the previous page's `nextOffset`, `limit` ≤ 1000, the repository's `amount`). Without a data repository
 * every route answers 503 saying how to give one.
 *
 * Routes (under `/api/data/repositories`): `GET /`, `GET /:repo`, `GET /:repo/branches`,
 * `GET /:repo/tags`, `GET /:repo/commits?ref=&firstParent=&prefix=&modelVersions=`, `GET /:repo/diff?left=&right=&prefix=&depth=`,
 * `GET /:repo/branches/:branch/changes`, `GET /:repo/objects?ref=&prefix=&delimiter=`,
 * `GET /:repo/objects/preview?ref=&path=&rows=` (object-preview.ts: bounded in time and memory),
 * `POST /:repo/branches` `{ name, source }`, `POST /:repo/refs/:source/merge/:destination`
 * `{ message?, metadata?, strategy? }` (lakeFS's path).
 *
 * @example
 * ```ts
 * registerDataRoutes(api, { defs, instance, data: openedRepository });
 * await app.request('/api/data/repositories/flights/commits?ref=main&firstParent=true');
 * ```
 */
import { z } from 'zod';
import { LineageTag } from '../../tracking/tracking-types.js';
import type { ModelRegistry } from '../../tracking/model-registry.js';
import { DATA_COMMIT_TAG, DATA_REPOSITORY_TAG } from '../../versioning/data-commit-sensor.js';
import { MERGE_STRATEGIES } from '../../versioning/data-repository.js';
import type { Page } from '../../versioning/data-repository.js';
import { summarizeDiff } from '../../versioning/diff-summary.js';
import { MAX_PREVIEW_ROWS, previewObject } from '../../versioning/object-preview.js';
import { required } from '../api-context.js';
import type { ApiContext } from '../api-context.js';
import { pageLimitParam, querySchema, wholeNumberParam } from '../api-input.js';
import { pathParam } from '../api-router.js';
import type { ApiRouter } from '../api-router.js';

const text = z.string().min(1).max(1000);
const page = {
  after: z.string().max(1000).optional(),
  limit: pageLimitParam.optional(),
};
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

const listQuery = querySchema({ ...page, prefix: z.string().max(1000).optional() });
const commitsQuery = querySchema({
  ...page,
  ref: text,
  prefix: z.string().max(1000).optional(),
  firstParent: flag.optional(),
  modelVersions: flag.optional(),
});
const diffQuery = querySchema({
  ...page,
  left: text,
  right: text,
  prefix: z.string().max(1000).optional(),
  depth: z.coerce.number().int().min(1).max(20).optional(),
});
const changesQuery = querySchema({ ...page, prefix: z.string().max(1000).optional() });
const objectsQuery = querySchema({
  ...page,
  ref: text,
  prefix: z.string().max(1000).optional(),
  delimiter: z.literal('/').optional(),
});
const previewQuery = querySchema({
  ref: text,
  path: text,
  rows: wholeNumberParam(1, MAX_PREVIEW_ROWS).optional(),
});

/** Commit metadata keys lakeloop writes itself (who merged): never from clients. */
export const RESERVED_METADATA_PREFIX = 'lakeloop.';
/** The merge commit's metadata key naming who merged through the API (the token's name, or `local`). */
export const MERGED_BY_METADATA = 'lakeloop.merged_by';
const MAX_METADATA_ENTRIES = 50;
/** Runs and model versions listed per commit of the log (a commit rarely has more than one or two). */
const MAX_PER_COMMIT = 20;

const createBranchSchema = z.strictObject({
  name: text,
  source: text,
});
const mergeSchema = z.strictObject({
  message: z.string().min(1).max(10_000).optional(),
  metadata: z
    .record(z.string().min(1).max(250), z.string().max(5000))
    .refine((metadata) => Object.keys(metadata).length <= MAX_METADATA_ENTRIES, {
      error: `at most ${MAX_METADATA_ENTRIES} entries`,
    })
    .refine(
      (metadata) =>
        Object.keys(metadata).every((key) => !key.toLowerCase().startsWith(RESERVED_METADATA_PREFIX)),
      {
        error: `keys starting with "${RESERVED_METADATA_PREFIX}" are written by lakeloop itself; use another key`,
      },
    )
    .optional(),
  strategy: z.enum(MERGE_STRATEGIES).optional(),
});

/** The repository's page options from a route's `after` and `limit`. */
function pageOf<T extends { after?: string | undefined; limit?: number | undefined }>(
  query: T,
): Omit<T, 'limit'> & { amount?: number } {
  const { limit, ...rest } = query;
  return limit === undefined ? rest : { ...rest, amount: limit };
}

/** Drops undefined fields, so zod's optional outputs fit the repository's exact optional options. */
function defined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as never;
}

/**
 * The model versions trained on a commit of `repo`: versions tagged with its id (`lakeloop.data_commit`,
 * an index lookup in the registry) whose `lakeloop.data_repository`, when recorded, is `repo`.
 */
async function versionsTrainedOn(registry: ModelRegistry, repo: string, commitId: string) {
  const versions = await registry.findModelVersions({
    tag: { key: LineageTag.DATA_COMMIT, value: commitId },
    maxResults: MAX_PER_COMMIT,
  });
  return versions
    .filter((v) => (v.tags[LineageTag.DATA_REPOSITORY] ?? repo) === repo)
    .map((v) => ({ name: v.name, version: v.version, aliases: v.aliases }));
}

/** Adds the data routes. */
export function registerDataRoutes(api: ApiRouter, context: ApiContext): void {
  const repository = () => required(context.data, 'data repository', 'data');
  const base = '/api/data/repositories';
  const tag = 'data';

  api.route(
    { method: 'GET', path: base, scope: 'read', tag, summary: 'List repositories', query: listQuery },
    async (c, { query }) => c.json(await repository().listRepositories(defined(pageOf(query)))),
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:repo`,
      scope: 'read',
      tag,
      summary: 'A repository with its backend and capabilities',
    },
    async (c) => {
      const data = repository();
      const info = await data.getRepository(pathParam(c, 'repo'));
      return c.json({ ...info, backend: data.kind, capabilities: data.capabilities });
    },
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:repo/branches`,
      scope: 'read',
      tag,
      summary: 'List branches',
      query: listQuery,
    },
    async (c, { query }) =>
      c.json(
        await repository().listBranches({ repository: pathParam(c, 'repo'), ...defined(pageOf(query)) }),
      ),
  );
  api.route(
    { method: 'GET', path: `${base}/:repo/tags`, scope: 'read', tag, summary: 'List tags', query: listQuery },
    async (c, { query }) =>
      c.json(await repository().listTags({ repository: pathParam(c, 'repo'), ...defined(pageOf(query)) })),
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:repo/commits`,
      scope: 'read',
      tag,
      summary:
        'The commit log of a ref, each commit with the runs it triggered (and, with modelVersions=true, the model versions trained on it)',
      query: commitsQuery,
    },
    async (c, { query }) => {
      const repo = pathParam(c, 'repo');
      const { modelVersions, ...logQuery } = query;
      const log = await repository().log({ repository: repo, ...defined(pageOf(logQuery)) });
      // Asked for on a server without a registry: left out (nothing to say), not a 503.
      const registry = modelVersions === true ? context.registry : undefined;
      // The runs each commit triggered (the data-commit sensor tags them with the commit id).
      const results = await Promise.all(
        log.results.map(async (commit) => {
          const [runs, versions] = await Promise.all([
            context.instance.runs.listRuns({
              tags: { [DATA_COMMIT_TAG]: commit.id, [DATA_REPOSITORY_TAG]: repo },
              limit: MAX_PER_COMMIT,
            }),
            registry === undefined ? undefined : versionsTrainedOn(registry, repo, commit.id),
          ]);
          return {
            ...commit,
            runs: runs.map((run) => ({ runId: run.runId, status: run.status, jobName: run.jobName })),
            ...(versions === undefined ? {} : { modelVersions: versions }),
          };
        }),
      );
      return c.json({ ...log, results } satisfies Page<unknown>);
    },
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:repo/diff`,
      scope: 'read',
      tag,
      summary: 'The diff of two refs with its per-prefix summary',
      query: diffQuery,
    },
    async (c, { query }) => {
      const { depth, ...options } = query;
      const diff = await repository().diff({ repository: pathParam(c, 'repo'), ...defined(pageOf(options)) });
      return c.json({ ...diff, summary: summarizeDiff(diff.results, { depth: depth ?? 1 }) });
    },
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:repo/branches/:branch/changes`,
      scope: 'read',
      tag,
      summary: "A branch's uncommitted changes with their summary",
      query: changesQuery,
    },
    async (c, { query }) => {
      const changes = await repository().diffUncommitted({
        repository: pathParam(c, 'repo'),
        branch: pathParam(c, 'branch'),
        ...defined(pageOf(query)),
      });
      return c.json({ ...changes, summary: summarizeDiff(changes.results, { depth: 1 }) });
    },
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:repo/objects`,
      scope: 'read',
      tag,
      summary: 'List objects of a ref (delimiter=/ lists one level)',
      query: objectsQuery,
    },
    async (c, { query }) =>
      c.json(await repository().listObjects({ repository: pathParam(c, 'repo'), ...defined(pageOf(query)) })),
  );
  api.route(
    {
      method: 'GET',
      path: `${base}/:repo/objects/preview`,
      scope: 'read',
      tag,
      summary: `The first rows (at most ${MAX_PREVIEW_ROWS}) of a Parquet or CSV object, the first 64 KiB of a text object, or a binary object's size`,
      query: previewQuery,
    },
    async (c, { query }) => {
      const { rows, ...address } = query;
      const preview = await previewObject(
        repository(),
        { repository: pathParam(c, 'repo'), ...address },
        rows === undefined ? {} : { rows },
      );
      return c.json(preview);
    },
  );

  api.route(
    {
      method: 'POST',
      path: `${base}/:repo/branches`,
      scope: 'trigger',
      tag,
      summary: 'Create a branch from a ref',
      body: createBranchSchema,
      bodyName: 'branch creation request',
    },
    async (c, { body }) =>
      c.json(await repository().createBranch({ repository: pathParam(c, 'repo'), ...body }), 201),
  );
  api.route(
    {
      method: 'POST',
      path: `${base}/:repo/refs/:source/merge/:destination`,
      scope: 'trigger',
      tag,
      summary: 'Merge a ref into a branch (records who merged in the commit metadata)',
      body: mergeSchema,
      bodyName: 'merge request',
    },
    async (c, { body, caller }) => {
      const result = await repository().merge({
        repository: pathParam(c, 'repo'),
        source: pathParam(c, 'source'),
        destination: pathParam(c, 'destination'),
        ...defined({ message: body.message, strategy: body.strategy }),
        metadata: { ...(body.metadata ?? {}), [MERGED_BY_METADATA]: caller.name },
      });
      return c.json(result);
    },
  );
}
