/**
 * The schedule loop: `tick(now)` launches, for every RUNNING schedule, the run of its latest
 * scheduled time that passed since the previous tick (run key = that time, ISO 8601, so a time
 * launches once even across restarts). Times missed while the daemon was down are reported in a
 * SKIPPED tick and only the latest one is caught up (no flood). A schedule seen for the first time
 * (or switched on) starts from `now`.
 *
 * @example
 * ```ts
 * const loop = new ScheduleLoop({ defs, instance });
 * await loop.tick(clock.now());
 * ```
 */
import { describeError } from '../../errors.js';
import type { Definitions } from '../definitions/definitions.js';
import type { ScheduleDefinition } from '../definitions/schedule-definition.js';
import {
  isScheduleDefinition,
  latestScheduledTime,
  scheduledTimesBetween,
} from '../definitions/schedule-definition.js';
import type { Instance } from '../instance/instance.js';
import type { InstigatorState, TickRecord } from '../storage/storage-types.js';
import { launchRunRequest } from './run-request-launch.js';

/** Tag holding the scheduled time (ISO 8601) of a run launched by a schedule. */
export const SCHEDULED_TIME_TAG = 'lakeloop/scheduled_time';

/** Options of {@link ScheduleLoop}. */
export interface ScheduleLoopOptions {
  defs: Definitions;
  instance: Instance;
  /** Called after a tick queued a run. Default none. */
  onRunsQueued?: (runIds: readonly string[]) => void;
  /** Called with each stored tick. Default none. */
  onTick?: (tick: TickRecord) => void;
}

/** All schedules of the Definitions. */
export function schedulesOf(defs: Definitions): ScheduleDefinition[] {
  return defs.schedules.filter(isScheduleDefinition);
}

const MISSED_COUNT_LIMIT = 1000;

/** Launches scheduled runs. */
export class ScheduleLoop {
  readonly #defs: Definitions;
  readonly #instance: Instance;
  readonly #schedules: ScheduleDefinition[];
  readonly #onRunsQueued: ((runIds: readonly string[]) => void) | undefined;
  readonly #onTick: ((tick: TickRecord) => void) | undefined;
  #busy: Promise<TickRecord[]> | undefined;

  constructor(options: ScheduleLoopOptions) {
    this.#defs = options.defs;
    this.#instance = options.instance;
    this.#schedules = schedulesOf(options.defs);
    this.#onRunsQueued = options.onRunsQueued;
    this.#onTick = options.onTick;
    for (const schedule of this.#schedules) this.#defs.job(schedule.jobName);
  }

  /** The schedules this loop runs. */
  get schedules(): readonly ScheduleDefinition[] {
    return this.#schedules;
  }

  /** Launches what is due at `now`; returns the ticks stored. Concurrent calls share one pass. */
  tick(now: number): Promise<TickRecord[]> {
    this.#busy ??= this.#tick(now).finally(() => {
      this.#busy = undefined;
    });
    return this.#busy;
  }

  async #tick(now: number): Promise<TickRecord[]> {
    const ticks: TickRecord[] = [];
    for (const schedule of this.#schedules) ticks.push(...(await this.#tickOne(schedule, now)));
    return ticks;
  }

  async #tickOne(schedule: ScheduleDefinition, now: number): Promise<TickRecord[]> {
    const storage = this.#instance.schedules;
    const state = await storage.getInstigatorState(schedule.name);
    const base: InstigatorState = state ?? { name: schedule.name, type: 'SCHEDULE', updatedAt: now };
    if ((state?.status ?? schedule.defaultStatus) !== 'RUNNING') return [];
    if (state?.lastTickAt === undefined) {
      await storage.setInstigatorState({ ...base, lastTickAt: now, updatedAt: now });
      return [];
    }
    const { times, truncated } = scheduledTimesBetween(schedule, {
      after: state.lastTickAt,
      until: now,
      limit: MISSED_COUNT_LIMIT,
    });
    if (times.length === 0) return [];
    const last = times.at(-1) ?? now;
    const latest = truncated ? (latestScheduledTime(schedule, now) ?? last) : last;
    const ticks: TickRecord[] = [];
    const missed = truncated ? times.length : times.length - 1;
    if (missed > 0) {
      const first = new Date(times[0] as number).toISOString();
      const last = new Date(truncated ? (times.at(-1) as number) : (times.at(-2) as number)).toISOString();
      const missedTick: TickRecord = {
        instigatorName: schedule.name,
        type: 'SCHEDULE',
        timestamp: now,
        status: 'SKIPPED',
        runKeys: [],
        runIds: [],
        skipReason:
          `Missed ${truncated ? 'more than ' : ''}${missed} scheduled tick(s) from ${first} to ${last} while the daemon was not running; ` +
          `only the latest (${new Date(latest).toISOString()}) is caught up.`,
      };
      missedTick.id = await storage.addTick(missedTick);
      ticks.push(missedTick);
    }
    const runKey = new Date(latest).toISOString();
    const tick: TickRecord = {
      instigatorName: schedule.name,
      type: 'SCHEDULE',
      timestamp: now,
      status: 'STARTED',
      runKeys: [runKey],
      runIds: [],
    };
    tick.id = await storage.addTick(tick);
    try {
      const partition = schedule.partitionFor?.(latest);
      const outcome = await launchRunRequest({
        defs: this.#defs,
        instance: this.#instance,
        instigatorName: schedule.name,
        instigatorType: 'SCHEDULE',
        jobName: schedule.jobName,
        request: {
          runKey,
          tags: { [SCHEDULED_TIME_TAG]: runKey },
          ...(partition === undefined ? {} : { partition }),
        },
        baseTags: schedule.tags,
      });
      if (outcome.created) {
        tick.runIds.push(outcome.runId);
        tick.status = 'SUCCESS';
      } else {
        tick.status = 'SKIPPED';
        tick.skipReason = `The run of ${runKey} was already launched (run ${outcome.runId}).`;
      }
    } catch (error) {
      tick.status = 'FAILURE';
      tick.error = describeError(error);
    }
    const { id, ...update } = tick;
    const stored = await storage.finishTick(id, update);
    const current = (await storage.getInstigatorState(schedule.name)) ?? base;
    await storage.setInstigatorState({
      ...current,
      lastTickAt: latest,
      updatedAt: this.#instance.clock.now(),
    });
    ticks.push(stored);
    if (tick.runIds.length > 0) this.#onRunsQueued?.(tick.runIds);
    for (const t of ticks) this.#onTick?.(t);
    return ticks;
  }
}
