/**
 * The run queue (what Dagster calls the run coordinator: its `QueuedRunCoordinator`'s policy):
 * `tick(now)` starts QUEUED runs (highest `lakeloop/priority` tag first, then
 * oldest first) while the number of runs in progress stays under `maxConcurrentRuns` and under
 * every tag concurrency limit; a run blocked by a tag limit does not block runs behind it. Runs
 * execute in this process through `executeRun`, tagged `lakeloop/daemon_id` so that a restarted
 * daemon can tell which in-progress runs a dead daemon left behind.
 *
 * @example
 * ```ts
 * const queue = new RunQueue({ defs, instance, daemonId: 'd1', maxConcurrentRuns: 2,
 *   tagConcurrencyLimits: [{ key: 'lakeloop/sensor', limit: 1, perUniqueValue: true }] });
 * await queue.tick(clock.now());
 * await queue.idle(); // every launched run finished
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { RunRecord, RunStatus } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import { executeRun } from '../execution/run-execution.js';
import { OWNED_RUN_STATUSES } from '../execution/dead-run-recovery.js';
import { SENSOR_TAG } from './run-request-launch.js';
import type { Instance } from '../instance/instance.js';

/** Tag holding a run's queue priority (an integer; higher starts first; default 0). */
export const PRIORITY_TAG = 'lakeloop/priority';
/** Tag holding the id of the daemon that launched a run. */
export const DAEMON_ID_TAG = 'lakeloop/daemon_id';

/** Statuses that count as "in progress" for concurrency limits (those of runs with an owner process). */
export const IN_PROGRESS_STATUSES: readonly RunStatus[] = OWNED_RUN_STATUSES;

/** A limit on the number of in-progress runs carrying a tag. */
export interface TagConcurrencyLimit {
  key: string;
  /** Only runs whose tag has this value count (and are limited). Default: any value. */
  value?: string;
  /** Apply `limit` to each distinct value separately (e.g. one run per sensor). Default false. */
  perUniqueValue?: boolean;
  limit: number;
}

/** Options of {@link RunQueue}. */
export interface RunQueueOptions {
  defs: Definitions;
  instance: Instance;
  /** Written on every run it launches (tag `lakeloop/daemon_id`). */
  daemonId: string;
  /** Default 4. */
  maxConcurrentRuns?: number;
  /**
   * Default: one run at a time per sensor (`{ key: 'lakeloop/sensor', perUniqueValue: true, limit: 1 }`),
   * so a sensor's runs (one per data commit) execute, and register models, in the order they were
   * requested. Give a limit on `lakeloop/sensor` yourself to change that.
   */
  tagConcurrencyLimits?: readonly TagConcurrencyLimit[];
  /** Tags written on every run it launches, besides `lakeloop/daemon_id` (e.g. `lakeloop/defs`). Default none. */
  launchTags?: Readonly<Record<string, string>>;
  /** Called when a launched run finishes (or fails to launch). Default none. */
  onRunFinished?: (run: RunRecord | undefined, error?: unknown) => void;
}

/** The default limit: a sensor's runs execute one at a time, in order. */
export const ONE_RUN_PER_SENSOR: TagConcurrencyLimit = { key: SENSOR_TAG, perUniqueValue: true, limit: 1 };

/** Default number of runs the queue executes at once. */
export const DEFAULT_MAX_CONCURRENT_RUNS = 4;

/** The priority of a run (its `lakeloop/priority` tag, default 0). */
export function runPriority(run: RunRecord): number {
  const raw = run.tags[PRIORITY_TAG];
  const value = raw === undefined ? 0 : Number(raw);
  return Number.isFinite(value) ? value : 0;
}

function limitApplies(limit: TagConcurrencyLimit, run: RunRecord): boolean {
  const value = run.tags[limit.key];
  return value !== undefined && (limit.value === undefined || value === limit.value);
}

/** Starts QUEUED runs within the concurrency limits. */
export class RunQueue {
  readonly #defs: Definitions;
  readonly #instance: Instance;
  readonly #daemonId: string;
  readonly #max: number;
  readonly #limits: readonly TagConcurrencyLimit[];
  readonly #onRunFinished: RunQueueOptions['onRunFinished'];
  readonly #launchTags: Readonly<Record<string, string>>;
  /** Runs launched by this queue and not finished, by id. */
  readonly #active = new Map<string, Promise<void>>();
  #busy: Promise<string[]> | undefined;
  #queued: Promise<string[]> | undefined;
  #stopped = false;

  constructor(options: RunQueueOptions) {
    this.#defs = options.defs;
    this.#instance = options.instance;
    this.#daemonId = options.daemonId;
    this.#max = options.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS;
    const limits = options.tagConcurrencyLimits ?? [];
    this.#limits = limits.some((l) => l.key === SENSOR_TAG) ? limits : [...limits, ONE_RUN_PER_SENSOR];
    this.#onRunFinished = options.onRunFinished;
    this.#launchTags = options.launchTags ?? {};
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `maxConcurrentRuns must be an integer >= 1 (got ${String(this.#max)}).`,
      );
    }
    for (const limit of this.#limits) {
      if (!Number.isInteger(limit.limit) || limit.limit < 0) {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          `Tag concurrency limit on "${limit.key}" must be an integer >= 0.`,
        );
      }
    }
  }

  /** Ids of the runs this queue launched that are still executing. */
  get activeRunIds(): string[] {
    return [...this.#active.keys()];
  }

  /**
   * Starts what the limits allow; returns the ids of the runs started. A call during a pass queues
   * one more pass after it (callers in the meantime share it) instead of overlapping.
   */
  tick(_now?: number): Promise<string[]> {
    if (this.#queued !== undefined) return this.#queued;
    const current = this.#busy;
    if (current !== undefined) {
      const next = current
        .catch(() => [])
        .then(() => {
          this.#queued = undefined;
          return this.tick();
        });
      this.#queued = next;
      return next;
    }
    const pass: Promise<string[]> = this.#pass().finally(() => {
      if (this.#busy === pass) this.#busy = undefined;
    });
    this.#busy = pass;
    return pass;
  }

  /** Resolves when every run this queue launched has finished. */
  async idle(): Promise<void> {
    while (this.#busy !== undefined || this.#queued !== undefined || this.#active.size > 0) {
      await Promise.allSettled([this.#busy, this.#queued, ...this.#active.values()]);
    }
  }

  /** Stops launching runs (runs in progress go on; see Daemon.stop). */
  stop(): void {
    this.#stopped = true;
  }

  async #pass(): Promise<string[]> {
    if (this.#stopped) return [];
    const runs = this.#instance.runs;
    const inProgress = await runs.listRuns({ statuses: IN_PROGRESS_STATUSES, limit: 10_000 });
    const counted = new Map(inProgress.map((r) => [r.runId, r]));
    // Launched here but maybe not yet STARTING in storage: count them too.
    for (const runId of this.#active.keys()) {
      if (!counted.has(runId)) {
        const run = await runs.getRun(runId);
        if (run !== undefined) counted.set(runId, run);
      }
    }
    const busy = [...counted.values()];
    if (busy.length >= this.#max) return [];
    const queued = await runs.listRuns({ statuses: ['QUEUED'], order: 'OLDEST_FIRST', limit: 10_000 });
    const ordered = queued
      .map((run, index) => ({ run, index }))
      .sort((a, b) => runPriority(b.run) - runPriority(a.run) || a.index - b.index)
      .map((entry) => entry.run);
    const started: string[] = [];
    for (const run of ordered) {
      if (busy.length >= this.#max) break;
      if (this.#active.has(run.runId) || !this.#fits(run, busy)) continue;
      busy.push(run);
      this.#launch(run);
      started.push(run.runId);
    }
    return started;
  }

  #fits(run: RunRecord, busy: readonly RunRecord[]): boolean {
    for (const limit of this.#limits) {
      if (!limitApplies(limit, run)) continue;
      const value = run.tags[limit.key];
      const holding = busy.filter(
        (other) =>
          limitApplies(limit, other) && (limit.perUniqueValue !== true || other.tags[limit.key] === value),
      ).length;
      if (holding >= limit.limit) return false;
    }
    return true;
  }

  #launch(run: RunRecord): void {
    const { runId } = run;
    const execution = (async () => {
      let finished: RunRecord | undefined;
      let failure: unknown;
      try {
        if (
          await this.#instance.runs.updateRun(
            runId,
            { tags: { ...this.#launchTags, [DAEMON_ID_TAG]: this.#daemonId } },
            'QUEUED',
          )
        ) {
          finished = await executeRun({ defs: this.#defs, runId, instance: this.#instance });
        }
      } catch (error) {
        // CONFLICT: someone else started or canceled it meanwhile; anything else is reported.
        if (!(error instanceof LakeloopError && error.code === 'CONFLICT')) failure = error;
      }
      this.#active.delete(runId);
      try {
        this.#onRunFinished?.(finished, failure);
      } catch {
        // a listener's failure must not break the queue
      }
      if (!this.#stopped) void this.tick().catch(() => undefined); // a slot freed
    })();
    this.#active.set(runId, execution);
  }
}
