/**
 * Sensor semantics on merges, the same on both backends (embedded always; a real lakeFS with
 * LAKELOOP_TEST_LAKEFS=1): the sensor follows the watched branch's first-parent history, so merging
 * branches into `main` requests one run per merge commit and none for the branches' own commits, and
 * a path prefix applies to what each merge brought to `main`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { SensorLoop } from '../../src/core/daemon/sensor-loop.js';
import { Instance } from '../../src/core/instance/instance.js';
import { dataCommitSensor } from '../../src/versioning/data-commit-sensor.js';
import type { DataRepository } from '../../src/versioning/data-repository.js';
import { LakeFsDataRepository } from '../../src/versioning/lakefs/lakefs-data-repository.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { lakeFsTestConfig } from '../support/lakefs-test-env.js';
import { automationDefs } from './fixtures/automation-defs.js';

const lakefs = lakeFsTestConfig();
/** A backend for one test and how to remove what it left on disk. */
type Backend = () => { data: DataRepository; remove: () => void };
const backends: [string, Backend, boolean][] = [
  [
    'embedded',
    () => {
      const home = mkdtempSync(join(tmpdir(), 'lakeloop-'));
      return {
        data: new EmbeddedDataRepository({ home }),
        remove: () => {
          rmSync(home, { recursive: true, force: true });
        },
      };
    },
    false,
  ],
  [
    'lakeFS',
    () => {
      if (lakefs === undefined) throw new Error('unreachable: skipped without a lakeFS server');
      return { data: new LakeFsDataRepository(lakefs), remove: () => undefined };
    },
    lakefs === undefined,
  ],
];

describe.each(backends)('dataCommitSensor on merges: %s', (_name, open, skip) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it.skipIf(skip)(
    "one run per merge into the branch, none for the merged branches' commits; the prefix applies to each merge's changes",
    async () => {
      const { data, remove } = open();
      const repository = `sensor-merge-${randomBytes(4).toString('hex')}`;
      const clock = manualClock(Date.parse('2026-03-01T00:00:00Z'));
      const instance = await Instance.ephemeral({ clock, storage: 'sqlite' });
      cleanups.push(async () => {
        await data.deleteRepository(repository).catch(() => undefined);
        await data.close();
        await instance.close();
        remove();
      });
      await data.createRepository({ name: repository });
      const put = (branch: string, path: string) =>
        data.putObject({ repository, branch, path, content: path });
      const commit = async (branch: string, message: string) =>
        (await data.commit({ repository, branch, message })).id;
      const sensor = (name: string, pathPrefix?: string) =>
        dataCommitSensor({
          name,
          repository,
          branch: 'main',
          job: 'process',
          dataRepository: data,
          ...(pathPrefix === undefined ? {} : { pathPrefix }),
        });
      const { defs } = automationDefs({ sensors: [sensor('new_data'), sensor('new_chunks', 'chunks/')] });
      const loop = new SensorLoop({ defs, instance });

      await put('main', 'chunks/2001-01.csv');
      await commit('main', 'January');
      await loop.tick(clock.now());
      // The usual lakeFS pattern: ingest on a branch, validate, merge.
      for (const name of ['exp', 'exp2']) await data.createBranch({ repository, name, source: 'main' });
      await put('exp', 'chunks/2001-02.csv');
      await commit('exp', 'February on exp');
      await put('exp', 'chunks/2001-03.csv');
      await commit('exp', 'March on exp');
      await put('exp2', 'docs/notes.md');
      await commit('exp2', 'notes on exp2');
      const mergeExp = await data.merge({ repository, source: 'exp', destination: 'main' });
      const mergeExp2 = await data.merge({ repository, source: 'exp2', destination: 'main' });
      expect([mergeExp.kind, mergeExp2.kind]).toEqual(['merge', 'merge']);

      clock.advance(1_000);
      const ticks = await loop.tick(clock.now());
      const keysOf = (name: string) => ticks.find((t) => t.instigatorName === name)?.runKeys;
      expect(keysOf('new_data')).toEqual([mergeExp.reference, mergeExp2.reference]);
      expect(keysOf('new_chunks')).toEqual([mergeExp.reference]);
    },
  );
});
