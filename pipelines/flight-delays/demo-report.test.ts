/**
 * demo-report: two months brought by one commit are one run (listed once, with both months), the
 * progress lines of unchanged months, and the summary of a re-run with and without new months.
 */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from 'lakeloop';
import { demoRuns, formatProgress, formatSummary, summaryJson } from './demo-report.js';
import type { DemoSummary } from './demo-report.js';
import type { MonthOutcome } from './demo-runner.js';
import type { VersionRow } from './version-table.js';

function run(runId: string): RunRecord {
  return {
    runId,
    jobName: 'retrain',
    selection: 'load_data+',
    assetKeys: [],
    status: 'SUCCESS',
    tags: {},
    createdAt: 0,
    updatedAt: 0,
  };
}

function outcome(month: string, overrides: Partial<MonthOutcome>): MonthOutcome {
  return {
    month,
    data: 'committed',
    commitId: `commit-${month}`,
    rows: 10,
    importSeconds: 0,
    latencyMs: 5,
    run: run(`run-${month}`),
    runSeen: 'launched',
    steps: [],
    failedChecks: [],
    runSeconds: 1,
    ...overrides,
  };
}

const version = (v: string, champion: boolean): VersionRow => ({
  version: v,
  dataCommit: `commit-${v}`,
  evaluationMonth: '2001-01',
  trainRows: 1,
  auc: 0.5,
  logLoss: 0.5,
  gate: 'passed',
  champion,
  pipelineRunId: `run-${v}`,
  durationSeconds: 1,
});

function summary(outcomes: MonthOutcome[], versions: VersionRow[]): DemoSummary {
  return { outcomes, versions, totalSeconds: 2, home: '/h', repository: 'flights', branch: 'main' };
}

describe('demo report', () => {
  it('lists a run once with every month it stands for', () => {
    const shared = outcome('2001-01', { data: 'unchanged', latencyMs: 0, commitId: 'c1' });
    const outcomes = [
      shared,
      { ...shared, month: '2001-02', runSeen: 'earlier' as const },
      outcome('2001-03', {}),
    ];
    expect(demoRuns(outcomes).map((r) => [r.runId, r.months, r.latencyMs])).toEqual([
      ['run-2001-01', ['2001-01', '2001-02'], null],
      ['run-2001-03', ['2001-03'], 5],
    ]);
    const json = summaryJson({ ...summary(outcomes, [version('1', true)]), dataset: 'flights-2k' });
    expect(json['champion']).toBe('v1');
    expect(json['runs']).toHaveLength(2);
    expect(formatSummary(summary(outcomes, [version('1', true)]))[1]).toBe(
      '1 month(s) committed, 2 already on flights@main (unchanged); 2 run(s) launched by the sensor.',
    );
  });

  it('says an unchanged month was not committed and names its earlier run', () => {
    expect(
      formatProgress({
        kind: 'unchanged',
        month: '2001-02',
        commitId: 'abcdef0123456789',
        rows: 1234,
        path: 'f/2001-02.parquet',
      }),
    ).toBe(
      '\n[2001-02] unchanged: f/2001-02.parquet (1,234 rows) is already on the branch, from commit abcdef012345; nothing committed',
    );
    expect(
      formatProgress({
        kind: 'run-seen',
        month: '2001-02',
        runId: 'r1234567890',
        status: 'FAILURE',
        shownFor: '2001-01',
      }),
    ).toBe('[2001-02] same commit as 2001-01: run r1234567 (FAILURE) above');
    expect(formatProgress({ kind: 'run-started', month: '2001-02', runId: 'r1234567890' })).toBe(
      '[2001-02] sensor launched run r1234567 for that commit (this instance had not run it)',
    );
  });

  it('a re-run with nothing new says so and still names the champion, or that there is none', () => {
    const unchanged = [outcome('2001-01', { data: 'unchanged', runSeen: 'earlier' })];
    const lines = formatSummary(summary(unchanged, [version('1', false), version('2', true)]));
    expect(lines).toContain(
      'Nothing new: all 1 month(s) were already on flights@main, nothing was committed; no run was needed.',
    );
    expect(lines.find((l) => l.includes('model version(s)'))).toMatch(
      /^2 model version\(s\), champion v2, in 2\.0 s/,
    );
    expect(formatSummary(summary(unchanged, [version('1', false)])).join('\n')).toContain(
      '1 model version(s), champion none,',
    );
  });
});
