/** The API answers the Automation page reads (docs/api.md), trimmed to the fields it shows. */

/** Which list an instigator is in, and its path segment in the API. */
export type InstigatorKind = 'sensors' | 'schedules';

/** A tick as the lists summarize it. */
export interface LastTick {
  status: string;
  timestamp: number;
  runIds: string[];
  skipReason?: string;
  error?: string;
  count?: number;
}

/** One sensor or schedule (`GET /api/sensors`, `GET /api/schedules`). */
export interface Instigator {
  name: string;
  type: 'SENSOR' | 'SCHEDULE';
  jobName: string;
  status: 'RUNNING' | 'STOPPED';
  defaultStatus: boolean;
  cursor?: string;
  lastTickAt?: number;
  lastTick?: LastTick;
  minimumIntervalSeconds?: number;
  cron?: string;
  timezone?: string;
}

/** `GET /api/sensors`. */
export interface SensorsAnswer {
  sensors: Instigator[];
}

/** `GET /api/schedules`. */
export interface SchedulesAnswer {
  schedules: Instigator[];
}

/** One tick (`GET /api/{sensors,schedules}/:name/ticks`): `cursor` is the cursor after it. */
export interface Tick {
  id: number;
  instigatorName: string;
  type: 'SENSOR' | 'SCHEDULE';
  timestamp: number;
  status: 'STARTED' | 'SKIPPED' | 'SUCCESS' | 'FAILURE';
  runKeys: string[];
  runIds: string[];
  skipReason?: string;
  error?: string;
  cursor?: string;
  count?: number;
  lastTimestamp?: number;
}

/** `GET …/ticks`. */
export interface TicksAnswer {
  ticks: Tick[];
}

/** A `tick` frame of the live stream. */
export interface TickFrame {
  instigatorName: string;
}
