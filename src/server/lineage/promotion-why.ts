/**
 * "Why did this version (not) become champion?": a model version against the champion in place
 * when it was evaluated — the version its promotion replaced, else the one the alias pointed at
 * when the version was registered (from the alias history). It compares what was recorded of both:
 * the data (the diff of their data commits, summarized per prefix, when the server has the data
 * repository), the code (the code versions of the assets their pipeline runs materialized, and
 * `*code_version*` tags), the params and the metrics of their training runs; and it gives the
 * decision: the check evaluations of the version's pipeline run (each with its rule, its
 * description and its metadata — thresholds and tolerances), the blocking checks that decided, and
 * the alias move with its reason and mover. Generic: it reads only recorded ids and events.
 *
 * @example
 * ```ts
 * const why = await explainVersion(sources, { name: 'flight-delays', version: '4' });
 * why.outcome; // 'refused'
 * why.decision.decidedBy[0]?.checkName; // 'not_worse_than_champion'
 * ```
 */
import { isLakeloopError } from '../../errors.js';
import type { RunRecord } from '../../core/events/event-types.js';
import type { AliasMove, ModelVersion, TrackingRun } from '../../tracking/tracking-types.js';
import type { DiffEntry } from '../../versioning/data-repository.js';
import { summarizeDiff } from '../../versioning/diff-summary.js';
import type { DiffSummary } from '../../versioning/diff-summary.js';
import { LineageRecords, isBlockingFailure } from './lineage-records.js';
import type { CheckEvaluationView, CommitRef, LineageSources } from './lineage-records.js';

/** Diff entries read at most (then the summary says `truncated`). */
const MAX_DIFF_ENTRIES = 20_000;
const DIFF_PAGE = 1000;

/** Options of {@link explainVersion}. */
export interface ExplainVersionOptions {
  name: string;
  version: string;
  /** The alias promotion moves. Default `'champion'`. */
  alias?: string;
}

/** How a version fared. */
export type PromotionOutcome =
  /** The alias moved to it. */
  | 'promoted'
  /** A blocking check of its run failed, and the alias never moved to it. */
  | 'refused'
  /** No blocking check failed, yet the alias never moved to it (a rule outside checks, or not decided yet). */
  | 'not_promoted';

/** One side of the comparison. */
export interface ComparedVersion {
  version: string;
  runId: string | null;
  pipelineRunId: string | null;
  dataCommit: CommitRef | null;
  createdAt: number;
}

/** A value on both sides. */
export interface Change<T> {
  key: string;
  champion: T | null;
  challenger: T | null;
}

/** The answer of {@link explainVersion}. */
export interface PromotionExplanation {
  name: string;
  alias: string;
  outcome: PromotionOutcome;
  /** One sentence a person reads. */
  summary: string;
  challenger: ComparedVersion;
  /** The champion it was judged against; null when there was none (a first version). */
  champion: (ComparedVersion & { source: 'replaced_by_promotion' | 'alias_at_registration' }) | null;
  decision: {
    /** Every check evaluation of the version's pipeline run. */
    checks: CheckEvaluationView[];
    /** The checks that decided: the failed blocking ones when refused, else the blocking ones. */
    decidedBy: CheckEvaluationView[];
    /** The move of the alias to the version (null when it never moved there). */
    move: AliasMove | null;
  };
  data:
    | {
        available: true;
        repository: string;
        from: string;
        to: string;
        summary: DiffSummary;
        truncated: boolean;
      }
    | { available: false; reason: string };
  /**
   * Code versions by asset (`asset:<key>`, from the runs' materializations) and `*code_version*`
   * tags (`tag:<key>`): changed first, then those one side did not record (`changed: null`).
   */
  code: (Change<string> & { changed: boolean | null })[];
  /** Params that differ (added, removed or changed). */
  params: Change<string>[];
  /** Every metric of either training run; `delta` = challenger − champion when both have it. */
  metrics: (Change<number> & { delta: number | null })[];
}

interface Side {
  version: ModelVersion;
  trainingRun: TrackingRun | undefined;
  /** As recorded (even when the instance no longer has the run). */
  pipelineRunId: string | undefined;
  pipelineRun: RunRecord | undefined;
  commit: CommitRef | undefined;
}

/** Explains a version's promotion or refusal (see the module doc); NOT_FOUND for an unknown version. */
export async function explainVersion(
  sources: LineageSources,
  options: ExplainVersionOptions,
): Promise<PromotionExplanation> {
  const records = new LineageRecords(sources);
  const alias = options.alias ?? 'champion';
  const version = await sources.registry.getModelVersion(options.name, options.version);
  const challenger = await sideOf(records, version);
  // The moves of this version (however old), and the alias at registration: the newest move not after it.
  const moves = await sources.registry.aliasHistory(options.name, { alias, version: version.version });
  const move = [...moves].reverse().find((m) => m.toVersion === version.version);
  const [atRegistration] = await sources.registry.aliasHistory(options.name, {
    alias,
    notAfter: version.creationTimestamp,
    maxResults: 1,
  });
  const championVersion = move !== undefined ? move.fromVersion : atRegistration?.toVersion;
  const champion =
    championVersion === undefined || championVersion === version.version
      ? undefined
      : await sideOf(records, await sources.registry.getModelVersion(options.name, championVersion));

  const checks =
    challenger.pipelineRun === undefined ? [] : await records.checkEvaluations(challenger.pipelineRun.runId);
  const failed = checks.filter(isBlockingFailure);
  const outcome: PromotionOutcome =
    move !== undefined ? 'promoted' : failed.length > 0 ? 'refused' : 'not_promoted';
  const decidedBy = outcome === 'refused' ? failed : checks.filter((c) => c.blocking);

  return {
    name: options.name,
    alias,
    outcome,
    summary: summaryOf({
      name: options.name,
      alias,
      version: version.version,
      outcome,
      move,
      failed,
      championVersion,
    }),
    challenger: compared(challenger),
    champion:
      champion === undefined
        ? null
        : {
            ...compared(champion),
            source: move !== undefined ? 'replaced_by_promotion' : 'alias_at_registration',
          },
    decision: { checks, decidedBy, move: move ?? null },
    data:
      champion === undefined
        ? { available: false, reason: 'There was no champion to compare with.' }
        : await dataDiff(sources, champion.commit, challenger.commit),
    code:
      champion === undefined
        ? []
        : codeChanges(await codeOf(records, champion), await codeOf(records, challenger)),
    params:
      champion === undefined
        ? []
        : changes(champion.trainingRun?.params ?? {}, challenger.trainingRun?.params ?? {}).filter(
            (c) => c.champion !== c.challenger,
          ),
    metrics:
      champion === undefined
        ? []
        : changes(champion.trainingRun?.metrics ?? {}, challenger.trainingRun?.metrics ?? {}).map((c) => ({
            ...c,
            delta: c.champion === null || c.challenger === null ? null : c.challenger - c.champion,
          })),
  };
}

async function sideOf(records: LineageRecords, version: ModelVersion): Promise<Side> {
  const trainingRun = await records.trainingRun(version.runId);
  const pipelineRunId = records.pipelineRunIdOf(version, trainingRun);
  const pipelineRun = pipelineRunId === undefined ? undefined : await records.pipelineRun(pipelineRunId);
  return {
    version,
    trainingRun,
    pipelineRunId,
    pipelineRun,
    commit: records.commitOfVersion(version, trainingRun, pipelineRun),
  };
}

function compared(side: Side): ComparedVersion {
  return {
    version: side.version.version,
    runId: side.version.runId ?? null,
    pipelineRunId: side.pipelineRunId ?? null,
    dataCommit: side.commit ?? null,
    createdAt: side.version.creationTimestamp,
  };
}

function summaryOf(facts: {
  name: string;
  alias: string;
  version: string;
  outcome: PromotionOutcome;
  move: AliasMove | undefined;
  failed: CheckEvaluationView[];
  championVersion: string | undefined;
}): string {
  const { name, alias, version, move } = facts;
  const champion = facts.championVersion === undefined ? undefined : `v${facts.championVersion}`;
  switch (facts.outcome) {
    case 'promoted':
      return (
        `${name} v${version} became ${alias}${champion === undefined ? ' (the first one)' : `, replacing ${champion}`}, ` +
        `on ${new Date(move?.timestamp ?? 0).toISOString()} by ${move?.by ?? 'unknown'}` +
        (move === undefined || move.reason === '' ? '.' : `: ${move.reason}`)
      );
    case 'refused': {
      const reasons = facts.failed
        .map(
          (c) =>
            `${c.checkName} failed${c.description === null ? '' : ` (${c.description.replace(/\.$/, '')})`}`,
        )
        .join('; ');
      return `${name} v${version} was not promoted: ${reasons}. ${alias} stayed ${champion ?? 'unset'}.`;
    }
    case 'not_promoted':
      return `${name} v${version} failed no blocking check, but ${alias} never moved to it; it stayed ${champion ?? 'unset'}.`;
  }
}

async function dataDiff(
  sources: LineageSources,
  champion: CommitRef | undefined,
  challenger: CommitRef | undefined,
): Promise<PromotionExplanation['data']> {
  if (champion === undefined || challenger === undefined) {
    return {
      available: false,
      reason: `No data commit is recorded for the ${champion === undefined ? 'champion' : 'challenger'}.`,
    };
  }
  if (champion.repository !== challenger.repository) {
    return {
      available: false,
      reason: `The versions were trained on different repositories (${champion.repository}, ${challenger.repository}).`,
    };
  }
  if (sources.data === undefined) {
    return {
      available: false,
      reason: `This server has no data repository; the commits are ${champion.commitId} (champion) and ${challenger.commitId} (challenger) of ${challenger.repository}.`,
    };
  }
  const entries: DiffEntry[] = [];
  let after: string | undefined;
  let truncated = false;
  try {
    for (;;) {
      const page = await sources.data.diff({
        repository: challenger.repository,
        left: champion.commitId,
        right: challenger.commitId,
        amount: DIFF_PAGE,
        ...(after === undefined ? {} : { after }),
      });
      entries.push(...page.results);
      if (!page.hasMore) break;
      if (entries.length >= MAX_DIFF_ENTRIES) {
        truncated = true;
        break;
      }
      after = page.nextOffset;
    }
  } catch (error) {
    if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
    return { available: false, reason: `The data repository cannot diff the two commits: ${error.message}` };
  }
  return {
    available: true,
    repository: challenger.repository,
    from: champion.commitId,
    to: challenger.commitId,
    summary: summarizeDiff(entries, { depth: 1 }),
    truncated,
  };
}

async function codeOf(records: LineageRecords, side: Side): Promise<Record<string, string>> {
  const code: Record<string, string> = {};
  if (side.pipelineRun !== undefined) {
    for (const [asset, version] of Object.entries(await records.codeVersions(side.pipelineRun))) {
      code[`asset:${asset}`] = version;
    }
  }
  for (const tags of [side.trainingRun?.tags ?? {}, side.version.tags]) {
    for (const [key, value] of Object.entries(tags))
      if (key.includes('code_version')) code[`tag:${key}`] = value;
  }
  return code;
}

function changes<T>(champion: Record<string, T>, challenger: Record<string, T>): Change<T>[] {
  const keys = [...new Set([...Object.keys(champion), ...Object.keys(challenger)])].sort();
  return keys.map((key) => ({ key, champion: champion[key] ?? null, challenger: challenger[key] ?? null }));
}

function codeChanges(
  champion: Record<string, string>,
  challenger: Record<string, string>,
): (Change<string> & { changed: boolean | null })[] {
  const rank = (changed: boolean | null) => (changed === true ? 0 : changed === null ? 1 : 2);
  return changes(champion, challenger)
    .map((c) => ({
      ...c,
      // Unknown when one side did not record it (e.g. a step that failed never materialized).
      changed: c.champion === null || c.challenger === null ? null : c.champion !== c.challenger,
    }))
    .sort((a, b) => rank(a.changed) - rank(b.changed));
}
