/** The tracking CLI on an embedded instance home, run as a user would (`node bin/lakeloop.js`). */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LineageTag, LocalModelRegistry, LocalTrackingStore } from '../../src/tracking/index.js';

const exec = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'lakeloop.js');
let home: string;
let runId: string;

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, '--home', home, ...args], {
      env: { ...process.env, MLFLOW_TRACKING_URI: '' },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  const root = join(home, 'tracking');
  const tracking = new LocalTrackingStore({ root });
  const registry = new LocalModelRegistry({ root });
  const experiment = await tracking.getOrCreateExperiment('flight-delays');
  const run = await tracking.createRun({
    experimentId: experiment.experimentId,
    name: 'train-2001-05',
    tags: { [LineageTag.DATA_COMMIT]: 'c0ffee42' },
  });
  runId = run.info.runId;
  await tracking.logBatch(runId, {
    params: { learning_rate: 0.1 },
    metrics: [
      { key: 'auc', value: 0.789 },
      { key: 'log_loss', value: 0.437 },
    ],
  });
  await tracking.endRun(runId, 'FINISHED');
  await registry.createRegisteredModel({ name: 'flight-delays' });
  await registry.createModelVersion({
    name: 'flight-delays',
    runId,
    tags: { [LineageTag.DATA_COMMIT]: 'c0ffee42' },
  });
  await registry.createModelVersion({ name: 'flight-delays', runId });
  await registry.setAlias({ name: 'flight-delays', alias: 'champion', version: '1' });
  await tracking.close();
  await registry.close();
}, 60_000);

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

it('lists experiments and training runs, as tables and JSON', async () => {
  const table = await cli('experiments', 'list');
  expect(table.stdout).toMatch(/^id\s+name\s+created/);
  expect(table.stdout).toContain('flight-delays');
  const runs = JSON.parse((await cli('training-runs', 'list', '--json')).stdout) as {
    info: { runId: string };
  }[];
  expect(runs.map((r) => r.info.runId)).toEqual([runId]);
  const listed = await cli('training-runs', 'list', '--experiment', 'flight-delays');
  expect(listed.stdout).toContain('auc=0.7890');
  const shown = await cli('training-runs', 'show', runId);
  expect(shown.stdout).toContain('learning_rate');
  expect(shown.stdout).toContain('FINISHED');
}, 60_000);

it('shows models with versions, aliases, metrics and the data commit, and promotes', async () => {
  const list = await cli('models', 'list');
  expect(list.stdout).toContain('champion=v1');
  const shown = JSON.parse((await cli('models', 'show', 'flight-delays', '--json')).stdout) as {
    aliases: Record<string, string>;
    versions: { version: string; dataCommit?: string; metrics: Record<string, number> }[];
  };
  expect(shown.aliases).toEqual({ champion: '1' });
  expect(shown.versions.map((v) => [v.version, v.dataCommit, v.metrics.auc])).toEqual([
    ['2', 'c0ffee42', 0.789],
    ['1', 'c0ffee42', 0.789],
  ]);
  const promoted = await cli('models', 'promote', 'flight-delays', '2', '--alias', 'champion');
  expect(promoted.stdout.trim()).toBe('flight-delays@champion -> version 2 (was 1)');
  expect((await cli('models', 'show', 'flight-delays')).stdout).toContain('champion=v2');
}, 60_000);

it('answers bad input with one specific line and a usage exit code', async () => {
  const unknownModel = await cli('models', 'show', 'nope');
  expect(unknownModel.code).toBe(2);
  expect(unknownModel.stderr.trim()).toBe(
    'error [NOT_FOUND]: Unknown registered model "nope"; list models with `lakeloop models list`.',
  );
  const unknownVersion = await cli('models', 'promote', 'flight-delays', '9');
  expect(unknownVersion.code).toBe(2);
  expect(unknownVersion.stderr).toContain('has no version "9"');
  const unknownExperiment = await cli('training-runs', 'list', '--experiment', 'nope');
  expect(unknownExperiment.stderr).toContain('Unknown experiment "nope"');
}, 60_000);

it('records promotions with reason and mover, and shows the alias history newest first', async () => {
  await cli(
    'models',
    'promote',
    'flight-delays',
    '2',
    '--alias',
    'staging',
    '--reason',
    'smoke test',
    '--by',
    'ci',
  );
  await cli(
    'models',
    'promote',
    'flight-delays',
    '1',
    '--alias',
    'staging',
    '--reason',
    'rollback',
    '--by',
    'ann',
  );
  const moves = JSON.parse(
    (await cli('models', 'history', 'flight-delays', '--alias', 'staging', '--json')).stdout,
  ) as { fromVersion?: string; toVersion?: string; reason: string; by: string }[];
  expect(moves.map((m) => [m.fromVersion, m.toVersion, m.reason, m.by])).toEqual([
    ['2', '1', 'rollback', 'ann'],
    [undefined, '2', 'smoke test', 'ci'],
  ]);
  const table = (await cli('models', 'history', 'flight-delays', '--alias', 'staging')).stdout.split('\n');
  expect(table[0]).toMatch(/^when\s+alias\s+from\s+to\s+by\s+reason/);
  expect(table[2]).toMatch(/staging\s+v2\s+v1\s+ann\s+rollback$/);
  expect(table[3]).toMatch(/staging\s+-\s+v2\s+ci\s+smoke test$/);
  const none = await cli('models', 'history', 'flight-delays', '--alias', 'nope');
  expect(none.stdout.trim()).toBe('No alias moves recorded for flight-delays@nope.');
  const badLimit = await cli('models', 'history', 'flight-delays', '--limit', '0');
  expect(badLimit.code).toBe(2);
  expect(badLimit.stderr).toContain('--limit must be a positive whole number');
}, 60_000);

it('rolls an alias back to the version before its last move, or to a former one, with a reason', async () => {
  await cli(
    'models',
    'promote',
    'flight-delays',
    '1',
    '--alias',
    'canary',
    '--reason',
    'first',
    '--by',
    'ci',
  );
  await cli(
    'models',
    'promote',
    'flight-delays',
    '2',
    '--alias',
    'canary',
    '--reason',
    'second',
    '--by',
    'ci',
  );
  const rolled = await cli(
    'models',
    'rollback',
    'flight-delays',
    '--alias',
    'canary',
    '--reason',
    'v2 drifts',
  );
  expect(rolled.stderr).toBe('');
  expect(rolled.stdout.trim()).toBe('flight-delays@canary -> version 1 (rolled back from 2)');
  const moves = JSON.parse(
    (await cli('models', 'history', 'flight-delays', '--alias', 'canary', '--json')).stdout,
  ) as { fromVersion?: string; toVersion?: string; reason: string }[];
  expect(moves[0]).toMatchObject({ fromVersion: '2', toVersion: '1', reason: 'v2 drifts' });
  const toFormer = JSON.parse(
    (
      await cli(
        'models',
        'rollback',
        'flight-delays',
        '--alias',
        'canary',
        '--to',
        '2',
        '--reason',
        'fixed',
        '--json',
      )
    ).stdout,
  ) as { fromVersion: string; toVersion: string; by: string };
  expect(toFormer).toMatchObject({ fromVersion: '1', toVersion: '2' });

  const never = await cli('models', 'rollback', 'flight-delays', '--alias', 'nope', '--reason', 'x');
  expect(never.code).toBe(3);
  expect(never.stderr).toContain('has no recorded move');
  const noReason = await cli('models', 'rollback', 'flight-delays', '--alias', 'canary');
  expect(noReason.code).not.toBe(0);
  expect(noReason.stderr).toContain('--reason');
}, 60_000);
