/**
 * Automation: sensors (the data-commit sensor is in lakeloop/data), schedules, the run queue and the daemon
 * that runs them, and the controls the CLI and the REST API share.
 *
 * @example
 * ```ts
 * import { Daemon, defineSchedule } from 'lakeloop';
 * await using daemon = await new Daemon({ defs, instance }).start();
 * ```
 */
export * from '../definitions/sensor-definition.js';
export * from '../definitions/schedule-definition.js';
export * from './daemon.js';
// The run tags naming a run's data commit (set by lakeloop/data's dataCommitSensor, read by any run).
export { DATA_BRANCH_TAG, DATA_COMMIT_TAG, DATA_REPOSITORY_TAG } from '../definitions/data-commit.js';
export * from './instigator-control.js';
export * from './run-queue.js';
export * from './run-request-launch.js';
export * from './schedule-loop.js';
export * from './sensor-loop.js';
