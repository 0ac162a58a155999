/**
 * Turns a sensor's or schedule's run request into exactly one QUEUED run, whatever crashes in
 * between: the run key is claimed (with a fresh run id) BEFORE the run is created with that id, so
 * a second evaluation of the same key finds the claim and either skips (the run exists) or creates
 * the missing run with the claimed id (the process died between claim and create).
 *
 * @example
 * ```ts
 * const outcome = await launchRunRequest({ defs, instance, instigatorName: 'new_flights', jobName: 'retrain',
 *   request: { runKey: commitId, tags: { 'lakeloop/data_commit': commitId } } });
 * if (outcome.created) console.log(`queued ${outcome.runId}`);
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { RunRequest } from '../definitions/sensor-definition.js';
import type { Definitions } from '../definitions/definitions.js';
import { createRun } from '../execution/run-launcher.js';
import type { Instance } from '../instance/instance.js';

/** Tag naming the sensor that launched a run. */
export const SENSOR_TAG = 'lakeloop/sensor';
/** Tag naming the schedule that launched a run. */
export const SCHEDULE_TAG = 'lakeloop/schedule';
/** Tag holding the run key a run was launched for. */
export const RUN_KEY_TAG = 'lakeloop/run_key';

/** Options of {@link launchRunRequest}. */
export interface LaunchRunRequestOptions {
  defs: Definitions;
  instance: Instance;
  /** Sensor or schedule name (run keys are unique per instigator). */
  instigatorName: string;
  instigatorType: 'SENSOR' | 'SCHEDULE';
  /** Job used when the request names none. */
  jobName: string;
  request: RunRequest;
  /** Tags of every run of the instigator (the request's tags win). Default none. */
  baseTags?: Readonly<Record<string, string>>;
}

/** What happened to one run request. */
export interface LaunchOutcome {
  runKey: string;
  runId: string;
  /** False when the run key had already launched a run (nothing created). */
  created: boolean;
}

/** Claims the request's run key and creates its QUEUED run (or finds the run launched before). */
export async function launchRunRequest(options: LaunchRunRequestOptions): Promise<LaunchOutcome> {
  const { instance, request, instigatorName } = options;
  if (typeof request.runKey !== 'string' || request.runKey === '') {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `${instigatorName} returned a run request without a run key; give every RunRequest a non-empty runKey.`,
    );
  }
  const schedules = instance.schedules;
  let runId = await schedules.getRunIdForKey(instigatorName, request.runKey);
  if (runId === undefined) {
    const fresh = instance.ids();
    if (await schedules.claimRunKey(instigatorName, request.runKey, fresh)) runId = fresh;
    else runId = await schedules.getRunIdForKey(instigatorName, request.runKey);
    if (runId === undefined) {
      throw new LakeloopError(
        'INTERNAL',
        `Run key ${request.runKey} of ${instigatorName} is claimed but has no run id; the schedule storage is inconsistent.`,
      );
    }
    if (runId !== fresh && (await instance.runs.getRun(runId)) !== undefined) {
      return { runKey: request.runKey, runId, created: false };
    }
  } else if ((await instance.runs.getRun(runId)) !== undefined) {
    return { runKey: request.runKey, runId, created: false };
  }
  const originTag = options.instigatorType === 'SENSOR' ? SENSOR_TAG : SCHEDULE_TAG;
  const tags = {
    ...(options.baseTags ?? {}),
    ...(request.tags ?? {}),
    [originTag]: instigatorName,
    [RUN_KEY_TAG]: request.runKey,
  };
  try {
    const run = await createRun(options.defs, {
      instance,
      runId,
      jobName: request.jobName ?? options.jobName,
      tags,
      status: 'QUEUED',
      ...(request.partition === undefined ? {} : { partition: request.partition }),
      ...(request.config === undefined ? {} : { config: request.config }),
    });
    if (run.runId !== runId) {
      throw new LakeloopError('INTERNAL', 'createRun ignored the claimed run id; update lakeloop.');
    }
  } catch (error) {
    // Another process created the claimed run between our check and our create: not an error.
    if (error instanceof LakeloopError && error.code === 'ALREADY_EXISTS') {
      return { runKey: request.runKey, runId, created: false };
    }
    throw error;
  }
  return { runKey: request.runKey, runId, created: true };
}
