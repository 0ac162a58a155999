/**
 * End to end on the PostgreSQL storage (the private test cluster, one schema per test): a
 * `lakeloop materialize` process and an instance in this process, with separate homes on the
 * same schema, see each other's runs — this one learns of the other's run and its end through
 * NOTIFY (its fallback poll is set to a minute, so only a push can make it in time) — and the
 * daemon's data-commit sensor loop launches exactly one run per commit, also with a second
 * host's sensor loop evaluating the same sensor at the same time; run ownership works across
 * instances: a run of a dead process and a run whose owner on another host let its lease expire
 * are ended, a run with a fresh heartbeat is left alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Daemon } from '../../src/core/daemon/daemon.js';
import { SensorLoop } from '../../src/core/daemon/sensor-loop.js';
import { endRunsOfDeadOwners } from '../../src/core/execution/dead-run-recovery.js';
import { awaitRunHandle } from '../../src/core/execution/run-handle.js';
import { createRun } from '../../src/core/execution/run-launcher.js';
import { DEFAULT_RUN_LEASE_MS, ownerTags } from '../../src/core/execution/run-ownership.js';
import { Instance } from '../../src/core/instance/instance.js';
import { materialize } from '../../src/index.js';
import { dataCommitSensor } from '../../src/versioning/data-commit-sensor.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { automationDefs } from '../automation/fixtures/automation-defs.js';
import { lakeloop, repoRoot } from '../core/cli-test-helpers.js';
import { createTestSchema, describeWithPostgres } from '../support/postgres-test-env.js';
import type { TestSchema } from '../support/postgres-test-env.js';

const example = join(repoRoot, 'examples', 'hello-pipeline.ts');
const MINUTE = 60_000;

describeWithPostgres('PostgreSQL storage end to end', (url) => {
  let dir: string;
  let schema: TestSchema;
  const instances: Instance[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-pg-e2e-'));
    schema = createTestSchema(url, 'e2e');
  });

  afterEach(async () => {
    for (const instance of instances.splice(0)) await instance.close();
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (home: string): Promise<Instance> => {
    const instance = await Instance.open({ home: join(dir, home), storageUrl: schema.url });
    instances.push(instance);
    return instance;
  };

  it('a materialize process and this process, separate homes on one schema, see each other’s runs (pushed)', async () => {
    const here = await open('home-b');
    const env = { LAKELOOP_STORAGE_URL: schema.url };
    // Subscribed before the other process starts: its run and its end arrive by NOTIFY.
    const appeared = awaitRunHandle(here, {}, { pollMs: MINUTE, timeoutMs: 2 * MINUTE });
    const child = lakeloop(
      ['--home', join(dir, 'home-a'), 'materialize', '--defs', example, '--select', '+report'],
      env,
    );
    const handle = await appeared;
    const seenEvents: string[] = [];
    const following = (async () => {
      for await (const event of handle.events()) seenEvents.push(event.type);
    })();
    const [result, finished] = await Promise.all([child, handle.result()]);
    await following;
    expect(result.code, result.stderr).toBe(0);
    expect(finished.status).toBe('SUCCESS');
    expect(seenEvents[0]).toBe('RUN_STARTING');
    expect(seenEvents.at(-1)).toBe('RUN_SUCCESS');
    expect(seenEvents.filter((type) => type === 'ASSET_MATERIALIZATION')).toHaveLength(4);
    // And the other way: a run of this process is listed by a CLI process on the other home.
    const { defs } = (await import('../../examples/hello-pipeline.js')) as {
      defs: Parameters<typeof materialize>[0];
    };
    const mine = await materialize(defs, { select: 'numbers', instance: here });
    expect(mine.status).toBe('SUCCESS');
    const listed = await lakeloop(['--home', join(dir, 'home-a'), 'runs', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const runs = JSON.parse(listed.stdout) as { runId: string; status: string }[];
    expect(runs.map((run) => run.runId).sort()).toEqual([finished.runId, mine.runId].sort());
  });

  it('the daemon’s data-commit sensor launches exactly one run per commit, with a second host evaluating too', async () => {
    const data = new EmbeddedDataRepository({ home: join(dir, 'data') });
    try {
      await data.createRepository({ name: 'flights' });
      const sensor = dataCommitSensor({
        name: 'new_data',
        repository: 'flights',
        branch: 'main',
        job: 'process',
        minimumIntervalSeconds: 0,
        dataRepository: data,
      });
      const { defs, recorder } = automationDefs({ sensors: [sensor] });
      const [hostA, hostB] = [await open('host-a'), await open('host-b')];
      const daemon = new Daemon({ defs, instance: hostA, tickIntervalMs: MINUTE });
      const otherHost = new SensorLoop({ defs, instance: hostB });
      await daemon.start();
      const commits: string[] = [];
      try {
        for (const month of ['01', '02', '03']) {
          await data.putObject({
            repository: 'flights',
            branch: 'main',
            path: `2001-${month}.csv`,
            content: month,
          });
          const commit = await data.commit({ repository: 'flights', branch: 'main', message: month });
          commits.push(commit.id);
          // The second host evaluates the same sensor right away, racing the daemon's pushed evaluation.
          await otherHost.tick(hostB.clock.now());
          await daemon.sensors.idle();
        }
        // Runs the second host queued start through the daemon too (it is the one running the queue).
        const deadline = Date.now() + MINUTE;
        for (;;) {
          await daemon.queue.tick();
          await daemon.queue.idle();
          const runs = await hostB.runs.listRuns({ statuses: ['SUCCESS'] });
          if (runs.length >= commits.length || Date.now() > deadline) break;
        }
      } finally {
        await daemon.stop();
      }
      const runs = await hostB.runs.listRuns({ order: 'OLDEST_FIRST' });
      expect(runs.map((run) => [run.tags['lakeloop/data_commit'], run.status])).toEqual(
        commits.map((id) => [id, 'SUCCESS']),
      );
      expect(recorder.runs.map((tags) => tags['lakeloop/data_commit'])).toEqual(commits);
      for (const id of commits) {
        expect(await hostA.schedules.getRunIdForKey('new_data', id)).toBe(
          runs.find((run) => run.tags['lakeloop/data_commit'] === id)?.runId,
        );
      }
    } finally {
      await data.close();
    }
  });

  it('ends runs of dead owners seen from another instance, and leaves a run with a fresh lease', async () => {
    const { defs } = automationDefs();
    const [hostA, hostB] = [await open('owner-a'), await open('owner-b')];
    const started = async (owner: Parameters<typeof ownerTags>[0], heartbeat: number): Promise<string> => {
      const run = await createRun(defs, { instance: hostA, jobName: 'process' });
      await hostA.runs.updateRun(
        run.runId,
        { status: 'STARTED', tags: ownerTags(owner, heartbeat) },
        'NOT_STARTED',
      );
      return run.runId;
    };
    const now = hostB.clock.now();
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;
    const deadHere = await started({ ...hostA.owner, id: 'dead-local', pid: exited, pidStart: '' }, now);
    const silentRemote = await started(
      { id: 'remote-1', host: 'another-host', pid: 1234, pidStart: '' },
      now - DEFAULT_RUN_LEASE_MS - 1_000,
    );
    const liveRemote = await started({ id: 'remote-2', host: 'another-host', pid: 1234, pidStart: '' }, now);
    const ended = await endRunsOfDeadOwners({ instance: hostB, now });
    expect(ended.map((e) => e.run.runId).sort()).toEqual([deadHere, silentRemote].sort());
    expect((await hostA.runs.getRun(deadHere))?.tags['lakeloop/owner_lost']).toBe('process_exited');
    expect((await hostA.runs.getRun(silentRemote))?.tags['lakeloop/owner_lost']).toBe('lease_expired');
    expect((await hostA.runs.getRun(liveRemote))?.status).toBe('STARTED');
    // A second pass (another host recovering at the same time) ends nothing twice.
    expect(await endRunsOfDeadOwners({ instance: hostA, now })).toEqual([]);
  });
});
