/**
 * The crash suite (issue #11): child daemons SIGKILLed at seeded points of the flight-delays loop
 * on flights-2k (crash-trial.ts), then the invariants of the instance (instance-invariants.ts).
 * Sized for CI: two trials with fixed seeds and a small kill budget; `npm run soak` runs many
 * more (scripts/soak.ts). The checker is tested too: a checker that cannot fail proves nothing.
 */
import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_COMMIT_TAG, Instance } from 'lakeloop';
import { LineageTag, openRegistry } from 'lakeloop/tracking';
import { embeddedTestEnv } from '../support/lakefs-test-env.js';
import { startDemo } from '../../pipelines/flight-delays/demo-runner.js';
import { demoConfig } from '../../pipelines/flight-delays/demo-data.js';
import { checkInvariants } from './instance-invariants.js';
import { runCrashTrial } from './crash-trial.js';

describe('crash suite', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-crash-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const seed of [11, 12]) {
    it(`trial with seed ${String(seed)}: SIGKILLs across the loop leave no violated invariant`, async () => {
      const result = await runCrashTrial({
        seed,
        home: join(dir, `trial-${String(seed)}`),
        sourceDir: join(dir, 'source'),
        maxKills: 3,
      });
      expect(result.kills.length).toBeGreaterThan(0);
      expect(result.violations, `seed ${String(seed)}, kills ${JSON.stringify(result.kills)}`).toEqual([]);
    }, 180_000);
  }

  describe('the checker', () => {
    let home: string;
    let commits: string[];

    beforeAll(async () => {
      // a sound home: the flights-2k demo, three months, three runs, three versions
      home = join(dir, 'checker');
      const demo = await startDemo({
        home,
        env: embeddedTestEnv(),
        dataset: 'flights-2k',
        config: demoConfig('flights-2k'),
      });
      try {
        commits = [];
        for (const month of demo.source.months) commits.push((await demo.commitMonth(month)).commitId);
      } finally {
        await demo.close();
      }
    }, 120_000);

    it('finds nothing wrong with a sound home', async () => {
      expect(await checkInvariants({ home, commits })).toEqual([]);
    });

    it('reports what was planted: a run STARTED by a dead process, a second version of a commit, a missing commit, a tampered value', async () => {
      const [first, second] = commits;
      const instance = await Instance.open({ home, recoverDeadRuns: false });
      const registry = openRegistry({ home, uri: join(home, 'tracking') });
      let planted: string;
      try {
        // a run left STARTED by a process that no longer exists (pid 2^22 + 1 is above pid_max)
        const [run] = await instance.runs.listRuns({ tags: { [DATA_COMMIT_TAG]: second ?? '' }, limit: 1 });
        if (run === undefined) throw new Error('no run of the second commit');
        planted = `${run.runId.slice(0, 8)}-dead`;
        await instance.runs.addRun({
          ...run,
          runId: planted,
          status: 'STARTED',
          tags: {
            ...run.tags,
            'lakeloop/owner_id': 'gone',
            'lakeloop/owner_host': (await import('node:os')).hostname(),
            'lakeloop/owner_pid': String(2 ** 22 + 1),
            'lakeloop/owner_pid_start': '1',
            'lakeloop/owner_heartbeat': String(Date.now()),
          },
        });
        // a second model version for the first commit
        const [version] = await registry.searchModelVersions({ name: 'flight-delays' });
        const v1 = (await registry.searchModelVersions({ name: 'flight-delays' })).find(
          (v) => v.tags[LineageTag.DATA_COMMIT] === first,
        );
        if (version === undefined || v1?.runId === undefined) throw new Error('no versions');
        await registry.createModelVersion({ name: 'flight-delays', runId: v1.runId, tags: v1.tags });
      } finally {
        await registry.close();
        await instance.close();
      }
      const violations = await checkInvariants({ home, commits: commits.slice(0, 2) });
      expect(violations).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(`^run ${planted}.* is STARTED but its process pid \\d+ on \\S+ exited`),
          ),
          expect.stringMatching(new RegExp(`^commit ${(first ?? '').slice(0, 12)} has 2 model versions`)),
          expect.stringMatching(/^data: commit \w{12} on flights\/ is not in the trial's list/),
          expect.stringMatching(/is on commit \w{12}, not on the newest/),
        ]),
      );
    });

    it('reports tampered bytes: a stored value, a data blob, a corrupted database', async () => {
      const value = readdirSync(join(home, 'storage', 'train_model')).find((f) => f.startsWith('value-'));
      if (value === undefined) throw new Error('no stored value');
      appendFileSync(join(home, 'storage', 'train_model', value), ' ');
      const blobDir = readdirSync(join(home, 'data', 'blobs')).find((d) => d.length === 2);
      if (blobDir === undefined) throw new Error('no blob');
      const [blob] = readdirSync(join(home, 'data', 'blobs', blobDir));
      const blobFile = join(home, 'data', 'blobs', blobDir, blob ?? '');
      chmodSync(blobFile, 0o644);
      appendFileSync(blobFile, 'x');
      // a database whose table pages are overwritten (the header and schema page stay)
      const extra = join(home, 'extra.db');
      const db = new Database(extra);
      db.exec('CREATE TABLE t (a TEXT); CREATE INDEX t_a ON t (a)');
      const insert = db.prepare('INSERT INTO t VALUES (?)');
      for (let i = 0; i < 2000; i++) insert.run(`row ${String(i)} ${'x'.repeat(50)}`);
      db.close();
      const bytes = readFileSync(extra);
      bytes.fill(0x5a, 4096 * 2, 4096 * 6);
      writeFileSync(extra, bytes);

      const violations = await checkInvariants({ home, commits: commits.slice(0, 2) });
      expect(violations).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^storage: storage/train_model/${value} holds bytes hashing to`)),
          expect.stringMatching(/^storage: the value of train_model of run \w+ hashes to/),
          expect.stringMatching(new RegExp(`^data blob: ${blobDir}/${blob ?? ''} holds bytes`)),
          expect.stringMatching(/^data: flights\/2001-0\d\.parquet@\w{12} reads back as/),
          expect.stringMatching(/^integrity: extra\.db: /),
        ]),
      );
    });
  });
});
