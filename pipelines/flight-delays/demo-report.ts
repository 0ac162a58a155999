/**
 * What `npm start` prints: one line per progress event of the demo runner, and the closing
 * summary (text or JSON). A re-run on a repository that already holds the months says so: those
 * months are `unchanged` (never "committed"), every run appears once, and a re-run with nothing new
 * says that it had nothing new and still names the current champion.
 *
 * @example
 * ```ts
 * const demo = await startDemo({ home, onProgress: (p) => { const line = formatProgress(p); if (line !== undefined) console.log(line); } });
 * const outcomes = [];
 * for (const month of demo.source.months) outcomes.push(await demo.commitMonth(month));
 * console.log(formatSummary({ outcomes, versions: await demo.versions(), totalSeconds: 3, home, repository: 'flights', branch: 'main' }).join('\n'));
 * ```
 */
import type { DemoProgress, MonthOutcome } from './demo-runner.js';
import { formatVersionTable } from './version-table.js';
import type { VersionRow } from './version-table.js';

/** The result of one demo, as {@link formatSummary} and {@link summaryJson} report it. */
export interface DemoSummary {
  /** One per month, in import order. */
  outcomes: readonly MonthOutcome[];
  versions: readonly VersionRow[];
  totalSeconds: number;
  home: string;
  repository: string;
  branch: string;
}

/** A run of the demo, listed once however many months it stands for. */
export interface DemoRunSummary {
  runId: string;
  commitId: string;
  /** The months whose data this run is for (more than one only when one commit brought several). */
  months: string[];
  /** `launched`: the sensor launched it during this demo; `earlier`: it ran before (same instance home). */
  seen: MonthOutcome['runSeen'];
  status: MonthOutcome['run']['status'];
  /** Commit -> run STARTED, ms; null when the commit predates this demo. */
  latencyMs: number | null;
  runSeconds: number;
  failedChecks: string[];
}

const short = (id: string, length = 12): string => id.slice(0, length);

/** The line of one progress event (leading newline before a month's first line), or undefined for none. */
export function formatProgress(progress: DemoProgress): string | undefined {
  switch (progress.kind) {
    case 'committed':
      return `\n[${progress.month}] committed ${progress.rows.toLocaleString('en-US')} rows as ${short(progress.commitId)} (${progress.seconds.toFixed(1)} s)`;
    case 'unchanged':
      return `\n[${progress.month}] unchanged: ${progress.path} (${progress.rows.toLocaleString('en-US')} rows) is already on the branch, from commit ${short(progress.commitId)}; nothing committed`;
    case 'run-started':
      return progress.latencyMs === undefined
        ? `[${progress.month}] sensor launched run ${short(progress.runId, 8)} for that commit (this instance had not run it)`
        : `[${progress.month}] sensor launched run ${short(progress.runId, 8)} (${Math.round(progress.latencyMs)} ms after the commit)`;
    case 'run-seen':
      return progress.shownFor === undefined
        ? `[${progress.month}] already trained by run ${short(progress.runId, 8)} (${progress.status}) before this demo; not run again`
        : `[${progress.month}] same commit as ${progress.shownFor}: run ${short(progress.runId, 8)} (${progress.status}) above`;
    case 'step-started':
      return `[${progress.month}]   ${progress.step} ...`;
    case 'step-finished':
      return `[${progress.month}]   ${progress.step.step} ${progress.step.status.toLowerCase()} in ${progress.step.seconds.toFixed(1)} s`;
    case 'log':
      return `[${progress.month}]     ${progress.message}`;
    case 'run-finished': {
      const { outcome } = progress;
      const head = `[${outcome.month}] run ${outcome.run.status} in ${outcome.runSeconds.toFixed(1)} s`;
      return outcome.failedChecks.length === 0
        ? head
        : `${head}; failed checks: ${outcome.failedChecks.join(' | ')}`;
    }
  }
}

/** The demo's runs, each once (in the order they were first seen). */
export function demoRuns(outcomes: readonly MonthOutcome[]): DemoRunSummary[] {
  const runs = new Map<string, DemoRunSummary>();
  for (const outcome of outcomes) {
    const known = runs.get(outcome.run.runId);
    if (known !== undefined) {
      known.months.push(outcome.month);
      continue;
    }
    runs.set(outcome.run.runId, {
      runId: outcome.run.runId,
      commitId: outcome.commitId,
      months: [outcome.month],
      seen: outcome.runSeen,
      status: outcome.run.status,
      latencyMs: outcome.data === 'committed' ? outcome.latencyMs : null,
      runSeconds: outcome.runSeconds,
      failedChecks: outcome.failedChecks,
    });
  }
  return [...runs.values()];
}

/** `v3`, or undefined when no version is the champion. */
export function championOf(versions: readonly VersionRow[]): string | undefined {
  const champion = versions.find((row) => row.champion);
  return champion === undefined ? undefined : `v${champion.version}`;
}

/** What the demo did with the months, in one sentence. */
function importSentence(summary: DemoSummary): string {
  const where = `${summary.repository}@${summary.branch}`;
  const committed = summary.outcomes.filter((o) => o.data === 'committed').length;
  const unchanged = summary.outcomes.length - committed;
  if (unchanged === 0) return `${committed} month(s) committed to ${where}.`;
  const launched = demoRuns(summary.outcomes).filter((run) => run.seen === 'launched').length;
  const runs =
    launched === 0
      ? 'no run was needed'
      : `the sensor ran ${launched} run(s) for commits this instance had not run`;
  return committed === 0
    ? `Nothing new: all ${unchanged} month(s) were already on ${where}, nothing was committed; ${runs}.`
    : `${committed} month(s) committed, ${unchanged} already on ${where} (unchanged); ${launched} run(s) launched by the sensor.`;
}

/** The closing lines of the text output: what was imported, the version table, the champion, where to look. */
export function formatSummary(summary: DemoSummary): string[] {
  const champion = championOf(summary.versions) ?? 'none';
  return [
    '',
    importSentence(summary),
    '',
    formatVersionTable([...summary.versions]),
    '',
    `${summary.versions.length} model version(s), champion ${champion}, in ${summary.totalSeconds.toFixed(1)} s; inspect them with:`,
    `  node bin/lakeloop.js --home ${summary.home} models list`,
    `  node bin/lakeloop.js --home ${summary.home} runs list`,
  ];
}

/** The `--json` document: months (each with its data status and run), runs (each once), versions, champion. */
export function summaryJson(summary: DemoSummary & { dataset: string }): Record<string, unknown> {
  return {
    dataset: summary.dataset,
    home: summary.home,
    totalSeconds: summary.totalSeconds,
    champion: championOf(summary.versions) ?? null,
    months: summary.outcomes.map((o) => ({
      month: o.month,
      data: o.data,
      commitId: o.commitId,
      rows: o.rows,
      runId: o.run.runId,
    })),
    runs: demoRuns(summary.outcomes),
    versions: summary.versions,
  };
}
