/**
 * Scale-out across hosts (issue #16): PostgreSQL and Redis on a services host, the coordinating
 * process (`lakeloop materialize` / `lakeloop daemon --executor queue`) on a daemon host, two
 * `lakeloop worker` hosts — each a network namespace linked to the services host only
 * (test/support/netns-hosts.ts), with its own home folder, reaching PostgreSQL and Redis over its
 * link and nothing else. Where namespaces cannot be made (not root), the same hosts are processes
 * on loopback. Step values go through a shared folder (`LAKELOOP_IO_URL=file://…`, what an NFS
 * mount or an S3 bucket would be). The test reads results by running the CLI on the daemon host,
 * since this process cannot reach the services host.
 *
 * 1. A worker SIGKILLed mid-step: its step runs again on the other worker host, one materialization.
 * 2. The flight-delay loop on flights-2k: three monthly commits → one sensor-triggered run each,
 *    steps executed on the worker hosts, one model version per commit with its lineage. The data
 *    repository and the tracking store stay embedded, in a folder every host shares (lakeFS and
 *    MLflow in production; neither runs inside these namespaces here).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_COMMIT_TAG } from '../../src/index.js';
import type { RunRecord, StoredEvent } from '../../src/index.js';
import { createDataRepository } from '../../src/versioning/data-repository-factory.js';
import { openRegistry } from '../../src/tracking/open-tracking.js';
import { LineageTag } from '../../src/tracking/tracking-types.js';
import { ensureRepository, importMonth, prepareSource } from '../../pipelines/flight-delays/demo-data.js';
import { DEFAULT_SETTINGS } from '../../pipelines/flight-delays/pipeline-config.js';
import { repoRoot } from '../core/cli-test-helpers.js';
import { createHostNetwork } from '../support/netns-hosts.js';
import type { HostNetwork } from '../support/netns-hosts.js';
import { postgresUnavailableReason, startPostgresServer } from '../support/postgres-server-process.js';
import type { PostgresServerProcess } from '../support/postgres-server-process.js';
import { redisUnavailableReason, startRedisServer } from '../support/redis-server-process.js';
import type { RedisServerProcess } from '../support/redis-server-process.js';
import { stopChild, waitFor } from '../support/child-processes.js';
import { stepTraces } from '../queue/fixtures/step-traces.js';

const run = promisify(execFile);
const queueFixture = fileURLToPath(new URL('../queue/fixtures/queue-defs.ts', import.meta.url));
const flightDefs = fileURLToPath(new URL('./fixtures/flights-2k-definitions.ts', import.meta.url));
const WORKERS = ['w1', 'w2'] as const;

const unavailable = postgresUnavailableReason() ?? redisUnavailableReason();
if (unavailable !== undefined) {
  if (process.env.CI === 'true') throw new Error(`scale-out tests need their services: ${unavailable}`);
  console.warn(`scale-out host tests skipped: ${unavailable}`);
}

describe.skipIf(unavailable !== undefined)('lakeloop on several hosts', { timeout: 300_000 }, () => {
  let net: HostNetwork;
  let postgres: PostgresServerProcess;
  let redis: RedisServerProcess;
  let root: string;
  let schemaCounter = 0;
  const children: ChildProcess[] = [];

  /** What beforeAll started, stopped in reverse order (it may have failed half-way). */
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lakeloop-hosts-'));
    cleanups.push(() => {
      rmSync(root, { recursive: true, force: true });
    });
    net = await createHostNetwork({ hub: 'svc', spokes: ['daemon', ...WORKERS] });
    cleanups.push(() => net.close());
    if (!net.isolated) console.warn(`hosts are processes on loopback: ${net.fallbackReason}`);
    // On loopback (no namespaces) the services stay what they always are: this host, 127.0.0.1 only.
    const onServices = net.isolated
      ? { onHost: (file: string, args: string[]): [string, string[]] => net.command('svc', file, args) }
      : {};
    postgres = await startPostgresServer(onServices);
    cleanups.push(() => postgres.stop());
    redis = await startRedisServer(onServices);
    cleanups.push(() => redis.stop());
  });
  afterAll(async () => {
    await Promise.all(children.splice(0).map(stopChild));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** The environment of a host: the services as that host reaches them, a schema and queue of this test. */
  function hostEnv(host: string, names: { schema: string; queue: string }, extra: NodeJS.ProcessEnv = {}) {
    const services = net.address('svc', host);
    return {
      ...process.env,
      LAKELOOP_STORAGE_URL: `postgres://lakeloop@${services}:${postgres.port}/lakeloop_test?schema=${names.schema}`,
      LAKELOOP_REDIS_URL: `redis://${services}:${redis.port}`,
      LAKELOOP_QUEUE: names.queue,
      ...extra,
    };
  }

  function freshNames(): { schema: string; queue: string } {
    schemaCounter += 1;
    return {
      schema: `hosts_${process.pid}_${schemaCounter}`,
      queue: `hosts-${process.pid}-${schemaCounter}`,
    };
  }

  /** Starts `lakeloop <args>` on `host`; resolves once a stdout line starts with `readyLine`. */
  async function startOn(host: string, args: string[], env: NodeJS.ProcessEnv, readyLine: string) {
    const [file, argv] = net.command(host, process.execPath, ['bin/lakeloop.js', ...args]);
    const child = spawn(file, argv, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
      if (line.startsWith(readyLine)) break;
    }
    child.stdout.resume();
    return child;
  }

  /** `lakeloop <args> --json` on `host`, parsed. */
  async function jsonOn<T>(host: string, args: string[], env: NodeJS.ProcessEnv): Promise<T> {
    const [file, argv] = net.command(host, process.execPath, ['bin/lakeloop.js', ...args, '--json']);
    const { stdout } = await run(file, argv, { cwd: repoRoot, env, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as T;
  }

  function hostHome(host: string, test: string): string {
    const home = join(root, test, host);
    mkdirSync(home, { recursive: true });
    return home;
  }

  it('a worker host SIGKILLed mid-step: the other host runs the step again, one materialization', async () => {
    const names = freshNames();
    const shared = join(root, 'kill', 'shared-values');
    const traceDir = join(root, 'kill', 'traces');
    mkdirSync(shared, { recursive: true });
    mkdirSync(traceDir, { recursive: true });
    const common = { LAKELOOP_IO_URL: pathToFileURL(shared).href, LAKELOOP_QUEUE_TEST_DIR: traceDir };
    const workers = await Promise.all(
      WORKERS.map((name) =>
        startOn(
          name,
          [
            ...['--home', hostHome(name, 'kill'), 'worker', '--name', name, '--defs', queueFixture],
            ...['--lock-duration-ms', '1000', '--stalled-interval-ms', '500', '--quiet'],
          ],
          hostEnv(name, names, common),
          `lakeloop worker ${name}:`,
        ),
      ),
    );
    const daemonEnv = hostEnv('daemon', names, common);
    const daemonHome = hostHome('daemon', 'kill');
    const [file, argv] = net.command('daemon', process.execPath, [
      ...['bin/lakeloop.js', '--home', daemonHome, 'materialize', '--defs', queueFixture],
      ...['--select', 'killed_once+', '--executor', 'queue', '--json'],
    ]);
    const materializing = run(file, argv, { cwd: repoRoot, env: daemonEnv });
    materializing.catch(() => undefined); // awaited below; a failure before then is not unhandled
    await waitFor(() => stepTraces(traceDir, 'killed_once').length === 1);
    const workerPid = Number((stepTraces(traceDir, 'killed_once')[0] ?? '').split(' ')[1]);
    const holder = workers.find((w) => w.pid === workerPid);
    expect(holder).toBeDefined();
    const killedAt = Date.now();
    holder?.kill('SIGKILL');
    const finished = JSON.parse((await materializing).stdout) as RunRecord;
    console.log(
      `hosts: the killed step finished on the other host ${Date.now() - killedAt} ms after the SIGKILL`,
    );

    expect(finished.status).toBe('SUCCESS');
    expect(stepTraces(traceDir, 'killed_once')).toHaveLength(2);
    const survivor = WORKERS[workers.findIndex((w) => w !== holder)];
    const shown = await jsonOn<{ events: StoredEvent[] }>(
      'daemon',
      ['--home', daemonHome, 'runs', 'show', finished.runId],
      daemonEnv,
    );
    const materializations = shown.events.filter(
      (e) => e.type === 'ASSET_MATERIALIZATION' && e.stepKey === 'killed_once',
    );
    expect(materializations).toHaveLength(1);
    const success = shown.events.find((e) => e.type === 'STEP_SUCCESS' && e.stepKey === 'killed_once');
    expect(success?.data?.executedBy).toMatchObject({ worker: survivor });
    // The run lives in PostgreSQL, not in the daemon host's folder.
    expect(() => readFileSync(join(daemonHome, 'lakeloop.db'))).toThrow();
  });

  it('the flight-delay loop on flights-2k: one run and one model version per commit, steps on the workers', async () => {
    const names = freshNames();
    const home = join(root, 'flights', 'shared-home'); // data repository + tracking, shared by every host
    const shared = join(root, 'flights', 'shared-values');
    mkdirSync(home, { recursive: true });
    mkdirSync(shared, { recursive: true });
    const common = { LAKELOOP_IO_URL: pathToFileURL(shared).href, LAKELOOP_HOME: home };
    // The repository exists before the daemon's sensor first looks.
    const { repository, branch, prefix } = DEFAULT_SETTINGS;
    const data = createDataRepository({ home, env: {} });
    const registry = openRegistry({ home, env: {} });
    const source = await prepareSource({ dataset: 'flights-2k', workDir: join(root, 'flights', 'source') });
    await ensureRepository(data, repository);
    await Promise.all(
      WORKERS.map((name) =>
        startOn(
          name,
          ['worker', '--name', name, '--defs', flightDefs, '--quiet'],
          hostEnv(name, names, common),
          `lakeloop worker ${name}:`,
        ),
      ),
    );
    const daemonEnv = hostEnv('daemon', names, common);
    await startOn(
      'daemon',
      ['daemon', '--defs', flightDefs, '--executor', 'queue', '--log-level', 'warn'],
      daemonEnv,
      'lakeloop daemon ',
    );

    const commits: string[] = [];
    const versionOf = (commitId: string) =>
      registry.findModelVersions({ tag: { key: LineageTag.DATA_COMMIT, value: commitId } });
    for (const month of source.months) {
      const imported = await importMonth({ data, source, month, repository, branch, prefix });
      const commitId = imported.chunks[0]?.commitId ?? '';
      expect(commitId).not.toBe('');
      commits.push(commitId);
      await waitFor(async () => (await versionOf(commitId)).length > 0);
    }

    const runs = await jsonOn<RunRecord[]>('daemon', ['runs', 'list', '--limit', '100'], daemonEnv);
    for (const commitId of commits) {
      const ofCommit = runs.filter((r) => r.tags[DATA_COMMIT_TAG] === commitId);
      expect(ofCommit.map((r) => r.status)).toEqual(['SUCCESS']);
      const versions = await versionOf(commitId);
      expect(versions).toHaveLength(1);
      // Lineage: the version names the run that trained it on that commit.
      expect(versions[0]?.tags[LineageTag.PIPELINE_RUN_ID]).toBe(ofCommit[0]?.runId);
      const shown = await jsonOn<{ events: StoredEvent[] }>(
        'daemon',
        ['runs', 'show', ofCommit[0]?.runId ?? ''],
        daemonEnv,
      );
      const executedBy = shown.events
        .filter((e) => e.type === 'STEP_SUCCESS')
        .map((e) => (e.data?.executedBy as { worker?: string } | undefined)?.worker);
      expect(executedBy.length).toBeGreaterThanOrEqual(5);
      for (const worker of executedBy) expect(WORKERS).toContain(worker);
    }
    expect(runs.filter((r) => r.tags[DATA_COMMIT_TAG] !== undefined)).toHaveLength(commits.length);
    await data.close();
    await registry.close();
  });
});
