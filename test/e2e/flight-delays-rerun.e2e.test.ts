/**
 * `npm start` a second time on a repository that already holds the months (#13 item 9): the loop
 * of main.ts (runDemoLoop) twice on one home, and once on a fresh instance home whose data
 * repository already holds the months (what a lakeFS repository is to a recreated demo home).
 * The second output never says "committed" for an unchanged month, lists each run once, and says
 * that nothing was new while still naming the champion.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDemoLoop } from '../../pipelines/flight-delays/demo-loop.js';
import type { DemoSummary } from '../../pipelines/flight-delays/demo-report.js';
import { embeddedTestEnv } from '../support/lakefs-test-env.js';
import { removeHome, tempHome } from './flight-delays-support.js';

const CONFIG = {
  aucFloor: 0,
  aucTolerance: 1,
  gbdt: { maxIterations: 20, maxLeaves: 8, minSamplesLeaf: 20 },
};

let root: string;

beforeEach(() => {
  root = tempHome();
});

afterEach(() => {
  removeHome(root);
});

/** One `npm start` loop on `home`: its text lines (or the JSON document) and summary. */
async function demoOnce(
  home: string,
  json = false,
): Promise<{ lines: string[]; json: string; summary: DemoSummary }> {
  const lines: string[] = [];
  let document = '';
  const summary = await runDemoLoop({
    home,
    dataset: 'flights-2k',
    json,
    config: CONFIG,
    env: embeddedTestEnv(),
    log: (line) => lines.push(...line.split('\n')),
    writeJson: (text) => {
      document = text;
    },
  });
  return { lines, json: document, summary };
}

const MONTHS = ['2001-01', '2001-02', '2001-03'];

/** How many lines mention the run (its 8-character short id). */
function mentions(lines: string[], runId: string): number {
  return lines.filter((line) => line.includes(runId.slice(0, 8))).length;
}

describe('npm start again on a repository that holds the months', () => {
  it('a second run on the same home reports the months unchanged, each earlier run once, nothing new', async () => {
    const home = join(root, 'home');
    const first = await demoOnce(home);
    expect(first.lines.filter((line) => / committed \d/.test(line))).toHaveLength(3);
    const commits = first.summary.outcomes.map((o) => o.commitId);
    const runs = first.summary.outcomes.map((o) => o.run.runId);
    expect(new Set(runs).size).toBe(3);

    const second = await demoOnce(home);
    const text = second.lines.join('\n');
    expect(second.lines.filter((line) => / committed \d/.test(line))).toEqual([]);
    for (const [i, month] of MONTHS.entries()) {
      expect(text).toContain(
        `[${month}] unchanged: flights/${month}.parquet (${String(first.summary.outcomes[i]?.rows.toLocaleString('en-US'))} rows) is already on the branch, from commit ${commits[i]?.slice(0, 12) ?? ''}; nothing committed`,
      );
      // the month's own earlier run, named once and not replayed (no step lines)
      expect(mentions(second.lines, runs[i] ?? '')).toBe(1);
      expect(text).toContain(`[${month}] already trained by run ${runs[i]?.slice(0, 8) ?? ''} (SUCCESS)`);
    }
    expect(second.lines.filter((line) => line.includes('sensor launched'))).toEqual([]);
    expect(second.lines.filter((line) => /^\[[\d-]+\] {3}\w/.test(line))).toEqual([]);
    expect(text).toContain(
      'Nothing new: all 3 month(s) were already on flights@main, nothing was committed; no run was needed.',
    );
    expect(text).toMatch(/^3 model version\(s\), champion v3, in /m);
    expect(second.summary.outcomes.map((o) => [o.data, o.commitId, o.run.runId, o.runSeen])).toEqual(
      MONTHS.map((_, i) => ['unchanged', commits[i], runs[i], 'earlier']),
    );

    // --json: the months as unchanged, each run once, the champion
    const third = await demoOnce(home, true);
    const document = JSON.parse(third.json) as {
      champion: string | null;
      months: { month: string; data: string; commitId: string; runId: string }[];
      runs: { runId: string; months: string[]; seen: string; latencyMs: number | null }[];
    };
    expect(document.champion).toBe('v3');
    expect(document.months.map((m) => [m.month, m.data, m.commitId, m.runId])).toEqual(
      MONTHS.map((month, i) => [month, 'unchanged', commits[i], runs[i]]),
    );
    expect(document.runs.map((r) => [r.runId, r.months, r.seen, r.latencyMs])).toEqual(
      MONTHS.map((month, i) => [runs[i], [month], 'earlier', null]),
    );
  }, 180_000);

  it('a fresh instance home on an existing repository follows each catch-up run of the sensor once', async () => {
    const first = await demoOnce(join(root, 'first'));
    const commits = first.summary.outcomes.map((o) => o.commitId);
    // the repository outlives the instance home, as a lakeFS repository does when main.ts recreates the home
    const home = join(root, 'second');
    mkdirSync(home);
    cpSync(join(root, 'first', 'data'), join(home, 'data'), { recursive: true });

    const second = await demoOnce(home);
    const text = second.lines.join('\n');
    expect(second.lines.filter((line) => / committed \d/.test(line))).toEqual([]);
    const runs = second.summary.outcomes.map((o) => o.run.runId);
    expect(new Set(runs).size).toBe(3);
    expect(second.summary.outcomes.map((o) => [o.data, o.commitId, o.runSeen, o.run.status])).toEqual(
      MONTHS.map((_, i) => ['unchanged', commits[i], 'launched', 'SUCCESS']),
    );
    for (const [i, month] of MONTHS.entries()) {
      expect(text).toContain(`[${month}] unchanged: flights/${month}.parquet`);
      expect(text).toContain(
        `[${month}] sensor launched run ${runs[i]?.slice(0, 8) ?? ''} for that commit (this instance had not run it)`,
      );
      expect(text).toContain(`[${month}] run SUCCESS in `);
      // each run under its own month only: launched once, its steps, its end
      const ownLines = second.lines.filter((line) => line.includes(runs[i]?.slice(0, 8) ?? ''));
      expect(ownLines).toHaveLength(1);
      expect(ownLines[0]?.startsWith(`[${month}]`)).toBe(true);
    }
    expect(text).toContain(
      'Nothing new: all 3 month(s) were already on flights@main, nothing was committed; the sensor ran 3 run(s) for commits this instance had not run.',
    );
    expect(text).toMatch(/^3 model version\(s\), champion v3, in /m);
  }, 180_000);
});
