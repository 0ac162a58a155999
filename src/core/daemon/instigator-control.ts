/**
 * Listing and controlling sensors and schedules through their stored state (shared by the CLI and
 * the REST API): effective status (stored, else the code's default), cursor, last tick; start,
 * stop, reset the cursor. Stopping takes effect at the next evaluation of every daemon.
 *
 * @example
 * ```ts
 * await setInstigatorStatus({ defs, instance, name: 'new_flights', status: 'STOPPED' });
 * const rows = await listInstigators({ defs, instance });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { Definitions } from '../definitions/definitions.js';
import type {
  InstigatorState,
  InstigatorStatus,
  InstigatorType,
  TickRecord,
} from '../storage/storage-types.js';
import type { Instance } from '../instance/instance.js';
import { schedulesOf } from './schedule-loop.js';
import { sensorsOf } from './sensor-loop.js';

/** A sensor or schedule with its effective state. */
export interface InstigatorSummary {
  name: string;
  type: InstigatorType;
  jobName: string;
  status: InstigatorStatus;
  /** True when the status is the code's default (nothing stored). */
  defaultStatus: boolean;
  cursor?: string;
  lastTickAt?: number;
  lastTick?: Pick<
    TickRecord,
    'status' | 'timestamp' | 'skipReason' | 'error' | 'runIds' | 'count' | 'lastTimestamp'
  >;
  /** Sensors: minimum seconds between evaluations. */
  minimumIntervalSeconds?: number;
  /** Schedules: cron expression and time zone. */
  cron?: string;
  timezone?: string;
}

/** Instance and definitions, as the control functions take them. */
export interface InstigatorControlOptions {
  defs: Definitions;
  instance: Instance;
}

function findInstigator(
  defs: Definitions,
  name: string,
): { type: InstigatorType; jobName: string; defaultStatus: InstigatorStatus } {
  const sensor = sensorsOf(defs).find((s) => s.name === name);
  if (sensor !== undefined)
    return { type: 'SENSOR', jobName: sensor.jobName, defaultStatus: sensor.defaultStatus };
  const schedule = schedulesOf(defs).find((s) => s.name === name);
  if (schedule !== undefined)
    return { type: 'SCHEDULE', jobName: schedule.jobName, defaultStatus: schedule.defaultStatus };
  const known = [...sensorsOf(defs), ...schedulesOf(defs)].map((i) => i.name);
  throw new LakeloopError(
    'NOT_FOUND',
    `Unknown sensor or schedule "${name}"; defined: ${known.join(', ') || 'none'}.`,
    {
      details: { name },
    },
  );
}

/** Every sensor then every schedule of the Definitions with its stored state and last tick. */
export async function listInstigators(options: InstigatorControlOptions): Promise<InstigatorSummary[]> {
  const { defs, instance } = options;
  const states = new Map((await instance.schedules.listInstigatorStates()).map((s) => [s.name, s]));
  const summaries: InstigatorSummary[] = [];
  const base = async (name: string, type: InstigatorType, jobName: string, fallback: InstigatorStatus) => {
    const state = states.get(name);
    const summary: InstigatorSummary = {
      name,
      type,
      jobName,
      status: state?.status ?? fallback,
      defaultStatus: state?.status === undefined,
    };
    if (state?.cursor !== undefined) summary.cursor = state.cursor;
    if (state?.lastTickAt !== undefined) summary.lastTickAt = state.lastTickAt;
    const [tick] = await instance.schedules.listTicks(name, { limit: 1 });
    if (tick !== undefined) {
      summary.lastTick = { status: tick.status, timestamp: tick.timestamp, runIds: tick.runIds };
      if (tick.skipReason !== undefined) summary.lastTick.skipReason = tick.skipReason;
      if (tick.error !== undefined) summary.lastTick.error = tick.error;
      if (tick.count !== undefined) summary.lastTick.count = tick.count;
      if (tick.lastTimestamp !== undefined) summary.lastTick.lastTimestamp = tick.lastTimestamp;
    }
    return summary;
  };
  for (const sensor of sensorsOf(defs)) {
    const summary = await base(sensor.name, 'SENSOR', sensor.jobName, sensor.defaultStatus);
    summary.minimumIntervalSeconds = sensor.minimumIntervalSeconds;
    summaries.push(summary);
  }
  for (const schedule of schedulesOf(defs)) {
    const summary = await base(schedule.name, 'SCHEDULE', schedule.jobName, schedule.defaultStatus);
    summary.cron = schedule.cron;
    if (schedule.timezone !== undefined) summary.timezone = schedule.timezone;
    summaries.push(summary);
  }
  return summaries;
}

/** One sensor or schedule's summary; NOT_FOUND naming the defined ones. */
export async function getInstigator(
  options: InstigatorControlOptions & { name: string },
): Promise<InstigatorSummary> {
  findInstigator(options.defs, options.name);
  const found = (await listInstigators(options)).find((i) => i.name === options.name);
  if (found === undefined)
    throw new LakeloopError('NOT_FOUND', `Unknown sensor or schedule "${options.name}".`);
  return found;
}

/**
 * Starts or stops a sensor or schedule (stored, overriding the code's default). Starting a schedule
 * makes it count from now (ticks that passed while it was stopped are not caught up).
 */
export async function setInstigatorStatus(
  options: InstigatorControlOptions & { name: string; status: InstigatorStatus },
): Promise<InstigatorSummary> {
  const { instance, name, status } = options;
  const { type } = findInstigator(options.defs, name);
  const now = instance.clock.now();
  const state: InstigatorState = (await instance.schedules.getInstigatorState(name)) ?? {
    name,
    type,
    updatedAt: now,
  };
  const next: InstigatorState = { ...state, status, updatedAt: now };
  if (type === 'SCHEDULE' && status === 'RUNNING' && state.status !== 'RUNNING') delete next.lastTickAt;
  await instance.schedules.setInstigatorState(next);
  return getInstigator(options);
}

/**
 * Forgets a sensor's cursor: its next evaluation starts from the beginning. Run keys stay claimed,
 * so nothing launched before launches again.
 */
export async function resetSensorCursor(
  options: InstigatorControlOptions & { name: string },
): Promise<InstigatorSummary> {
  const { instance, name } = options;
  const { type } = findInstigator(options.defs, name);
  if (type !== 'SENSOR')
    throw new LakeloopError('INVALID_ARGUMENT', `"${name}" is a schedule; only sensors have a cursor.`);
  const state = await instance.schedules.getInstigatorState(name);
  if (state !== undefined) {
    const next: InstigatorState = { ...state, updatedAt: instance.clock.now() };
    delete next.cursor;
    await instance.schedules.setInstigatorState(next);
  }
  return getInstigator(options);
}
