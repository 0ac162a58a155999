/**
 * Pre-commit and pre-merge hooks of the embedded data repository: `defineCheck` checks that run
 * against the data as it would be after the commit or merge, before the branch moves. The check's
 * value is a read-only {@link DataSnapshot} pinned to the would-be commit (the commit that lands
 * when the checks pass: same id). A failing blocking ERROR check refuses the commit or merge with
 * CHECK_FAILED and nothing changes (head and staged changes as they were); failing non-blocking or
 * WARN checks are reported (`onReport`) and do not block.
 *
 * Hooks are client-side: they run in the process that commits through a client given them
 * (`openDataRepository({ hooks })`, `dataRepositoryResource({ hooks })`, `lakeloop data commit
 * --defs …`). lakeFS runs its own server-side hooks (actions); a lakeFS client refuses hooks.
 *
 * @example
 * ```ts
 * const noEmptyMonths = defineCheck<DataSnapshot>({
 *   name: 'no_empty_months', asset: 'flights_data', blocking: true,
 *   fn: async (_ctx, data) => ({ passed: (await data.readTable('flights/2001-07.parquet')).rowCount > 0 }),
 * });
 * await using data = await openDataRepository({ hooks: [defineDataHook({ name: 'quality', repository: 'flights', branches: ['main'], checks: [noEmptyMonths] })] });
 * await data.commit({ repository: 'flights', branch: 'main', message: 'July' }); // CHECK_FAILED if July is empty
 * ```
 */
import type { Readable } from 'node:stream';
import type { CheckContext, StepLogger } from '../core/definitions/asset-context.js';
import { toCheckResult } from '../core/definitions/check-definition.js';
import type { CheckDefinition, CheckSeverity } from '../core/definitions/check-definition.js';
import { LakeloopError } from '../errors.js';
import { branchPatternMatches, checkBranchPatterns } from './branch-protection.js';
import { resolveDataFiles } from './data-file-set.js';
import type { DataFileSet } from './data-file-set.js';
import { checkRepositoryName } from './data-names.js';
import { openData, readJson, readTable, readText } from './data-readers.js';
import type { DataTable, ReadObjectOptions, ReadTableOptions } from './data-readers.js';
import type { DataRepository, DiffEntry } from './data-repository.js';
import { formatDataUri } from './data-uri.js';

/** When a hook runs: before a commit lands on a branch, or before a merge into it. */
export type DataHookEvent = 'pre-commit' | 'pre-merge';

/** The hook events, for validation and help. */
export const DATA_HOOK_EVENTS = ['pre-commit', 'pre-merge'] as const satisfies readonly DataHookEvent[];

/** What a hook's checks receive as their value: the would-be state, read-only and pinned. */
export interface DataSnapshot {
  readonly event: DataHookEvent;
  readonly repository: string;
  readonly branch: string;
  /** The would-be commit (the one that lands if every blocking check passes). */
  readonly commitId: string;
  /** The branch head before the commit or merge. */
  readonly headCommitId: string;
  /** The merged ref (pre-merge only). */
  readonly source: string | undefined;
  /** `lakefs://<repository>/<commitId>/<path>`. */
  uri(path: string): string;
  readTable(path: string, options?: Omit<ReadTableOptions, 'cacheDir'>): Promise<DataTable>;
  readJson<T = unknown>(path: string, options?: ReadObjectOptions): Promise<T>;
  readText(path: string, options?: ReadObjectOptions): Promise<string>;
  open(path: string): Promise<Readable>;
  files(path: string): Promise<DataFileSet>;
  /** What the commit or merge changes: the diff from the head to the would-be commit. */
  changes(options?: { prefix?: string }): Promise<DiffEntry[]>;
}

/** What {@link defineDataHook} takes. */
export interface DataHookSpec {
  /** Names the hook in reports and errors. */
  name: string;
  /** The repository watched. Default: every repository (a data resource's hooks: its repository). */
  repository?: string;
  /** Branch-name patterns watched (as branch protection's: `main`, `release-*`). Default `['*']`: every branch. */
  branches?: readonly string[];
  /** Default both. */
  events?: readonly DataHookEvent[];
  /** The checks (no resources: a hook runs outside any run). */
  checks: readonly CheckDefinition<DataSnapshot>[];
  description?: string;
}

/** A defined data hook. */
export interface DataHook {
  readonly kind: 'data-hook';
  readonly name: string;
  readonly repository: string | undefined;
  readonly branches: readonly string[];
  readonly events: readonly DataHookEvent[];
  readonly checks: readonly CheckDefinition<DataSnapshot>[];
  readonly description: string | undefined;
}

/** One check's outcome. */
export interface DataHookEvaluation {
  hook: string;
  /** The check's asset key (a label for data hooks). */
  assetKey: string;
  checkName: string;
  passed: boolean;
  severity: CheckSeverity;
  blocking: boolean;
  description?: string;
  metadata: Record<string, unknown>;
}

/** Every check's outcome for one commit or merge. */
export interface DataHookReport {
  event: DataHookEvent;
  repository: string;
  branch: string;
  commitId: string;
  evaluations: DataHookEvaluation[];
  /** True when a blocking ERROR check failed (the commit or merge was refused). */
  refused: boolean;
}

/** What a backend asks its hook runner to check. */
export interface DataHookRequest {
  event: DataHookEvent;
  repository: string;
  branch: string;
  headCommitId: string;
  commitId: string;
  source?: string;
  /** Where the would-be commit is readable. */
  data: DataRepository;
}

/** Runs hooks for a backend (the embedded one takes it as `hookRunner`). */
export interface DataHookRunner {
  /** True when a hook watches the event on the branch (else the backend skips preparing a candidate). */
  watches(event: DataHookEvent, repository: string, branch: string): boolean;
  /** Runs the checks; throws CHECK_FAILED when a blocking ERROR check failed. */
  run(request: DataHookRequest): Promise<DataHookReport>;
}

/** Options of {@link createDataHookRunner}. */
export interface DataHookRunnerOptions {
  /** Called with every report (also a refusing one, before the error is thrown). Default none. */
  onReport?: (report: DataHookReport) => void;
  /** Where checks' `ctx.log` lines go. Default: dropped. */
  log?: StepLogger;
  /** Download cache of `readTable`/`files` (e.g. `lakeloopDataCacheDir(home)`). Default: temp files. */
  cacheDir?: string;
}

/** Key under which a data repository resource carries its hooks (for `dataHooksOf`). */
export const DATA_HOOKS = Symbol.for('lakeloop.dataHooks');

/** Defines a data hook (see the module example). */
export function defineDataHook(spec: DataHookSpec): DataHook {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(spec.name)) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Invalid data hook name ${JSON.stringify(spec.name)}: use letters, digits, "_" and "-".`,
    );
  }
  const events = [...(spec.events ?? DATA_HOOK_EVENTS)];
  for (const event of events) {
    if (!(DATA_HOOK_EVENTS as readonly string[]).includes(event)) {
      throw new LakeloopError(
        'DEFINITION_ERROR',
        `Data hook "${spec.name}" has unknown event ${JSON.stringify(event)}; use ${DATA_HOOK_EVENTS.join(' or ')}.`,
      );
    }
  }
  if (spec.checks.length === 0) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Data hook "${spec.name}" has no checks; give it at least one.`,
    );
  }
  for (const check of spec.checks) {
    if (check.requiredResources.length > 0 || Object.keys(check.resources).length > 0) {
      throw new LakeloopError(
        'DEFINITION_ERROR',
        `Check "${check.name}" of data hook "${spec.name}" declares resources; hook checks run outside any run and get none (read the data through the snapshot they are given).`,
      );
    }
  }
  return {
    kind: 'data-hook',
    name: spec.name,
    repository: spec.repository === undefined ? undefined : checkRepositoryName(spec.repository),
    branches: checkBranchPatterns(spec.branches ?? ['*']),
    events,
    checks: [...spec.checks],
    description: spec.description,
  };
}

/** The hooks the resources of some Definitions carry (data repository resources given `hooks`). */
export function dataHooksOf(resources: Readonly<Record<string, unknown>>): DataHook[] {
  const hooks: DataHook[] = [];
  for (const value of Object.values(resources)) {
    const carried = (value as { [DATA_HOOKS]?: readonly DataHook[] } | null)?.[DATA_HOOKS];
    if (carried !== undefined) hooks.push(...carried);
  }
  return hooks;
}

/** A runner for the hooks (undefined when there are none, so a backend need not prepare anything). */
export function createDataHookRunner(
  hooks: readonly DataHook[],
  options: DataHookRunnerOptions = {},
): DataHookRunner | undefined {
  if (hooks.length === 0) return undefined;
  const matching = (event: DataHookEvent, repository: string, branch: string): DataHook[] =>
    hooks.filter(
      (hook) =>
        hook.events.includes(event) &&
        (hook.repository === undefined || hook.repository === repository) &&
        hook.branches.some((pattern) => branchPatternMatches(pattern, branch)),
    );
  return {
    watches: (event, repository, branch) => matching(event, repository, branch).length > 0,
    run: async (request) => {
      const snapshot = snapshotOf(request, options.cacheDir);
      const evaluations: DataHookEvaluation[] = [];
      for (const hook of matching(request.event, request.repository, request.branch)) {
        for (const check of hook.checks) evaluations.push(await evaluate(hook, check, snapshot, options.log));
      }
      const refused = evaluations.some((e) => !e.passed && e.blocking && e.severity === 'ERROR');
      const report: DataHookReport = {
        event: request.event,
        repository: request.repository,
        branch: request.branch,
        commitId: request.commitId,
        evaluations,
        refused,
      };
      options.onReport?.(report);
      if (refused) throw refusal(report);
      return report;
    },
  };
}

/** A one-line description of a failed evaluation, for errors and CLI warnings. */
export function describeEvaluation(evaluation: DataHookEvaluation): string {
  const extra =
    Object.keys(evaluation.metadata).length === 0 ? '' : ` ${JSON.stringify(evaluation.metadata)}`;
  const description = evaluation.description === undefined ? '' : `: ${evaluation.description}`;
  return `check "${evaluation.checkName}" (hook "${evaluation.hook}", ${evaluation.severity}${evaluation.blocking ? ', blocking' : ''})${description}${extra}`;
}

async function evaluate(
  hook: DataHook,
  check: CheckDefinition<DataSnapshot>,
  snapshot: DataSnapshot,
  log: StepLogger | undefined,
): Promise<DataHookEvaluation> {
  const base = { hook: hook.name, assetKey: check.assetKey, checkName: check.name, blocking: check.blocking };
  const ctx: CheckContext = {
    assetKey: check.assetKey,
    checkName: check.name,
    partition: undefined,
    // A hook runs outside any run.
    runId: '',
    runTags: {},
    log: log ?? silentLogger,
    resources: {},
    dataCommit: { repository: snapshot.repository, branch: snapshot.branch, commitId: snapshot.commitId },
    signal: new AbortController().signal,
  };
  try {
    const result = toCheckResult(await check.fn(ctx, snapshot));
    return {
      ...base,
      passed: result.passed,
      severity: result.severity,
      ...(result.description === undefined ? {} : { description: result.description }),
      metadata: { ...(result.metadata ?? {}) },
    };
  } catch (error) {
    // A check that throws failed (as an asset check that throws does).
    return {
      ...base,
      passed: false,
      severity: 'ERROR',
      description: check.description,
      metadata: { error: error instanceof Error ? error.message : String(error) },
    };
  }
}

function refusal(report: DataHookReport): LakeloopError {
  const failed = report.evaluations.filter((e) => !e.passed && e.blocking && e.severity === 'ERROR');
  const what = report.event === 'pre-commit' ? 'commit' : 'merge';
  return new LakeloopError(
    'CHECK_FAILED',
    `The ${what} into ${report.repository}/${report.branch} was refused by ${failed.length} blocking ${report.event} check(s): ${failed.map(describeEvaluation).join('; ')}. Nothing changed (the branch head${report.event === 'pre-commit' ? ' and the staged changes' : ''} are as they were): fix the data and try again.`,
    {
      details: {
        repository: report.repository,
        branch: report.branch,
        event: report.event,
        evaluations: report.evaluations,
      },
    },
  );
}

function snapshotOf(request: DataHookRequest, cacheDir: string | undefined): DataSnapshot {
  const { data, repository, commitId } = request;
  const uri = (path: string): string => formatDataUri({ repository, ref: commitId, path });
  const cache = cacheDir === undefined ? {} : { cacheDir };
  return {
    event: request.event,
    repository,
    branch: request.branch,
    commitId,
    headCommitId: request.headCommitId,
    source: request.source,
    uri,
    readTable: (path, options = {}) => readTable(data, uri(path), { ...options, ...cache }),
    readJson: <T>(path: string, options?: ReadObjectOptions) => readJson<T>(data, uri(path), options),
    readText: (path, options) => readText(data, uri(path), options),
    open: (path) => openData(data, uri(path)),
    files: (path) => resolveDataFiles(data, uri(path), cache),
    changes: async (options = {}) => {
      const entries: DiffEntry[] = [];
      let after = '';
      for (;;) {
        const page = await data.diff({
          repository,
          left: request.headCommitId,
          right: commitId,
          after,
          amount: 1000,
          ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
        });
        entries.push(...page.results);
        if (!page.hasMore) return entries;
        after = page.nextOffset;
      }
    },
  };
}

const silentLogger: StepLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
