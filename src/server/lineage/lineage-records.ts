/**
 * Reading the ids lakeloop records along the loop, for lineage and "why": the lineage tags of model
 * versions and training runs, the data-commit and sensor tags of pipeline runs, the sensor ticks
 * that launched runs, the check evaluations and code versions in a run's events, and the alias
 * moves of a version. Generic: nothing here knows a pipeline; a link that was not recorded is
 * simply absent (undefined), never guessed.
 *
 * @example
 * ```ts
 * const records = new LineageRecords({ defs, instance, registry, tracking });
 * const run = await records.trainingRun(version.runId); // undefined when missing
 * const checks = await records.checkEvaluations(pipelineRunId);
 * ```
 */
import { isLakeloopError } from '../../errors.js';
import { dataCommitFromTags } from '../../core/definitions/data-commit.js';
import type { Definitions } from '../../core/definitions/definitions.js';
import { SENSOR_TAG } from '../../core/daemon/run-request-launch.js';
import type { RunRecord } from '../../core/events/event-types.js';
import type { Instance } from '../../core/instance/instance.js';
import type { TickRecord } from '../../core/storage/storage-types.js';
import type { ModelRegistry } from '../../tracking/model-registry.js';
import type { TrackingStore } from '../../tracking/tracking-store.js';
import { LineageTag } from '../../tracking/tracking-types.js';
import type { AliasMove, ModelVersion, TrackingRun } from '../../tracking/tracking-types.js';
import type { DataRepository } from '../../versioning/data-repository.js';

/** How far re-executions are followed up to their first run. */
const MAX_PARENT_DEPTH = 20;
/** Versions read per lookup (by a pipeline run, a training run or a data commit). */
const MAX_VERSIONS_FOUND = 1000;

/** The parts of the loop lineage reads (the registry is required; the others fill in more links). */
export interface LineageSources {
  defs: Definitions;
  instance: Instance;
  registry: ModelRegistry;
  tracking?: TrackingStore | undefined;
  data?: DataRepository | undefined;
}

/** A data commit of a repository. */
export interface CommitRef {
  repository: string;
  commitId: string;
  branch?: string;
}

/** One check evaluation of a pipeline run, with the rule it checks (the check's definition). */
export interface CheckEvaluationView {
  assetKey: string;
  checkName: string;
  partition?: string;
  passed: boolean;
  blocking: boolean;
  severity: 'ERROR' | 'WARN';
  /** What the definition says the check checks; null when the definitions do not have it any more. */
  rule: string | null;
  /** What the evaluation said (its result's description), with the numbers; null when none. */
  description: string | null;
  /** The evaluation's metadata (thresholds, tolerances, compared values), without `description`. */
  metadata: Record<string, unknown>;
  /** Epoch ms of the evaluation. */
  timestamp: number;
  /** The event id, to find it in `GET /api/runs/:id/events`. */
  eventId: number;
}

/** True when a failed evaluation stops its step (and so the promotion downstream). */
export function isBlockingFailure(
  check: Pick<CheckEvaluationView, 'passed' | 'blocking' | 'severity'>,
): boolean {
  return !check.passed && check.blocking && check.severity === 'ERROR';
}

/** The commit named by lineage tags (`lakeloop.data_commit` and `lakeloop.data_repository`). */
export function commitOfLineageTags(tags: Readonly<Record<string, string>>): CommitRef | undefined {
  const commitId = tags[LineageTag.DATA_COMMIT];
  const repository = tags[LineageTag.DATA_REPOSITORY];
  if (commitId === undefined || commitId === '' || repository === undefined || repository === '')
    return undefined;
  const branch = tags[LineageTag.DATA_BRANCH];
  return { repository, commitId, ...(branch === undefined || branch === '' ? {} : { branch }) };
}

/** The commit a pipeline run was for (its `lakeloop/data_*` tags). */
export function commitOfRun(run: RunRecord): CommitRef | undefined {
  const ref = dataCommitFromTags(run.tags);
  if (ref === undefined) return undefined;
  return {
    repository: ref.repository,
    commitId: ref.commitId,
    ...(ref.branch === undefined ? {} : { branch: ref.branch }),
  };
}

/** Reads the recorded links of one request (caches what several links share). */
export class LineageRecords {
  readonly sources: LineageSources;
  readonly #runs = new Map<string, Promise<RunRecord | undefined>>();

  constructor(sources: LineageSources) {
    this.sources = sources;
  }

  /** A pipeline run, or undefined when the instance does not have it. */
  pipelineRun(runId: string): Promise<RunRecord | undefined> {
    let run = this.#runs.get(runId);
    if (run === undefined) {
      run = this.sources.instance.runs.getRun(runId);
      this.#runs.set(runId, run);
    }
    return run;
  }

  /** A training run, or undefined when there is no tracking store or it does not have the run. */
  async trainingRun(runId: string | undefined): Promise<TrackingRun | undefined> {
    if (runId === undefined || this.sources.tracking === undefined) return undefined;
    try {
      return await this.sources.tracking.getRun(runId);
    } catch (error) {
      if (isLakeloopError(error, 'NOT_FOUND')) return undefined;
      throw error;
    }
  }

  /** The pipeline run that registered a version: its tag, else its training run's. */
  pipelineRunIdOf(version: ModelVersion, trainingRun: TrackingRun | undefined): string | undefined {
    return version.tags[LineageTag.PIPELINE_RUN_ID] ?? trainingRun?.tags[LineageTag.PIPELINE_RUN_ID];
  }

  /** The data commit a version was trained on: its tags, else its training run's, else its pipeline run's. */
  commitOfVersion(
    version: ModelVersion,
    trainingRun: TrackingRun | undefined,
    pipelineRun: RunRecord | undefined,
  ): CommitRef | undefined {
    return (
      commitOfLineageTags(version.tags) ??
      (trainingRun === undefined ? undefined : commitOfLineageTags(trainingRun.tags)) ??
      (pipelineRun === undefined ? undefined : commitOfRun(pipelineRun))
    );
  }

  /** The runs a run re-executes, nearest first (empty for a first run). */
  async parentsOf(run: RunRecord): Promise<RunRecord[]> {
    const parents: RunRecord[] = [];
    let current = run;
    while (current.parentRunId !== undefined && parents.length < MAX_PARENT_DEPTH) {
      const parent = await this.pipelineRun(current.parentRunId);
      if (parent === undefined) break;
      parents.push(parent);
      current = parent;
    }
    return parents;
  }

  /** The sensor tick that launched `run` (from its `lakeloop/sensor` tag), or undefined. */
  async tickOf(run: RunRecord): Promise<TickRecord | undefined> {
    const sensor = run.tags[SENSOR_TAG];
    if (sensor === undefined) return undefined;
    return this.sources.instance.schedules.getTickByRunId(run.runId, { instigatorName: sensor });
  }

  /** The check evaluations of a pipeline run, in the order they happened. */
  async checkEvaluations(runId: string): Promise<CheckEvaluationView[]> {
    const events = await this.sources.instance.events.getEvents({
      runId,
      types: ['ASSET_CHECK_EVALUATION'],
    });
    return events.flatMap((event) => {
      const check = event.checkEvaluation;
      if (check === undefined) return [];
      const { description, ...metadata } = check.metadata ?? {};
      const definition = this.#checkDefinition(check.assetKey, check.checkName);
      return [
        {
          assetKey: check.assetKey,
          checkName: check.checkName,
          ...(check.partition === undefined ? {} : { partition: check.partition }),
          passed: check.passed,
          blocking: check.blocking,
          severity: check.severity,
          rule: definition?.description ?? null,
          description: typeof description === 'string' ? description : null,
          metadata,
          timestamp: event.timestamp,
          eventId: event.id,
        },
      ];
    });
  }

  /**
   * The code version of each asset a run materialized (from its materialization events), with
   * those of the runs it re-executes for the assets it did not run again.
   */
  async codeVersions(run: RunRecord): Promise<Record<string, string>> {
    const versions: Record<string, string> = {};
    for (const each of [run, ...(await this.parentsOf(run))]) {
      const events = await this.sources.instance.events.getEvents({
        runId: each.runId,
        types: ['ASSET_MATERIALIZATION'],
      });
      for (const event of events) {
        const materialization = event.materialization;
        if (materialization?.codeVersion === undefined) continue;
        versions[materialization.assetKey] ??= materialization.codeVersion;
      }
    }
    return versions;
  }

  /** Training runs a pipeline run logged (tagged `lakeloop.pipeline_run_id`); empty without tracking. */
  async trainingRunsOf(runId: string): Promise<TrackingRun[]> {
    const tracking = this.sources.tracking;
    if (tracking === undefined) return [];
    const experiments = await tracking.listExperiments();
    if (experiments.length === 0) return [];
    return tracking.searchRuns({
      experimentIds: experiments.map((e) => e.experimentId),
      tags: { [LineageTag.PIPELINE_RUN_ID]: runId },
    });
  }

  /**
   * The versions registered by a pipeline run (tagged with it) or from one of `trainingRunIds`,
   * looked up by tag and by run in the registry.
   */
  async versionsOf(runId: string, trainingRunIds: readonly string[]): Promise<ModelVersion[]> {
    const { registry } = this.sources;
    const lists = await Promise.all([
      registry.findModelVersions({
        tag: { key: LineageTag.PIPELINE_RUN_ID, value: runId },
        maxResults: MAX_VERSIONS_FOUND,
      }),
      ...trainingRunIds.map((id) =>
        registry.findModelVersions({ runId: id, maxResults: MAX_VERSIONS_FOUND }),
      ),
    ]);
    const found = new Map<string, ModelVersion>();
    for (const version of lists.flat()) found.set(`${version.name}/${version.version}`, version);
    return [...found.values()];
  }

  /** Versions tagged as trained on a data commit (lineage tags), for versions without a pipeline run. */
  async versionsTrainedOn(commit: { repository?: string; commitId: string }): Promise<ModelVersion[]> {
    const versions = await this.sources.registry.findModelVersions({
      tag: { key: LineageTag.DATA_COMMIT, value: commit.commitId },
      maxResults: MAX_VERSIONS_FOUND,
    });
    return versions.filter(
      (v) => commit.repository === undefined || v.tags[LineageTag.DATA_REPOSITORY] === commit.repository,
    );
  }

  /** The recorded moves to or from a version, oldest first. */
  async movesOf(version: Pick<ModelVersion, 'name' | 'version'>, alias?: string): Promise<AliasMove[]> {
    const history = await this.sources.registry.aliasHistory(version.name, {
      version: version.version,
      ...(alias === undefined ? {} : { alias }),
    });
    return history.reverse();
  }

  #checkDefinition(assetKey: string, checkName: string) {
    return this.sources.defs.checksFor(assetKey).find((check) => check.name === checkName);
  }
}
