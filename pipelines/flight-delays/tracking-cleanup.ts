/**
 * The pipeline's run failure hook: ends the tracking runs a failed or canceled pipeline run left
 * RUNNING (found by their lineage tag `lakeloop.pipeline_run_id`) — KILLED when the pipeline run's
 * process died (a SIGKILL leaves them RUNNING: no step finished to end them), FAILED otherwise.
 * The hook opens the tracking store of the run's instance home as the tracking resource would
 * (hooks get no resource setup). Idempotent: a second call finds nothing RUNNING.
 *
 * @example
 * ```ts
 * new Definitions({ assets, resources: { settings }, runFailureHooks: [endTrackingRunsOfFailedRun] });
 * ```
 */
import { isLakeloopError } from 'lakeloop';
import type { RunFailureHook } from 'lakeloop';
import { LineageTag, openTracking } from 'lakeloop/tracking';
import { flightResources } from './flight-resources.js';
import type { PipelineSettings } from './flight-resources.js';

/** Ends the RUNNING tracking runs of the failed pipeline run. */
export const endTrackingRunsOfFailedRun: RunFailureHook = async (ctx) => {
  const settings = (ctx.resources['settings'] as PipelineSettings | undefined) ?? flightResources.settings;
  const uri = settings.trackingUri === undefined ? {} : { uri: settings.trackingUri };
  const tracking = openTracking({ home: ctx.instanceHome, ...uri });
  try {
    let experimentId: string;
    try {
      experimentId = (await tracking.getExperimentByName(settings.experimentName)).experimentId;
    } catch (error) {
      if (isLakeloopError(error, 'NOT_FOUND')) return; // nothing was ever tracked
      throw error;
    }
    const running = await tracking.searchRuns({
      experimentIds: [experimentId],
      tags: { [LineageTag.PIPELINE_RUN_ID]: ctx.run.runId },
      statuses: ['RUNNING'],
    });
    for (const run of running) await tracking.endRun(run.info.runId, ctx.ownerLost ? 'KILLED' : 'FAILED');
  } finally {
    await tracking.close();
  }
};
