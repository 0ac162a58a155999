/**
 * Automation: sensors (incl. the data-commit sensor), schedules, the run queue and the daemon
 * that runs them, and the controls the CLI and the REST API share.
 *
 * @example
 * ```ts
 * import { Daemon, dataCommitSensor, defineSchedule } from 'lakeloop';
 * await using daemon = await new Daemon({ defs, instance }).start();
 * ```
 */
export * from '../definitions/sensor-definition.js';
export * from '../definitions/schedule-definition.js';
export * from './daemon.js';
export * from './data-commit-sensor.js';
export * from './instigator-control.js';
export * from './run-queue.js';
export * from './run-request-launch.js';
export * from './schedule-loop.js';
export * from './sensor-loop.js';
