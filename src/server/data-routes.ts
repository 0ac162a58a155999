/**
 * The versioned-data routes of the REST API (read side): repositories, branches, tags, the commit
 * log with the runs each commit triggered, the diff of two refs with its per-prefix summary, a
 * branch's uncommitted changes, and object listings. Lists page with the data repository's own
 * cursors (`after` = the previous page's `nextOffset`, `amount` ≤ 1000). Without a data repository
 * every route answers 503 saying how to give one.
 *
 * Routes (under `/api/data/repositories`): `GET /`, `GET /:repo`, `GET /:repo/branches`,
 * `GET /:repo/tags`, `GET /:repo/commits?ref=&firstParent=&prefix=`, `GET /:repo/diff?left=&right=&prefix=&depth=`,
 * `GET /:repo/branches/:branch/changes`, `GET /:repo/objects?ref=&prefix=&delimiter=`.
 *
 * @example
 * ```ts
 * registerDataRoutes(app, { instance, data: openedRepository });
 * await app.request('/api/data/repositories/flights/commits?ref=main&firstParent=true');
 * ```
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { LakeloopError } from '../errors.js';
import type { Instance } from '../core/instance/instance.js';
import { DATA_COMMIT_TAG, DATA_REPOSITORY_TAG } from '../versioning/data-commit-sensor.js';
import type { DataRepository, Page } from '../versioning/data-repository.js';
import { summarizeDiff } from '../versioning/diff-summary.js';
import { parseInput } from './api-errors.js';
import { MAX_PAGE_SIZE } from './api-input.js';

/** What the data routes need. */
export interface DataRoutesOptions {
  instance: Instance;
  /** The data repository the routes read. Default none (503 on every data route). */
  data?: DataRepository;
}

const text = z.string().min(1).max(1000);
const page = {
  after: z.string().max(1000).optional(),
  amount: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
};
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

const listQuery = z.strictObject({ ...page, prefix: z.string().max(1000).optional() });
const commitsQuery = z.strictObject({
  ...page,
  ref: text,
  prefix: z.string().max(1000).optional(),
  firstParent: flag.optional(),
});
const diffQuery = z.strictObject({
  ...page,
  left: text,
  right: text,
  prefix: z.string().max(1000).optional(),
  depth: z.coerce.number().int().min(1).max(20).optional(),
});
const changesQuery = z.strictObject({ ...page, prefix: z.string().max(1000).optional() });
const objectsQuery = z.strictObject({
  ...page,
  ref: text,
  prefix: z.string().max(1000).optional(),
  delimiter: z.literal('/').optional(),
});

/** The query of `c` checked against `schema` (unknown parameters refused). */
function query<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  return parseInput(schema, c.req.query(), 'query');
}

/** Drops undefined fields, so zod's optional outputs fit the repository's exact optional options. */
function defined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as never;
}

/** Adds the data routes to `app`. */
export function registerDataRoutes(app: Hono, options: DataRoutesOptions): void {
  const repository = (): DataRepository => {
    if (options.data === undefined) {
      throw new LakeloopError(
        'UNAVAILABLE',
        'This server has no data repository: start it with `lakeloop dev` (which opens the configured one) or pass `data` to createApiApp.',
      );
    }
    return options.data;
  };
  const base = '/api/data/repositories';

  app.get(base, async (c) => c.json(await repository().listRepositories(defined(query(c, listQuery)))));
  app.get(`${base}/:repo`, async (c) => {
    query(c, z.strictObject({}));
    const data = repository();
    const info = await data.getRepository(c.req.param('repo'));
    return c.json({ ...info, backend: data.kind, capabilities: data.capabilities });
  });
  app.get(`${base}/:repo/branches`, async (c) =>
    c.json(
      await repository().listBranches({ repository: c.req.param('repo'), ...defined(query(c, listQuery)) }),
    ),
  );
  app.get(`${base}/:repo/tags`, async (c) =>
    c.json(await repository().listTags({ repository: c.req.param('repo'), ...defined(query(c, listQuery)) })),
  );
  app.get(`${base}/:repo/commits`, async (c) => {
    const repo = c.req.param('repo');
    const log = await repository().log({ repository: repo, ...defined(query(c, commitsQuery)) });
    // The runs each commit triggered (the data-commit sensor tags them with the commit id).
    const results = await Promise.all(
      log.results.map(async (commit) => {
        const runs = await options.instance.runs.listRuns({
          tags: { [DATA_COMMIT_TAG]: commit.id, [DATA_REPOSITORY_TAG]: repo },
          limit: 20,
        });
        return {
          ...commit,
          runs: runs.map((run) => ({ runId: run.runId, status: run.status, jobName: run.jobName })),
        };
      }),
    );
    return c.json({ ...log, results } satisfies Page<unknown>);
  });
  app.get(`${base}/:repo/diff`, async (c) => {
    const { depth, ...options } = query(c, diffQuery);
    const diff = await repository().diff({ repository: c.req.param('repo'), ...defined(options) });
    return c.json({ ...diff, summary: summarizeDiff(diff.results, { depth: depth ?? 1 }) });
  });
  app.get(`${base}/:repo/branches/:branch/changes`, async (c) => {
    const changes = await repository().diffUncommitted({
      repository: c.req.param('repo'),
      branch: c.req.param('branch'),
      ...defined(query(c, changesQuery)),
    });
    return c.json({ ...changes, summary: summarizeDiff(changes.results, { depth: 1 }) });
  });
  app.get(`${base}/:repo/objects`, async (c) =>
    c.json(
      await repository().listObjects({ repository: c.req.param('repo'), ...defined(query(c, objectsQuery)) }),
    ),
  );
}
