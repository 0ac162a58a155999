/**
 * `lakeloop instance prune` as a user runs it (bin/lakeloop.js, a real process) on an instance
 * with real runs: --dry-run deletes nothing, then the flags delete the old runs, their events and
 * values; --json prints the report.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { defineAsset } from '../../src/core/definitions/asset-definition.js';
import { Definitions } from '../../src/core/definitions/definitions.js';
import { materialize } from '../../src/core/execution/run-launcher.js';
import { Instance } from '../../src/core/instance/instance.js';
import { DAY_MS } from '../../src/core/instance/retention.js';
import type { PruneReport } from '../../src/core/instance/retention.js';
import { tempDir } from './core-test-helpers.js';

const exec = promisify(execFile);
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'lakeloop.js');

describe('lakeloop instance prune', () => {
  let dir: ReturnType<typeof tempDir>;

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(() => {
    dir.remove();
  });

  async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [BIN, '--home', dir.path, ...args]);
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const failed = error as { stdout: string; stderr: string; code: number };
      return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
    }
  }

  it('reports with --dry-run, then deletes old runs, their events and values', async () => {
    let n = 0;
    const defs = new Definitions({ assets: [defineAsset({ key: 'counter', compute: () => ++n })] });
    const clock = manualClock(Date.now() - 40 * DAY_MS);
    const instance = await Instance.open({ home: dir.path, clock });
    const paths: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const run = await materialize(defs, { select: '*', instance });
        const [event] = await instance.events.getEvents({
          runId: run.runId,
          types: ['ASSET_MATERIALIZATION'],
        });
        paths.push(event?.materialization?.storagePath ?? '');
        clock.advance(10 * DAY_MS); // runs 40, 30, 20 and 10 days ago
      }
    } finally {
      await instance.close();
    }

    const dry = await cli(
      'instance',
      'prune',
      '--runs-older-than',
      '25d',
      '--dry-run',
      '--value-grace',
      '0s',
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^runs: would delete 2 \(with their events\), kept 2\n/);
    expect(dry.stdout).toMatch(/values: would delete 2 \(\d+ B\), kept 2/);
    for (const path of paths) expect(existsSync(path)).toBe(true);

    const pruned = await cli(
      'instance',
      'prune',
      '--runs-older-than',
      '25d',
      '--value-grace',
      '0s',
      '--json',
    );
    expect(pruned.code).toBe(0);
    const report = JSON.parse(pruned.stdout) as PruneReport;
    expect(report.runs.deleted).toHaveLength(2);
    expect(report.values.deleted).toBe(2);
    expect(paths.map((p) => existsSync(p))).toEqual([false, false, true, true]);

    const keepOne = await cli('instance', 'prune', '--keep-runs', '1', '--no-values');
    expect(keepOne.stdout).toMatch(/^runs: deleted 1 .*\nticks: deleted 0\nvalues: skipped/);
    expect(existsSync(paths[2] ?? '')).toBe(true);

    const bad = await cli('instance', 'prune', '--runs-older-than', 'a month');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/INVALID_ARGUMENT.*--runs-older-than/);
  });
});
