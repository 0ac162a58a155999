/**
 * The data-commit sensor against the real embedded data repository: one run per commit, oldest
 * first, run key = commit id, tags, cursor, path prefix, resource lookup, and push (a commit
 * evaluates the sensor at once through the daemon's onCommit subscription).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import type { ManualClock } from '../../src/clock.js';
import { dataCommitSensor } from '../../src/versioning/data-commit-sensor.js';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { SensorLoop } from '../../src/core/daemon/sensor-loop.js';
import { Instance } from '../../src/core/instance/instance.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { automationDefs } from './fixtures/automation-defs.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('dataCommitSensor', () => {
  let dir: string;
  let clock: ManualClock;
  let instance: Instance;
  let data: EmbeddedDataRepository;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    clock = manualClock(T0);
    instance = await Instance.ephemeral({ clock, storage: 'sqlite' });
    data = new EmbeddedDataRepository({ home: dir });
    await data.createRepository({ name: 'flights' });
  });

  afterEach(async () => {
    await data.close();
    await instance.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function commit(path: string, message: string): Promise<string> {
    await data.putObject({ repository: 'flights', branch: 'main', path, content: message });
    return (await data.commit({ repository: 'flights', branch: 'main', message })).id;
  }

  it('requests one run per new commit, oldest first, keyed and tagged by commit id', async () => {
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'flights',
      branch: 'main',
      job: 'process',
      dataRepository: data,
    });
    const { defs } = automationDefs({ sensors: [sensor] });
    const loop = new SensorLoop({ defs, instance });
    const [empty] = await loop.tick(clock.now());
    expect(empty?.status).toBe('SKIPPED'); // only the repository's initial commit
    const jan = await commit('2001-01.csv', 'January');
    const feb = await commit('2001-02.csv', 'February');
    clock.advance(1_000);
    const [tick] = await loop.tick(clock.now());
    expect(tick?.runKeys).toEqual([jan, feb]);
    const runs = await instance.runs.listRuns({ order: 'OLDEST_FIRST' });
    expect(runs.map((r) => r.tags)).toEqual([
      expect.objectContaining({
        'lakeloop/data_commit': jan,
        'lakeloop/data_repository': 'flights',
        'lakeloop/data_branch': 'main',
        'lakeloop/run_key': jan,
      }),
      expect.objectContaining({ 'lakeloop/data_commit': feb }),
    ]);
    expect((await instance.schedules.getInstigatorState('new_data'))?.cursor).toBe(feb);
    clock.advance(1_000);
    const [quiet] = await loop.tick(clock.now());
    expect(quiet?.status).toBe('SKIPPED');
    expect(quiet?.skipReason).toMatch(/No new commit on flights\/main/);
    const mar = await commit('2001-03.csv', 'March');
    clock.advance(1_000);
    const [next] = await loop.tick(clock.now());
    expect(next?.runKeys).toEqual([mar]);
    expect(await instance.runs.listRuns()).toHaveLength(3);
  });

  it('only requests runs for commits under the path prefix, moving the cursor past the others', async () => {
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'flights',
      branch: 'main',
      job: 'process',
      pathPrefix: 'chunks/',
      dataRepository: data,
    });
    const { defs } = automationDefs({ sensors: [sensor] });
    const chunk = await commit('chunks/2001-01.csv', 'chunk');
    const readme = await commit('README.md', 'docs');
    const [tick] = await new SensorLoop({ defs, instance }).tick(clock.now());
    expect(tick?.runKeys).toEqual([chunk]);
    expect((await instance.schedules.getInstigatorState('new_data'))?.cursor).toBe(readme);
  });

  it('handles at most maxCommitsPerTick commits per evaluation', async () => {
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'flights',
      branch: 'main',
      job: 'process',
      maxCommitsPerTick: 2,
      minimumIntervalSeconds: 0,
      dataRepository: data,
    });
    const { defs } = automationDefs({ sensors: [sensor] });
    const ids = [await commit('a', 'a'), await commit('b', 'b'), await commit('c', 'c')];
    const loop = new SensorLoop({ defs, instance });
    expect((await loop.tick(clock.now()))[0]?.runKeys).toEqual(ids.slice(0, 2));
    clock.advance(1);
    expect((await loop.tick(clock.now()))[0]?.runKeys).toEqual(ids.slice(2));
  });

  it('finds the repository among the resources, and says what is missing when it is not there', async () => {
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'flights',
      branch: 'main',
      job: 'process',
      resourceKey: 'repo',
    });
    const jan = await commit('a', 'a');
    const withResource = automationDefs({ sensors: [sensor], resources: { repo: data } });
    const [tick] = await new SensorLoop({ defs: withResource.defs, instance }).tick(clock.now());
    expect(tick?.runKeys).toEqual([jan]);
    const without = automationDefs({ sensors: [sensor] });
    const [failed] = await new SensorLoop({ defs: without.defs, instance })
      .evaluate('new_data')
      .then((t) => [t]);
    expect(failed?.status).toBe('FAILURE');
    expect(failed?.error).toMatch(/add a resource "repo"/);
  });

  it('evaluates at once on a commit (push), not waiting for the polling interval', async () => {
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'flights',
      branch: 'main',
      job: 'process',
      minimumIntervalSeconds: 3600,
      dataRepository: data,
    });
    const { defs, recorder } = automationDefs({ sensors: [sensor] });
    const daemon = new Daemon({ defs, instance, tickIntervalMs: 3_600_000 });
    await daemon.start();
    try {
      await daemon.sensors.idle();
      expect(await instance.runs.listRuns()).toEqual([]);
      const jan = await commit('2001-01.csv', 'January'); // onCommit -> evaluation -> queue -> run
      await daemon.sensors.idle();
      await daemon.queue.idle();
      const runs = await instance.runs.listRuns();
      expect(runs.map((r) => [r.tags['lakeloop/data_commit'], r.status])).toEqual([[jan, 'SUCCESS']]);
      expect(recorder.runs.map((t) => t['lakeloop/data_commit'])).toEqual([jan]);
      // A commit on another branch does not evaluate it.
      await data.createBranch({ repository: 'flights', name: 'dev', source: 'main' });
      await data.putObject({ repository: 'flights', branch: 'dev', path: 'x', content: 'x' });
      await data.commit({ repository: 'flights', branch: 'dev', message: 'dev work' });
      await daemon.sensors.idle();
      expect(await instance.schedules.listTicks('new_data')).toHaveLength(2);
    } finally {
      await daemon.stop();
    }
  });
});
