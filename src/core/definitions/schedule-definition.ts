/**
 * Schedules: launch a job on a cron (croner syntax, optionally in a time zone). The daemon's
 * schedule loop launches one run per due tick (run key = the scheduled time), reports ticks missed
 * while it was down, and catches up at most one of them.
 *
 * @example
 * ```ts
 * const nightly = defineSchedule({ name: 'nightly_retrain', cron: '0 2 * * *', timezone: 'Europe/Paris', job: 'retrain' });
 * nextScheduledTime(nightly, Date.now()); // epoch ms of the next 02:00 in Paris
 * ```
 */
import { Cron } from 'croner';
import { LakeloopError } from '../../errors.js';
import type { InstigatorStatus } from '../storage/storage-types.js';
import { checkInstigatorName } from './sensor-definition.js';

/** A defined schedule. */
export interface ScheduleDefinition {
  readonly kind: 'schedule';
  readonly name: string;
  /** Cron expression (5 or 6 fields, croner syntax). */
  readonly cron: string;
  /** IANA time zone, or undefined for UTC. */
  readonly timezone: string | undefined;
  readonly jobName: string;
  readonly defaultStatus: InstigatorStatus;
  readonly description: string | undefined;
  /** Tags added to every run (besides `lakeloop/schedule`). */
  readonly tags: Readonly<Record<string, string>>;
  /** Partition of each run, from its scheduled time (for partitioned jobs). Default none. */
  readonly partitionFor: ((scheduledTime: number) => string) | undefined;
}

/** What {@link defineSchedule} takes. */
export interface ScheduleSpec {
  name: string;
  cron: string;
  /** IANA time zone, e.g. `'Europe/Paris'`. Default UTC. */
  timezone?: string;
  job: string | { readonly name: string };
  /** Default `'RUNNING'`. */
  defaultStatus?: InstigatorStatus;
  description?: string;
  /** Default none. */
  tags?: Record<string, string>;
  /** Default none (unpartitioned runs). */
  partitionFor?: (scheduledTime: number) => string;
}

/** Defines a schedule; throws DEFINITION_ERROR for a bad name, cron expression or time zone. */
export function defineSchedule(spec: ScheduleSpec): ScheduleDefinition {
  checkInstigatorName('schedule', spec.name);
  const schedule: ScheduleDefinition = {
    kind: 'schedule',
    name: spec.name,
    cron: spec.cron,
    timezone: spec.timezone,
    jobName: typeof spec.job === 'string' ? spec.job : spec.job.name,
    defaultStatus: spec.defaultStatus ?? 'RUNNING',
    description: spec.description,
    tags: { ...(spec.tags ?? {}) },
    partitionFor: spec.partitionFor,
  };
  try {
    cronOf(schedule).nextRun(new Date(0));
  } catch (cause) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Schedule "${spec.name}": invalid cron ${JSON.stringify(spec.cron)}${spec.timezone === undefined ? '' : ` or time zone ${JSON.stringify(spec.timezone)}`}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return schedule;
}

function cronOf(schedule: Pick<ScheduleDefinition, 'cron' | 'timezone'>): Cron {
  return new Cron(schedule.cron, { paused: true, timezone: schedule.timezone ?? 'Etc/UTC' });
}

/** The first scheduled time strictly after `after` (epoch ms), or undefined when there is none. */
export function nextScheduledTime(
  schedule: Pick<ScheduleDefinition, 'cron' | 'timezone'>,
  after: number,
): number | undefined {
  return cronOf(schedule).nextRun(new Date(after))?.getTime();
}

/** The last scheduled time at or before `atOrBefore` (epoch ms), or undefined when there is none. */
export function latestScheduledTime(
  schedule: Pick<ScheduleDefinition, 'cron' | 'timezone'>,
  atOrBefore: number,
): number | undefined {
  return cronOf(schedule)
    .previousRuns(1, new Date(atOrBefore + 1))[0]
    ?.getTime();
}

/**
 * Scheduled times in `(after, until]`, oldest first, at most `limit` (default 1000) — with `truncated`
 * true when more exist.
 */
export function scheduledTimesBetween(
  schedule: Pick<ScheduleDefinition, 'cron' | 'timezone'>,
  range: { after: number; until: number; limit?: number },
): { times: number[]; truncated: boolean } {
  const cron = cronOf(schedule);
  const limit = range.limit ?? 1000;
  const times: number[] = [];
  let cursor = range.after;
  for (;;) {
    const next = cron.nextRun(new Date(cursor))?.getTime();
    if (next === undefined || next > range.until) return { times, truncated: false };
    if (times.length >= limit) return { times, truncated: true };
    times.push(next);
    cursor = next;
  }
}

/** True when `value` is a {@link ScheduleDefinition}. */
export function isScheduleDefinition(value: unknown): value is ScheduleDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'schedule';
}
