/**
 * The demo loop behind `npm start` (also used by the end-to-end tests and the benchmark): an
 * instance with the daemon running, then one month of flights committed at a time; each commit is
 * picked up by the data-commit sensor (not by a direct call), which launches `retrain`; the runner
 * only watches the instance (run records and the event log) to report progress and timings.
 * On a repository that already holds a month (a re-run against a lakeFS server, or on a kept home)
 * the month is `unchanged`: nothing is committed, and the month's run is the one for the commit
 * that brought it (launched now by the sensor if this instance never ran it, else the earlier run,
 * not reported again). No run is reported twice.
 *
 * @example
 * ```ts
 * await using demo = await startDemo({ home: '.lakeloop/demo', dataset: 'flights-2k' });
 * for (const month of demo.source.months) {
 *   const outcome = await demo.commitMonth(month);
 *   console.log(month, outcome.run.status, outcome.latencyMs);
 * }
 * console.log(await demo.versions());
 * ```
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  awaitRunHandle,
  closeProcessResources,
  Daemon,
  DATA_COMMIT_TAG,
  FINISHED_RUN_STATUSES,
  Instance,
  LakeloopError,
} from 'lakeloop';
import type { Definitions, RunRecord, StoredEvent } from 'lakeloop';
import { createDataRepository } from 'lakeloop/data';
import type { DataRepository, ImportedChunk } from 'lakeloop/data';
import { openRegistry, openTracking } from 'lakeloop/tracking';
import type { ModelRegistry, TrackingStore } from 'lakeloop/tracking';
import { buildDefinitions } from './definitions.js';
import type { PipelineSettings } from './flight-resources.js';
import type { FlightConfigOverrides } from './pipeline-config.js';
import { ensureRepository, importMonth, prepareSource } from './demo-data.js';
import type { DemoDataset, DemoSource } from './demo-data.js';
import { versionTable } from './version-table.js';
import type { VersionRow } from './version-table.js';

/** A step of a run, as the runner saw it finish. */
export interface StepTiming {
  step: string;
  status: 'SUCCESS' | 'FAILURE' | 'SKIPPED';
  seconds: number;
  /** Metadata of the step's materialization (timings of the stages inside it). */
  metadata: Record<string, unknown>;
}

/** What happened to one month. */
export interface MonthOutcome {
  month: string;
  /**
   * `committed`: this demo committed the month. `unchanged`: identical data was already on the
   * branch (nothing committed); `commitId` is then the commit that brought it.
   */
  data: 'committed' | 'unchanged';
  commitId: string;
  rows: number;
  importSeconds: number;
  /** Commit -> run STARTED, milliseconds; 0 for an `unchanged` month (its commit predates this demo). */
  latencyMs: number;
  run: RunRecord;
  /**
   * `launched`: the sensor launched the run during this demo and its progress was reported.
   * `earlier`: the run was there before (an earlier demo on this instance) or was reported for an
   * earlier month of this demo; it was not reported again.
   */
  runSeen: 'launched' | 'earlier';
  steps: StepTiming[];
  /** Failed checks: `<check>: <description>`. */
  failedChecks: string[];
  runSeconds: number;
}

/** Progress reported while the demo runs. */
export type DemoProgress =
  | { kind: 'committed'; month: string; commitId: string; rows: number; seconds: number }
  /** The month was already on the branch with identical bytes: nothing was committed. */
  | { kind: 'unchanged'; month: string; commitId: string; rows: number; path: string }
  /** `latencyMs` is absent when the commit predates this demo (the sensor caught up on it). */
  | { kind: 'run-started'; month: string; runId: string; latencyMs?: number }
  /** The month's run was not reported again: it ran before this demo, or for `shownFor` above. */
  | { kind: 'run-seen'; month: string; runId: string; status: RunRecord['status']; shownFor?: string }
  | { kind: 'step-started'; month: string; step: string }
  | { kind: 'step-finished'; month: string; step: StepTiming }
  | { kind: 'log'; month: string; step: string; message: string }
  | { kind: 'run-finished'; month: string; outcome: MonthOutcome };

/** Options of {@link startDemo}. */
export interface StartDemoOptions {
  /** Instance home (must be fresh for a reproducible demo). */
  home: string;
  /** Default `flights-3m`. */
  dataset?: DemoDataset;
  /** Settings and run-config defaults of the pipeline. Default none. */
  config?: FlightConfigOverrides;
  /** A data repository to use. Default: configured by `env`, embedded in `home`. */
  data?: DataRepository;
  /** Environment the data backend, tracking and settings read. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Tracking/registry URI. Default `MLFLOW_TRACKING_URI`, else embedded in `home`. */
  trackingUri?: string;
  /** Progress callback. Default none. */
  onProgress?: (progress: DemoProgress) => void;
  /** How long to wait for a sensor-triggered run to start, ms. Default 60 000. */
  startTimeoutMs?: number;
  /** How often the runner looks at the instance for writes of other processes, ms (the daemon here wakes it at once). Default 250. */
  pollMs?: number;
}

/** A running demo: the instance, the daemon, and the stores the runs write (to inspect them). */
export interface Demo extends AsyncDisposable {
  readonly instance: Instance;
  readonly daemon: Daemon;
  readonly defs: Definitions;
  readonly settings: PipelineSettings;
  readonly data: DataRepository;
  /** The tracking store of the instance home (as the runs' tracking resource opens it). */
  readonly tracking: TrackingStore;
  readonly registry: ModelRegistry;
  readonly source: DemoSource;
  /** Commits one month and waits for the run the sensor launches for it to finish. */
  commitMonth(month: string): Promise<MonthOutcome>;
  /** Waits for the sensor-triggered run of an existing commit (e.g. one made by a test). */
  awaitRunFor(options: {
    month: string;
    commitId: string;
    committedAt: number;
    rows?: number;
  }): Promise<MonthOutcome>;
  /** The summary rows, one per registered version. */
  versions(): Promise<VersionRow[]>;
  /** Stops the daemon and closes everything this demo opened. */
  close(): Promise<void>;
}

/** Opens the instance, starts the daemon and prepares the source data. */
export async function startDemo(options: StartDemoOptions): Promise<Demo> {
  const home = options.home;
  const ownsData = options.data === undefined;
  const env = options.env ?? process.env;
  const data = options.data ?? createDataRepository({ home, env });
  const { defs, settings } = buildDefinitions({
    home,
    data,
    env,
    ...(options.trackingUri === undefined ? {} : { trackingUri: options.trackingUri }),
    ...(options.config === undefined ? {} : { config: options.config }),
  });
  const source = await prepareSource({
    dataset: options.dataset ?? 'flights-3m',
    workDir: join(home, 'demo-source'),
  });
  await ensureRepository(data, settings.repository);
  const uri = options.trackingUri === undefined ? {} : { uri: options.trackingUri };
  const tracking = openTracking({ home, env, ...uri });
  const registry = openRegistry({ home, env, ...uri });
  const instance = await Instance.open(home);
  // Runs created before this moment ran in an earlier demo on this instance: never reported again.
  const openedAt = instance.clock.now();
  const daemon = new Daemon({ defs, instance, tickIntervalMs: 100, maxConcurrentRuns: 1 });
  await daemon.start();
  const pollMs = options.pollMs ?? 250;
  const report = options.onProgress ?? (() => undefined);

  /** The outcome per commit id, so a run followed once is never reported again. */
  const followed = new Map<string, MonthOutcome>();

  /**
   * Follows the run of a commit to its end. `committedAt` undefined: the commit predates this demo
   * (no latency). `quiet`: collect steps and checks without reporting them (an earlier run).
   */
  const follow = async (target: {
    month: string;
    commitId: string;
    committedAt: number | undefined;
    rows: number | undefined;
    quiet: boolean;
  }): Promise<MonthOutcome> => {
    const { month, commitId, committedAt, rows, quiet } = target;
    const progress = quiet ? () => undefined : report;
    const handle = await awaitRunHandle(
      instance,
      { tags: { [DATA_COMMIT_TAG]: commitId } },
      { pollMs, timeoutMs: options.startTimeoutMs ?? 60_000 },
    ).catch((error: unknown) => {
      if (!(error instanceof LakeloopError && error.code === 'TIMEOUT')) throw error;
      throw new LakeloopError(
        'TIMEOUT',
        `No run started for commit ${commitId.slice(0, 12)} (${month}); is the sensor running? See \`lakeloop sensors list\`.`,
        { cause: error },
      );
    });
    const steps: StepTiming[] = [];
    const failedChecks: string[] = [];
    const metadata = new Map<string, Record<string, unknown>>();
    const consume = async (event: StoredEvent): Promise<void> => {
      const step = event.stepKey ?? '';
      switch (event.type) {
        case 'STEP_START':
          progress({ kind: 'step-started', month, step });
          break;
        case 'LOG':
          progress({ kind: 'log', month, step, message: event.message });
          break;
        case 'ASSET_MATERIALIZATION':
          metadata.set(step, event.materialization?.metadata ?? {});
          break;
        case 'ASSET_CHECK_EVALUATION': {
          const check = event.checkEvaluation;
          if (check !== undefined && !check.passed) {
            const description = check.metadata?.['description'];
            failedChecks.push(
              `${check.checkName}: ${typeof description === 'string' ? description : event.message}`,
            );
          }
          break;
        }
        case 'STEP_SUCCESS':
        case 'STEP_FAILURE':
        case 'STEP_SKIPPED': {
          const durationMs = event.data?.['durationMs'];
          const timing: StepTiming = {
            step,
            status:
              event.type === 'STEP_SUCCESS'
                ? 'SUCCESS'
                : event.type === 'STEP_FAILURE'
                  ? 'FAILURE'
                  : 'SKIPPED',
            seconds: typeof durationMs === 'number' ? durationMs / 1000 : 0,
            metadata: metadata.get(step) ?? {},
          };
          steps.push(timing);
          progress({ kind: 'step-finished', month, step: timing });
          break;
        }
        case 'RUN_START': {
          if (committedAt === undefined) {
            progress({ kind: 'run-started', month, runId: handle.runId });
            break;
          }
          const startedAt = (await instance.runs.getRun(handle.runId))?.startedAt ?? event.timestamp;
          progress({
            kind: 'run-started',
            month,
            runId: handle.runId,
            latencyMs: Math.max(0, startedAt - committedAt),
          });
          break;
        }
        case 'RUN_ENQUEUED':
        case 'RUN_STARTING':
        case 'RUN_SUCCESS':
        case 'RUN_FAILURE':
        case 'RUN_CANCELING':
        case 'RUN_CANCELED':
        case 'STEP_OUTPUT':
        case 'STEP_UP_FOR_RETRY':
          break;
      }
    };
    for await (const event of handle.events()) await consume(event);
    const current = await handle.result();
    const outcome: MonthOutcome = {
      month,
      data: committedAt === undefined ? 'unchanged' : 'committed',
      commitId,
      rows: rows ?? 0,
      importSeconds: 0,
      latencyMs:
        committedAt === undefined ? 0 : Math.max(0, (current.startedAt ?? committedAt) - committedAt),
      run: current,
      runSeen: quiet ? 'earlier' : 'launched',
      steps,
      failedChecks,
      runSeconds: ((current.endedAt ?? current.updatedAt) - (current.startedAt ?? current.createdAt)) / 1000,
    };
    followed.set(commitId, outcome);
    progress({ kind: 'run-finished', month, outcome });
    return outcome;
  };

  const awaitRunFor: Demo['awaitRunFor'] = ({ month, commitId, committedAt, rows }) =>
    follow({ month, commitId, committedAt, rows, quiet: false });

  /** The newest commit of the branch's own history that changed `path` (the one that brought an unchanged chunk). */
  const commitThatChanged = async (path: string): Promise<string | undefined> => {
    const log = await data.log({
      repository: settings.repository,
      ref: settings.branch,
      prefix: path,
      firstParent: true,
      amount: 1,
    });
    return log.results[0]?.id;
  };

  /** An unchanged month: its run is the one for the commit that brought it, reported at most once. */
  const unchangedMonth = async (found: {
    month: string;
    chunk: ImportedChunk;
    importSeconds: number;
  }): Promise<MonthOutcome> => {
    const { month, chunk, importSeconds } = found;
    // lakeFS leaves merges out of a path-filtered log: then the head stands for the month.
    const commitId = (await commitThatChanged(chunk.path)) ?? chunk.commitId;
    report({ kind: 'unchanged', month, commitId, rows: chunk.rows, path: chunk.path });
    const unchanged = { month, data: 'unchanged', rows: chunk.rows, importSeconds } as const;
    const shown = followed.get(commitId);
    if (shown !== undefined) {
      report({
        kind: 'run-seen',
        month,
        runId: shown.run.runId,
        status: shown.run.status,
        shownFor: shown.month,
      });
      return { ...shown, ...unchanged, runSeen: 'earlier' };
    }
    const [earlier] = await instance.runs.listRuns({ tags: { [DATA_COMMIT_TAG]: commitId }, limit: 1 });
    const ranBefore =
      earlier !== undefined && earlier.createdAt < openedAt && FINISHED_RUN_STATUSES.includes(earlier.status);
    // A fresh instance on an existing repository: the sensor launches a run for every commit it
    // never saw, this one included; follow it as any other.
    const outcome = await follow({
      month,
      commitId,
      committedAt: undefined,
      rows: chunk.rows,
      quiet: ranBefore,
    });
    if (ranBefore) report({ kind: 'run-seen', month, runId: outcome.run.runId, status: outcome.run.status });
    return { ...outcome, ...unchanged };
  };

  const commitMonth: Demo['commitMonth'] = async (month) => {
    const started = performance.now();
    const imported = await importMonth({
      data,
      source,
      month,
      repository: settings.repository,
      branch: settings.branch,
      prefix: settings.prefix,
    });
    const committedAt = Date.now();
    const chunk = imported.chunks[0];
    if (chunk === undefined) throw new LakeloopError('INTERNAL', `Nothing was imported for ${month}.`);
    const importSeconds = (performance.now() - started) / 1000;
    if (chunk.status === 'unchanged') return unchangedMonth({ month, chunk, importSeconds });
    report({ kind: 'committed', month, commitId: chunk.commitId, rows: chunk.rows, seconds: importSeconds });
    const outcome = await awaitRunFor({ month, commitId: chunk.commitId, committedAt, rows: chunk.rows });
    return { ...outcome, importSeconds };
  };

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await daemon.stop();
    await instance.close();
    await closeProcessResources(); // the steps' data, tracking and registry clients
    await tracking.close();
    await registry.close();
    if (ownsData) await data.close();
  };

  return {
    instance,
    daemon,
    defs,
    settings,
    data,
    tracking,
    registry,
    source,
    commitMonth,
    awaitRunFor,
    versions: () => versionTable({ registry, instance, modelName: settings.modelName }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
