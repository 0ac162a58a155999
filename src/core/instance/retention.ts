/**
 * Retention: `pruneInstance` deletes old finished runs (with their events), old ticks, and the
 * stored values no retained run references. What is never deleted: runs in progress (QUEUED,
 * NOT_STARTED, STARTING, STARTED, CANCELING — anything not finished), the run of the latest
 * materialization of every asset (and partition), the parents (re-execution) of every retained
 * run, the newest `keepRuns` runs, and every value a retained run's ASSET_MATERIALIZATION event
 * references. Order of work, so that a process killed at any point leaves a consistent instance:
 * (1) a run record, then (2) its events, then (3) values. A kill between (1) and (2) leaves the
 * events of a deleted run; they keep their values alive and the next prune deletes them first.
 *
 * `<home>/lakeloop.json` may hold a `retention` section (see {@link readRetentionConfig}); the
 * daemon calls {@link pruneInstanceIfDue} once a pass, which prunes at most once an hour.
 *
 * @example
 * ```ts
 * const report = await pruneInstance({
 *   instance,
 *   policy: { runsOlderThanMs: 30 * DAY_MS, keepRuns: 100, ticksOlderThanMs: 7 * DAY_MS },
 * });
 * console.log(report.runs.deleted.length, report.values.deletedBytes);
 * ```
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LakeloopError } from '../../errors.js';
import { FINISHED_RUN_STATUSES } from '../events/event-types.js';
import type { RunRecord, StoredEvent } from '../events/event-types.js';
import type { StoredOutputRef } from '../execution/io/io-manager.js';
import { recordedInputs } from '../execution/run-inputs.js';
import type { Instance } from './instance.js';

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

/** Default time a value file written recently is kept even when nothing references it yet. */
export const DEFAULT_VALUE_GRACE_MS = 3_600_000;

/** Default time between two automatic prunes of the daemon. */
export const DEFAULT_PRUNE_INTERVAL_MS = 3_600_000;

/** What {@link pruneInstance} may delete. Criteria left out delete nothing of their kind. */
export interface RetentionPolicy {
  /** Finished runs that ended (else were created) longer ago than this may be deleted. */
  runsOlderThanMs?: number;
  /** The newest N runs (any status) are always kept; alone, every older finished run may go. */
  keepRuns?: number;
  /** Ticks whose last evaluation is older than this are deleted. */
  ticksOlderThanMs?: number;
  /** Unreferenced values written less than this long ago are kept. Default 1 h. */
  valueGraceMs?: number;
  /** Delete unreferenced stored values. Default true. */
  pruneValues?: boolean;
}

/** Where {@link pruneInstance} is (progress; the crash tests stop a process at a step). */
export type PruneStep =
  | { step: 'run-deleted'; runId: string }
  | { step: 'events-deleted'; runId: string }
  | { step: 'value-deleted'; storagePath: string };

/** Options of {@link pruneInstance}. */
export interface PruneInstanceOptions {
  instance: Instance;
  policy: RetentionPolicy;
  /** The time the policy's ages count from. Default: the instance clock. */
  now?: number;
  /** Report what would be deleted, deleting nothing. Default false. */
  dryRun?: boolean;
  /** Called after each deletion. Default none. */
  onStep?: (step: PruneStep) => void;
}

/** What {@link pruneInstance} deleted (or would delete, with `dryRun`). */
export interface PruneReport {
  dryRun: boolean;
  now: number;
  runs: {
    /** Run ids deleted, with their events, oldest first. */
    deleted: string[];
    /** Runs kept. */
    kept: number;
    /** Runs that the policy would delete but are kept: in progress, latest materialization, parent of a kept run. */
    protected: number;
  };
  /** Run ids whose events were left without their run (by a prune killed mid-way) and deleted now. */
  orphanedEventRuns: string[];
  ticks: { deleted: number };
  values: {
    deleted: number;
    deletedBytes: number;
    kept: number;
    /** Why values were not pruned (the IO manager cannot, or the policy says not to). */
    skipped?: string;
  };
}

const PAGE = 1_000;

/** Runs, oldest first (slim: only what retention needs). */
type RunSummary = Pick<RunRecord, 'runId' | 'status' | 'createdAt' | 'endedAt' | 'parentRunId'>;

/** Deletes what `policy` allows; see the module comment for what is always kept. */
export async function pruneInstance(options: PruneInstanceOptions): Promise<PruneReport> {
  const { instance, policy } = options;
  checkPolicy(policy);
  const dryRun = options.dryRun === true;
  const now = options.now ?? instance.clock.now();
  const report: PruneReport = {
    dryRun,
    now,
    runs: { deleted: [], kept: 0, protected: 0 },
    orphanedEventRuns: [],
    ticks: { deleted: 0 },
    values: { deleted: 0, deletedBytes: 0, kept: 0 },
  };

  const runs = await listAllRuns(instance);
  const { deleted, kept, protectedCount } = await runsToDelete(instance, runs, policy, now);
  report.runs.kept = kept;
  report.runs.protected = protectedCount;
  // Events first left behind by a killed prune: their run is gone, so they are deleted first.
  const known = new Set(runs.map((r) => r.runId));
  for (const runId of await instance.events.listRunIdsWithEvents()) {
    if (known.has(runId) || (await instance.runs.getRun(runId)) !== undefined) continue;
    report.orphanedEventRuns.push(runId);
    if (!dryRun) {
      await instance.events.deleteEventsOfRun(runId);
      options.onStep?.({ step: 'events-deleted', runId });
    }
  }
  for (const runId of deleted) {
    report.runs.deleted.push(runId);
    if (dryRun) continue;
    await instance.runs.deleteRun(runId);
    options.onStep?.({ step: 'run-deleted', runId });
    await instance.events.deleteEventsOfRun(runId);
    options.onStep?.({ step: 'events-deleted', runId });
  }

  if (policy.ticksOlderThanMs !== undefined) {
    report.ticks.deleted = await instance.schedules.deleteTicks({
      before: now - policy.ticksOlderThanMs,
      dryRun,
    });
  }

  const io = instance.ioManager;
  if (policy.pruneValues === false) report.values.skipped = 'the policy keeps every value';
  else if (io.prune === undefined) report.values.skipped = 'the IO manager cannot prune values';
  else {
    const gone = new Set([...report.orphanedEventRuns, ...report.runs.deleted]);
    const keep = await referencedValues(instance, dryRun ? gone : new Set());
    const pruned = await io.prune({
      keep,
      writtenBefore: now - (policy.valueGraceMs ?? DEFAULT_VALUE_GRACE_MS),
      dryRun,
      onDeleted: (storagePath) => options.onStep?.({ step: 'value-deleted', storagePath }),
    });
    report.values.deleted = pruned.deleted.length;
    report.values.deletedBytes = pruned.deletedBytes;
    report.values.kept = pruned.kept;
  }
  return report;
}

function checkPolicy(policy: RetentionPolicy): void {
  for (const [name, value] of Object.entries(policy)) {
    if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0)) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Retention ${name} must be a whole number >= 0 (got ${value}).`,
        { details: { [name]: value } },
      );
    }
  }
}

/** Every run, newest first. */
async function listAllRuns(instance: Instance): Promise<RunSummary[]> {
  const all: RunSummary[] = [];
  let beforeRunId: string | undefined;
  for (;;) {
    const page = await instance.runs.listRuns({
      limit: PAGE,
      ...(beforeRunId === undefined ? {} : { beforeRunId }),
    });
    for (const run of page) all.push(summaryOf(run));
    if (page.length < PAGE) return all;
    beforeRunId = page.at(-1)?.runId;
  }
}

function summaryOf(run: RunRecord): RunSummary {
  const summary: RunSummary = { runId: run.runId, status: run.status, createdAt: run.createdAt };
  if (run.endedAt !== undefined) summary.endedAt = run.endedAt;
  if (run.parentRunId !== undefined) summary.parentRunId = run.parentRunId;
  return summary;
}

/** The runs the policy deletes (oldest first), and how many are kept. */
async function runsToDelete(
  instance: Instance,
  runs: readonly RunSummary[],
  policy: RetentionPolicy,
  now: number,
): Promise<{ deleted: string[]; kept: number; protectedCount: number }> {
  if (policy.runsOlderThanMs === undefined && policy.keepRuns === undefined) {
    return { deleted: [], kept: runs.length, protectedCount: 0 };
  }
  const latest = new Set((await instance.events.latestMaterializations()).map((l) => l.event.runId));
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const wanted = new Set<string>();
  runs.forEach((run, newestIndex) => {
    if (policy.keepRuns !== undefined && newestIndex < policy.keepRuns) return;
    if (policy.runsOlderThanMs !== undefined && (run.endedAt ?? run.createdAt) > now - policy.runsOlderThanMs)
      return;
    wanted.add(run.runId);
  });
  const candidates = new Set(
    [...wanted].filter((id) => {
      const run = byId.get(id);
      return run !== undefined && FINISHED_RUN_STATUSES.includes(run.status) && !latest.has(id);
    }),
  );
  // A kept run may be re-executed, reading its parent's values: keep its ancestors too.
  const keepAncestors = (run: RunSummary | undefined): void => {
    let parent = run?.parentRunId;
    const seen = new Set<string>();
    while (parent !== undefined && !seen.has(parent)) {
      seen.add(parent);
      candidates.delete(parent);
      parent = byId.get(parent)?.parentRunId;
    }
  };
  for (const run of runs) if (!candidates.has(run.runId)) keepAncestors(run);
  // Runs created since the listing (a re-execution of an old run just now) protect their parents too.
  const newest = runs[0];
  if (newest !== undefined) {
    const since = await instance.runs
      .listRuns({ afterRunId: newest.runId, order: 'OLDEST_FIRST', limit: PAGE })
      .catch(() => []);
    for (const run of since) keepAncestors(summaryOf(run));
  }
  const deleted = [...runs]
    .reverse()
    .filter((r) => candidates.has(r.runId))
    .map((r) => r.runId);
  return { deleted, kept: runs.length - deleted.length, protectedCount: wanted.size - deleted.length };
}

/** Every value a materialization event or a run's recorded inputs reference (except events of `excludedRuns`). */
async function referencedValues(
  instance: Instance,
  excludedRuns: ReadonlySet<string>,
): Promise<StoredOutputRef[]> {
  const refs: StoredOutputRef[] = [];
  const add = (event: StoredEvent): void => {
    const m = event.materialization;
    if (m?.storagePath === undefined || excludedRuns.has(event.runId)) return;
    refs.push({
      assetKey: m.assetKey,
      storagePath: m.storagePath,
      ...(m.partition === undefined ? {} : { partition: m.partition }),
    });
  };
  // The values a run read are referenced too: its re-execution reads exactly them (run-inputs.ts).
  const addInputs = (event: StoredEvent): void => {
    if (excludedRuns.has(event.runId)) return;
    for (const input of recordedInputs(event) ?? []) refs.push(input);
  };
  let afterId: number | undefined;
  for (;;) {
    const page = await instance.events.getEvents({
      types: ['ASSET_MATERIALIZATION', 'RUN_START'],
      limit: PAGE,
      ...(afterId === undefined ? {} : { afterId }),
    });
    for (const event of page) {
      if (event.type === 'RUN_START') addInputs(event);
      else add(event);
    }
    if (page.length < PAGE) break;
    afterId = page.at(-1)?.id;
  }
  // The latest materialization of every asset is always kept (also read after this scan).
  for (const latest of await instance.events.latestMaterializations()) add(latest.event);
  return refs;
}

/** The `retention` section of `<home>/lakeloop.json`, as written there. */
const retentionSchema = z
  .object({
    runsOlderThan: z.string().optional(),
    keepRuns: z.number().int().min(0).optional(),
    ticksOlderThan: z.string().optional(),
    valueGrace: z.string().optional(),
    pruneValues: z.boolean().optional(),
    /** How often the daemon prunes. Default 1h. */
    interval: z.string().optional(),
  })
  .strict();

const configSchema = z.object({ retention: retentionSchema.optional() }).loose();

/** Automatic retention from `<home>/lakeloop.json`. */
export interface RetentionConfig {
  policy: RetentionPolicy;
  /** Time between two automatic prunes. */
  intervalMs: number;
}

/**
 * Parses a duration: a whole number and a unit, `ms`, `s`, `m`, `h`, `d` or `w` (`30d`, `12h`);
 * INVALID_ARGUMENT otherwise.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS } as const;
  if (match === null) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid ${what} ${JSON.stringify(text)}; write a whole number and a unit: 30d, 12h, 15m, 90s, 500ms, 2w.`,
      { details: { [what]: text } },
    );
  }
  return Number(match[1]) * unit[match[2] as keyof typeof unit];
}

/**
 * The `retention` section of `<home>/lakeloop.json`, or undefined when the file or the section is
 * absent (no automatic retention). INVALID_ARGUMENT naming the file for a malformed one.
 *
 * ```json
 * { "retention": { "runsOlderThan": "30d", "keepRuns": 100, "ticksOlderThan": "7d" } }
 * ```
 */
export function readRetentionConfig(home: string): RetentionConfig | undefined {
  const path = join(home, 'lakeloop.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LakeloopError('UNAVAILABLE', `Cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  let parsed: z.infer<typeof configSchema>;
  try {
    parsed = configSchema.parse(JSON.parse(text));
  } catch (cause) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${path} is not a valid instance configuration: ${(cause as Error).message}`,
      { cause },
    );
  }
  const retention = parsed.retention;
  if (retention === undefined) return undefined;
  const policy: RetentionPolicy = {};
  if (retention.runsOlderThan !== undefined)
    policy.runsOlderThanMs = parseDuration(retention.runsOlderThan, 'retention.runsOlderThan');
  if (retention.keepRuns !== undefined) policy.keepRuns = retention.keepRuns;
  if (retention.ticksOlderThan !== undefined)
    policy.ticksOlderThanMs = parseDuration(retention.ticksOlderThan, 'retention.ticksOlderThan');
  if (retention.valueGrace !== undefined)
    policy.valueGraceMs = parseDuration(retention.valueGrace, 'retention.valueGrace');
  if (retention.pruneValues !== undefined) policy.pruneValues = retention.pruneValues;
  const intervalMs =
    retention.interval === undefined
      ? DEFAULT_PRUNE_INTERVAL_MS
      : parseDuration(retention.interval, 'retention.interval');
  return { policy, intervalMs };
}

/** Last automatic prune (or configuration check) per instance, and the interval then configured. */
const lastAutomaticPrune = new WeakMap<Instance, { at: number; intervalMs: number }>();

/**
 * The daemon's automatic retention: prunes per `<home>/lakeloop.json` when its interval (default
 * 1 h) passed since the last time in this process; undefined when not due or not configured. The
 * file is read only when due, so a change applies within an interval.
 */
export async function pruneInstanceIfDue(options: {
  instance: Instance;
  now?: number;
}): Promise<PruneReport | undefined> {
  const { instance } = options;
  const now = options.now ?? instance.clock.now();
  const last = lastAutomaticPrune.get(instance);
  if (last !== undefined && now - last.at < last.intervalMs) return undefined;
  const config = readRetentionConfig(instance.home);
  lastAutomaticPrune.set(instance, { at: now, intervalMs: config?.intervalMs ?? DEFAULT_PRUNE_INTERVAL_MS });
  if (config === undefined) return undefined;
  return pruneInstance({ instance, now, policy: config.policy });
}
