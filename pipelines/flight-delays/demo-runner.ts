/**
 * The demo loop behind `npm start` (also used by the end-to-end tests and the benchmark): an
 * instance with the daemon running, then one month of flights committed at a time; each commit is
 * picked up by the data-commit sensor (not by a direct call), which launches `retrain`; the runner
 * only watches the instance (run records and the event log) to report progress and timings.
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
  Instance,
  LakeloopError,
} from 'lakeloop';
import type { Definitions, RunRecord, StoredEvent } from 'lakeloop';
import { createDataRepository } from 'lakeloop/data';
import type { DataRepository } from 'lakeloop/data';
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

/** What happened to one committed month. */
export interface MonthOutcome {
  month: string;
  commitId: string;
  rows: number;
  importSeconds: number;
  /** Commit -> run STARTED, milliseconds. */
  latencyMs: number;
  run: RunRecord;
  steps: StepTiming[];
  /** Failed checks: `<check>: <description>`. */
  failedChecks: string[];
  runSeconds: number;
}

/** Progress reported while the demo runs. */
export type DemoProgress =
  | { kind: 'committed'; month: string; commitId: string; rows: number; seconds: number }
  | { kind: 'run-started'; month: string; runId: string; latencyMs: number }
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
  const daemon = new Daemon({ defs, instance, tickIntervalMs: 100, maxConcurrentRuns: 1 });
  await daemon.start();
  const pollMs = options.pollMs ?? 250;
  const report = options.onProgress ?? (() => undefined);

  const awaitRunFor: Demo['awaitRunFor'] = async ({ month, commitId, committedAt, rows }) => {
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
    let latencyMs = 0;
    const steps: StepTiming[] = [];
    const failedChecks: string[] = [];
    const metadata = new Map<string, Record<string, unknown>>();
    const consume = async (event: StoredEvent): Promise<void> => {
      const step = event.stepKey ?? '';
      switch (event.type) {
        case 'STEP_START':
          report({ kind: 'step-started', month, step });
          break;
        case 'LOG':
          report({ kind: 'log', month, step, message: event.message });
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
          report({ kind: 'step-finished', month, step: timing });
          break;
        }
        case 'RUN_START': {
          const startedAt = (await instance.runs.getRun(handle.runId))?.startedAt ?? event.timestamp;
          latencyMs = Math.max(0, startedAt - committedAt);
          report({ kind: 'run-started', month, runId: handle.runId, latencyMs });
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
    latencyMs = Math.max(0, (current.startedAt ?? committedAt) - committedAt);
    const outcome: MonthOutcome = {
      month,
      commitId,
      rows: rows ?? 0,
      importSeconds: 0,
      latencyMs,
      run: current,
      steps,
      failedChecks,
      runSeconds: ((current.endedAt ?? current.updatedAt) - (current.startedAt ?? current.createdAt)) / 1000,
    };
    report({ kind: 'run-finished', month, outcome });
    return outcome;
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
