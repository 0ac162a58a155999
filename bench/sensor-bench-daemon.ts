/**
 * The daemon the sensor-latency benchmarks measure: an embedded data repository with a `flights`
 * repository under a fresh home, SQLite storages (or PostgreSQL with `storageUrl`), and a started Daemon whose data-commit sensor
 * launches a one-step job per commit on `flights@main`. With `push` the sensor gets the repository
 * (its `onCommit` wakes the sensor; the poll interval is an hour, so only the push explains a run);
 * with `poll` a client without `onCommit`, polled every second.
 *
 * @example
 * ```ts
 * const bench = await startSensorBench('push');
 * const started = bench.nextStep(); // before the commit: with push the run may start first
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Daemon, defineAsset, defineJob, Definitions, Instance } from 'lakeloop';
import { dataCommitSensor, EmbeddedDataRepository } from 'lakeloop/data';
import type { CommitLogReader } from 'lakeloop/data';

/** A started benchmark daemon and what a measurement needs of it. */
export interface SensorBench {
  home: string;
  defs: Definitions;
  data: EmbeddedDataRepository;
  instance: Instance;
  daemon: Daemon;
  /** Resolves when the next run's step starts (runs are serial: one step is awaited at a time). */
  nextStep(): Promise<void>;
  /** The run STARTED time of the run of `commitId`. */
  startedAt(commitId: string): Promise<number>;
  close(): Promise<void>;
}

/** Rejects after `ms` (unref'd) with `message`. */
export function timeout(ms: number, message: string): Promise<never> {
  return delay(ms, undefined, { ref: false }).then(() => Promise.reject(new Error(message)));
}

/** Options of {@link startSensorBench}. */
export interface SensorBenchOptions {
  /** A `postgres://` URL (with its own `?schema=`): the instance's storage. Default SQLite in the home. */
  storageUrl?: string;
}

/** Starts the daemon of a sensor-latency measurement (see the module comment). */
export async function startSensorBench(
  mode: 'push' | 'poll',
  options: SensorBenchOptions = {},
): Promise<SensorBench> {
  const home = mkdtempSync(join(tmpdir(), 'lakeloop-bench-'));
  const data = new EmbeddedDataRepository({ home });
  await data.createRepository({ name: 'flights' });
  let onStep: (() => void) | undefined;
  const processed = defineAsset({
    key: 'processed',
    compute: (ctx) => {
      onStep?.();
      return ctx.runTags['lakeloop/data_commit'] ?? '';
    },
  });
  const reader: CommitLogReader =
    mode === 'push'
      ? data
      : { getBranch: (o) => data.getBranch(o), log: (o) => data.log(o), diff: (o) => data.diff(o) };
  const defs = new Definitions({
    assets: [processed],
    jobs: [defineJob({ name: 'process', select: 'processed' })],
    sensors: [
      dataCommitSensor({
        name: 'new_data',
        repository: 'flights',
        branch: 'main',
        job: 'process',
        dataRepository: reader,
        minimumIntervalSeconds: mode === 'push' ? 3600 : 1,
      }),
    ],
  });
  const instance = await Instance.open({
    home,
    ...(options.storageUrl === undefined ? {} : { storageUrl: options.storageUrl }),
  });
  const daemon = new Daemon({ defs, instance, tickIntervalMs: 100, maxConcurrentRuns: 1 });
  await daemon.start();
  await daemon.sensors.idle();
  return {
    home,
    defs,
    data,
    instance,
    daemon,
    nextStep: () =>
      new Promise<void>((resolve) => {
        onStep = resolve;
      }),
    startedAt: async (commitId) => {
      const [run] = await instance.runs.listRuns({ tags: { 'lakeloop/data_commit': commitId } });
      if (run?.startedAt === undefined) throw new Error(`run of ${commitId} has no startedAt`);
      return run.startedAt;
    },
    close: async () => {
      await daemon.stop();
      await instance.close();
      await data.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
