/**
 * Finding 7 of the reliability issue, on the pipeline's side: the run failure hook of the
 * flight-delay definitions ends the tracking runs a failed pipeline run left RUNNING (KILLED when
 * its process died, FAILED otherwise), leaves other runs alone, and is idempotent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from 'lakeloop';
import { LineageTag, openTracking } from 'lakeloop/tracking';
import type { TrackingStore } from 'lakeloop/tracking';
import { buildDefinitions } from '../../pipelines/flight-delays/definitions.js';
import type { FlightDelayDefinitions } from '../../pipelines/flight-delays/definitions.js';
import { removeHome, tempHome } from './flight-delays-support.js';

describe('flight-delays run failure hook', () => {
  let home: string;
  let built: FlightDelayDefinitions;
  let tracking: TrackingStore;

  beforeEach(() => {
    home = tempHome();
    built = buildDefinitions({ home, env: {} }); // embedded tracking under the home
    tracking = openTracking({ home, env: {} }); // what the hook opens for the run's instance home
  });

  afterEach(async () => {
    await tracking.close();
    removeHome(home);
  });

  it("ends the failed run's RUNNING tracking runs, and only those", async () => {
    const experiment = await tracking.getOrCreateExperiment(built.settings.experimentName);
    const start = (pipelineRunId: string): Promise<string> =>
      tracking
        .createRun({
          experimentId: experiment.experimentId,
          tags: { [LineageTag.PIPELINE_RUN_ID]: pipelineRunId },
        })
        .then((r) => r.info.runId);
    const left = await start('crashed');
    const other = await start('still-running');
    const run = { runId: 'crashed', status: 'FAILURE', tags: {} } as unknown as RunRecord;
    const [hook] = built.defs.runFailureHooks;
    const context = { run, instanceHome: home, resources: built.defs.resources, ownerLost: true };
    await hook?.(context);
    await hook?.(context); // a second call (a retried sweep) changes nothing
    expect((await tracking.getRun(left)).info.status).toBe('KILLED');
    expect((await tracking.getRun(other)).info.status).toBe('RUNNING');
  });
});
