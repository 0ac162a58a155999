/**
 * The pipeline's run failure hook: ends the tracking runs a failed or canceled pipeline run left
 * RUNNING (found by their lineage tag `lakeloop.pipeline_run_id`) — KILLED when the pipeline run's
 * process died, FAILED otherwise. Idempotent: a second call finds nothing RUNNING.
 *
 * @example
 * ```ts
 * new Definitions({ assets, resources, runFailureHooks: [endTrackingRunsOfFailedRun] });
 * ```
 */
import { LakeloopError } from 'lakeloop';
import type { RunFailureHook } from 'lakeloop';
import { LineageTag } from 'lakeloop/tracking';
import { pipelineServices } from './pipeline-resources.js';

/** Ends the RUNNING tracking runs of the failed pipeline run. */
export const endTrackingRunsOfFailedRun: RunFailureHook = async (ctx) => {
  const { tracking, config } = pipelineServices(ctx);
  let experimentId: string;
  try {
    experimentId = (await tracking.getExperimentByName(config.experimentName)).experimentId;
  } catch (error) {
    if (error instanceof LakeloopError && error.code === 'NOT_FOUND') return; // nothing was ever tracked
    throw error;
  }
  const running = await tracking.searchRuns({
    experimentIds: [experimentId],
    tags: { [LineageTag.PIPELINE_RUN_ID]: ctx.run.runId },
    statuses: ['RUNNING'],
  });
  for (const run of running) await tracking.endRun(run.info.runId, ctx.ownerLost ? 'KILLED' : 'FAILED');
};
