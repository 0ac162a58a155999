/**
 * The loop's timeline: the newest data commits of the watched branches, sensor and schedule ticks,
 * pipeline runs and model versions, merged newest first into one list (Home shows them side by
 * side and follows the live stream). Each source is read with the same bound, so the list costs
 * a few indexed reads whatever the history's size. Skipped ticks are left out (a daemon records
 * one every few seconds; the Automation page shows them).
 */
import { DATA_COMMIT_TAG } from '../core/definitions/data-commit.js';
import type { Definitions } from '../core/definitions/definitions.js';
import type { Instance } from '../core/instance/instance.js';
import type { ModelRegistry } from '../tracking/model-registry.js';
import type { DataRepository } from '../versioning/data-repository.js';
import { watchedBranches } from './watched-branches.js';

/** Models whose versions are listed at most (by name). */
const MAX_MODELS = 50;

/** Within one millisecond, the later stage of the loop is the newer (a commit's tick follows it). */
const LOOP_ORDER = { commit: 0, tick: 1, run: 2, 'model-version': 3 } as const;

/** One item of the timeline; `at` is epoch ms. */
export type TimelineItem =
  | {
      kind: 'commit';
      at: number;
      id: string;
      repository: string;
      branch: string;
      message: string;
      committer: string;
      merge: boolean;
    }
  | {
      kind: 'tick';
      at: number;
      id: string;
      instigator: string;
      type: string;
      status: string;
      runIds: string[];
      error?: string;
    }
  | { kind: 'run'; at: number; id: string; jobName: string; status: string; commit?: string }
  | { kind: 'model-version'; at: number; id: string; name: string; version: string; aliases: string[] };

/** What the timeline reads. */
export interface TimelineSources {
  defs: Definitions;
  instance: Instance;
  data?: DataRepository | undefined;
  registry?: ModelRegistry | undefined;
}

/** The newest `limit` items over all sources, newest first. */
export async function loopTimeline(sources: TimelineSources, limit: number): Promise<TimelineItem[]> {
  const parts = await Promise.all([
    commits(sources, limit),
    ticks(sources, limit),
    runs(sources, limit),
    versions(sources, limit),
  ]);
  return parts
    .flat()
    .sort((a, b) => b.at - a.at || LOOP_ORDER[b.kind] - LOOP_ORDER[a.kind])
    .slice(0, limit);
}

async function commits({ defs, data }: TimelineSources, limit: number): Promise<TimelineItem[]> {
  if (data === undefined) return [];
  const items: TimelineItem[] = [];
  for (const watched of await watchedBranches(defs, data)) {
    const page = await data
      .log({ repository: watched.repository, ref: watched.branch, firstParent: true, amount: limit })
      .catch(() => ({ results: [] })); // a branch not created yet
    for (const commit of page.results) {
      if (commit.parents.length === 0) continue; // the repository's empty first commit
      items.push({
        kind: 'commit',
        at: commit.creationDate.getTime(),
        id: commit.id,
        repository: watched.repository,
        branch: watched.branch,
        message: commit.message,
        committer: commit.committer,
        merge: commit.parents.length > 1,
      });
    }
  }
  return items;
}

async function ticks({ defs, instance }: TimelineSources, limit: number): Promise<TimelineItem[]> {
  const names = [...defs.sensors.map((s) => s.name), ...defs.schedules.map((s) => s.name)];
  const lists = await Promise.all(names.map((name) => instance.schedules.listTicks(name, { limit })));
  return lists.flat().flatMap((tick): TimelineItem[] =>
    tick.status === 'SKIPPED'
      ? []
      : [
          {
            kind: 'tick',
            at: tick.timestamp,
            id: `${tick.instigatorName}:${String(tick.id ?? tick.timestamp)}`,
            instigator: tick.instigatorName,
            type: tick.type,
            status: tick.status,
            runIds: tick.runIds,
            ...(tick.error === undefined ? {} : { error: tick.error }),
          },
        ],
  );
}

async function runs({ instance }: TimelineSources, limit: number): Promise<TimelineItem[]> {
  return (await instance.runs.listRuns({ limit })).map((run) => ({
    kind: 'run',
    at: run.createdAt,
    id: run.runId,
    jobName: run.jobName,
    status: run.status,
    ...(run.tags[DATA_COMMIT_TAG] === undefined ? {} : { commit: run.tags[DATA_COMMIT_TAG] }),
  }));
}

async function versions({ registry }: TimelineSources, limit: number): Promise<TimelineItem[]> {
  if (registry === undefined) return [];
  const models = await registry.searchRegisteredModels({ maxResults: MAX_MODELS });
  const lists = await Promise.all(
    models.map((model) => registry.searchModelVersions({ name: model.name, maxResults: limit })),
  );
  return lists.flat().map((version) => ({
    kind: 'model-version',
    at: version.creationTimestamp,
    id: `${version.name}/${version.version}`,
    name: version.name,
    version: version.version,
    aliases: version.aliases,
  }));
}
