/**
 * The lineage graph of the loop around a model version, a pipeline run or a data commit, in both
 * directions: data commit → sensor tick → pipeline run (steps, checks; re-executions) → training
 * run → model version → gate (the run's check evaluations) → alias moves. Built only from recorded
 * ids (tags, events, ticks, alias history); a link that was not recorded is left out, and a link
 * that names something no store has is reported in `notes`.
 *
 * The answer is nodes and edges, so a UI lays the chain out as a graph (a commit may trigger
 * several runs; a run may register several versions). Node ids are `<kind>:<key>`.
 *
 * @example
 * ```ts
 * const graph = await lineageGraph(sources, { modelVersion: { name: 'flight-delays', version: '3' } });
 * graph.nodes.find((n) => n.kind === 'data_commit')?.data.commitId;
 * ```
 */
import { LakeloopError, isLakeloopError } from '../../errors.js';
import { summarizeSteps } from '../../core/execution/run-summary.js';
import type { StepSummary } from '../../core/execution/run-summary.js';
import { DATA_COMMIT_TAG, DATA_REPOSITORY_TAG } from '../../core/definitions/data-commit.js';
import { ROOT_RUN_TAG } from '../../core/execution/reexecution-plan.js';
import type { RunRecord } from '../../core/events/event-types.js';
import type { TickRecord } from '../../core/storage/storage-types.js';
import { parseStepMover } from '../../tracking/resources/registry-resource.js';
import type { AliasMove, ModelVersion, TrackingRun } from '../../tracking/tracking-types.js';
import { LineageRecords, commitOfLineageTags, commitOfRun, isBlockingFailure } from './lineage-records.js';
import type { CheckEvaluationView, CommitRef, LineageSources } from './lineage-records.js';

/** Where the lineage starts. */
export type LineageSeed =
  | { modelVersion: { name: string; version: string } }
  | { run: string }
  | { commit: { commitId: string; repository?: string } };

/** The kinds of node, in chain order. */
export const LINEAGE_NODE_KINDS = [
  'data_commit',
  'sensor_tick',
  'pipeline_run',
  'training_run',
  'model_version',
  'gate',
  'alias_move',
] as const;
/** One kind of {@link LINEAGE_NODE_KINDS}. */
export type LineageNodeKind = (typeof LINEAGE_NODE_KINDS)[number];

/** The data of each kind of node. */
export interface LineageNodeData {
  data_commit: CommitRef & { message?: string; committer?: string; creationDate?: string };
  sensor_tick: {
    sensor: string;
    tickId: number | null;
    timestamp: number;
    status: string;
    runKeys: string[];
    runIds: string[];
  };
  pipeline_run: {
    runId: string;
    jobName: string;
    status: string;
    parentRunId: string | null;
    createdAt: number;
    endedAt: number | null;
    steps: StepSummary[];
    checks: CheckEvaluationView[];
  };
  training_run: {
    runId: string;
    experimentId: string;
    runName: string;
    status: string;
    metrics: Record<string, number>;
    params: Record<string, string>;
  };
  model_version: {
    name: string;
    version: string;
    aliases: string[];
    runId: string | null;
    creationTimestamp: number;
    status: string;
  };
  /** The checks of one pipeline run: passed unless a blocking ERROR check failed. */
  gate: { runId: string; passed: boolean; checks: string[]; failed: string[] };
  alias_move: {
    name: string;
    alias: string;
    fromVersion: string | null;
    toVersion: string | null;
    timestamp: number;
    reason: string;
    by: string;
  };
}

/** A node of the graph. */
export type LineageNode = {
  [K in LineageNodeKind]: { id: string; kind: K; label: string; data: LineageNodeData[K] };
}[LineageNodeKind];

/** How two nodes are linked (from → to). */
export type LineageRelation =
  | 'evaluated' // commit → the sensor tick that saw it
  | 'launched' // tick → run
  | 'read_by' // commit → run (a run tagged with the commit, not launched by a recorded tick)
  | 'reexecuted_as' // run → its re-execution
  | 'logged' // pipeline run → training run
  | 'registered' // training run (or pipeline run) → model version
  | 'trained_on' // commit → model version (only the version's tags link them)
  | 'checked' // pipeline run → its gate
  | 'evaluated_by' // model version → the gate of the run that registered it
  | 'moved_to' // model version → an alias move to it
  | 'moved_from' // model version → an alias move away from it
  | 'decided'; // gate → the alias move its run made

/** An edge of the graph. */
export interface LineageEdge {
  from: string;
  to: string;
  relation: LineageRelation;
}

/** The answer of {@link lineageGraph}. */
export interface LineageGraph {
  /** The id of the node the request named. */
  focus: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
  /** Links that were recorded but could not be followed (a run deleted, no tracking store…). */
  notes: string[];
}

/** Runs tagged with one commit that lineage follows. */
const MAX_RUNS_PER_COMMIT = 100;

/** Node ids. */
export const lineageNodeId = {
  commit: (c: { repository: string; commitId: string }) => `data_commit:${c.repository}@${c.commitId}`,
  tick: (sensor: string, tick: TickRecord) => `sensor_tick:${sensor}#${tick.id ?? tick.timestamp}`,
  run: (runId: string) => `pipeline_run:${runId}`,
  trainingRun: (runId: string) => `training_run:${runId}`,
  version: (v: { name: string; version: string }) => `model_version:${v.name}/${v.version}`,
  gate: (runId: string) => `gate:${runId}`,
  move: (m: AliasMove) =>
    `alias_move:${m.name}@${m.alias}:${m.timestamp}:${m.fromVersion ?? ''}->${m.toVersion ?? ''}`,
};

/** Builds the lineage graph around `seed` (see the module doc). NOT_FOUND when the seed is unknown. */
export async function lineageGraph(sources: LineageSources, seed: LineageSeed): Promise<LineageGraph> {
  return new LineageBuilder(sources).build(seed);
}

class LineageBuilder {
  readonly #records: LineageRecords;
  readonly #nodes = new Map<string, LineageNode>();
  readonly #edges = new Map<string, LineageEdge>();
  readonly #notes = new Set<string>();
  readonly #visitedRuns = new Set<string>();
  readonly #visitedVersions = new Set<string>();

  constructor(sources: LineageSources) {
    this.#records = new LineageRecords(sources);
    if (sources.tracking === undefined) this.#notes.add('No tracking store: training runs are not shown.');
  }

  async build(seed: LineageSeed): Promise<LineageGraph> {
    let focus: string;
    if ('modelVersion' in seed) {
      const version = await this.#records.sources.registry.getModelVersion(
        seed.modelVersion.name,
        seed.modelVersion.version,
      );
      focus = await this.#version(version);
    } else if ('run' in seed) {
      const run = await this.#records.pipelineRun(seed.run);
      if (run === undefined) {
        throw new LakeloopError('NOT_FOUND', `Unknown run ${seed.run}; list runs with GET /api/runs.`);
      }
      focus = await this.#runFamily(run);
    } else {
      focus = await this.#commitSeed(seed.commit);
    }
    return {
      focus,
      nodes: [...this.#nodes.values()].sort(
        (a, b) => LINEAGE_NODE_KINDS.indexOf(a.kind) - LINEAGE_NODE_KINDS.indexOf(b.kind),
      ),
      edges: [...this.#edges.values()],
      notes: [...this.#notes],
    };
  }

  #node(node: LineageNode): string {
    if (!this.#nodes.has(node.id)) this.#nodes.set(node.id, node);
    return node.id;
  }

  #edge(from: string, to: string, relation: LineageRelation): void {
    this.#edges.set(`${from}|${to}|${relation}`, { from, to, relation });
  }

  async #commitSeed(commit: { commitId: string; repository?: string }): Promise<string> {
    const { instance } = this.#records.sources;
    const runs = await instance.runs.listRuns({
      tags: {
        [DATA_COMMIT_TAG]: commit.commitId,
        ...(commit.repository === undefined ? {} : { [DATA_REPOSITORY_TAG]: commit.repository }),
      },
      limit: MAX_RUNS_PER_COMMIT,
      order: 'OLDEST_FIRST',
    });
    const versions = await this.#records.versionsTrainedOn(commit);
    const repository =
      commit.repository ??
      (runs[0] === undefined ? undefined : commitOfRun(runs[0])?.repository) ??
      (versions[0] === undefined ? undefined : commitOfLineageTags(versions[0].tags)?.repository);
    if (repository === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `No run or model version is recorded for data commit ${commit.commitId}; check the id (and give repository=).`,
      );
    }
    const focus = await this.#commit({ repository, commitId: commit.commitId });
    for (const run of runs) await this.#runFamily(run);
    for (const version of versions) await this.#version(version);
    return focus;
  }

  async #commit(ref: CommitRef): Promise<string> {
    const id = lineageNodeId.commit(ref);
    if (this.#nodes.has(id)) return id;
    const details: Partial<LineageNodeData['data_commit']> = {};
    const data = this.#records.sources.data;
    if (data !== undefined) {
      try {
        const commit = await data.getCommit({ repository: ref.repository, ref: ref.commitId });
        details.message = commit.message;
        details.committer = commit.committer;
        details.creationDate = commit.creationDate.toISOString();
      } catch (error) {
        if (!isLakeloopError(error, 'NOT_FOUND')) throw error;
        this.#notes.add(`Data commit ${ref.commitId} is not in repository ${ref.repository} of this server.`);
      }
    }
    return this.#node({
      id,
      kind: 'data_commit',
      label: `${ref.repository}@${ref.commitId.slice(0, 12)}`,
      data: { ...ref, ...details },
    });
  }

  /** A run with the runs it re-executes and its re-executions; returns the node of `run`. */
  async #runFamily(run: RunRecord): Promise<string> {
    const parents = await this.#records.parentsOf(run);
    const root = parents.at(-1) ?? run;
    const family = await this.#records.sources.instance.runs.listRuns({
      tags: { [ROOT_RUN_TAG]: root.runId },
      limit: MAX_RUNS_PER_COMMIT,
      order: 'OLDEST_FIRST',
    });
    for (const member of [root, ...parents.slice(0, -1).reverse(), run, ...family]) await this.#run(member);
    return lineageNodeId.run(run.runId);
  }

  async #run(run: RunRecord): Promise<string> {
    const id = lineageNodeId.run(run.runId);
    if (this.#visitedRuns.has(run.runId)) return id;
    this.#visitedRuns.add(run.runId);
    const { instance } = this.#records.sources;
    const events = await instance.events.getEvents({ runId: run.runId });
    const checks = await this.#records.checkEvaluations(run.runId);
    this.#node({
      id,
      kind: 'pipeline_run',
      label: `${run.jobName} ${run.runId.slice(0, 8)}`,
      data: {
        runId: run.runId,
        jobName: run.jobName,
        status: run.status,
        parentRunId: run.parentRunId ?? null,
        createdAt: run.createdAt,
        endedAt: run.endedAt ?? null,
        steps: summarizeSteps(run, events),
        checks,
      },
    });

    // Upstream: the run it re-executes, else the tick and the commit.
    if (run.parentRunId !== undefined) {
      const parent = await this.#records.pipelineRun(run.parentRunId);
      if (parent === undefined)
        this.#notes.add(`Run ${run.runId} re-executes run ${run.parentRunId}, which is gone.`);
      else this.#edge(await this.#run(parent), id, 'reexecuted_as');
    } else {
      const commit = commitOfRun(run);
      const tick = await this.#records.tickOf(run);
      const commitId = commit === undefined ? undefined : await this.#commit(commit);
      if (tick !== undefined) {
        const sensor = tick.instigatorName;
        const tickId = this.#node({
          id: lineageNodeId.tick(sensor, tick),
          kind: 'sensor_tick',
          label: `${sensor} tick ${tick.id ?? ''}`.trim(),
          data: {
            sensor,
            tickId: tick.id ?? null,
            timestamp: tick.timestamp,
            status: tick.status,
            runKeys: tick.runKeys,
            runIds: tick.runIds,
          },
        });
        if (commitId !== undefined) this.#edge(commitId, tickId, 'evaluated');
        this.#edge(tickId, id, 'launched');
      } else if (commitId !== undefined) {
        this.#edge(commitId, id, 'read_by');
      }
    }

    // Downstream: the gate, training runs, model versions.
    if (checks.length > 0) {
      const failed = checks.filter(isBlockingFailure).map((c) => `${c.assetKey}:${c.checkName}`);
      this.#edge(
        id,
        this.#node({
          id: lineageNodeId.gate(run.runId),
          kind: 'gate',
          label: failed.length === 0 ? 'checks passed' : `failed: ${failed.join(', ')}`,
          data: {
            runId: run.runId,
            passed: failed.length === 0,
            checks: checks.map((c) => `${c.assetKey}:${c.checkName}`),
            failed,
          },
        }),
        'checked',
      );
    }
    const trainingRuns = await this.#records.trainingRunsOf(run.runId);
    for (const trainingRun of trainingRuns) this.#edge(id, this.#trainingRun(trainingRun), 'logged');
    const versions = await this.#records.versionsOf(
      run.runId,
      trainingRuns.map((t) => t.info.runId),
    );
    for (const version of versions) await this.#version(version);
    return id;
  }

  #trainingRun(run: TrackingRun): string {
    return this.#node({
      id: lineageNodeId.trainingRun(run.info.runId),
      kind: 'training_run',
      label: run.info.runName,
      data: {
        runId: run.info.runId,
        experimentId: run.info.experimentId,
        runName: run.info.runName,
        status: run.info.status,
        metrics: run.metrics,
        params: run.params,
      },
    });
  }

  async #version(version: ModelVersion): Promise<string> {
    const id = lineageNodeId.version(version);
    const key = `${version.name}/${version.version}`;
    if (this.#visitedVersions.has(key)) return id;
    this.#visitedVersions.add(key);
    this.#node({
      id,
      kind: 'model_version',
      label: `${version.name} v${version.version}`,
      data: {
        name: version.name,
        version: version.version,
        aliases: version.aliases,
        runId: version.runId ?? null,
        creationTimestamp: version.creationTimestamp,
        status: version.status,
      },
    });

    // Upstream: training run → pipeline run (→ tick → commit), else the commit of its tags.
    const trainingRun = await this.#records.trainingRun(version.runId);
    if (
      version.runId !== undefined &&
      trainingRun === undefined &&
      this.#records.sources.tracking !== undefined
    ) {
      this.#notes.add(
        `Training run ${version.runId} of ${version.name} v${version.version} is not in the tracking store.`,
      );
    }
    if (trainingRun !== undefined) this.#edge(this.#trainingRun(trainingRun), id, 'registered');
    const pipelineRunId = this.#records.pipelineRunIdOf(version, trainingRun);
    const pipelineRun =
      pipelineRunId === undefined ? undefined : await this.#records.pipelineRun(pipelineRunId);
    if (pipelineRunId !== undefined && pipelineRun === undefined) {
      this.#notes.add(
        `Pipeline run ${pipelineRunId} of ${version.name} v${version.version} is not in the instance.`,
      );
    }
    if (pipelineRun !== undefined) {
      const runId = await this.#runFamily(pipelineRun);
      if (trainingRun === undefined) this.#edge(runId, id, 'registered');
      else this.#edge(runId, lineageNodeId.trainingRun(trainingRun.info.runId), 'logged');
      if (this.#nodes.has(lineageNodeId.gate(pipelineRun.runId))) {
        this.#edge(id, lineageNodeId.gate(pipelineRun.runId), 'evaluated_by');
      }
    } else {
      const commit = this.#records.commitOfVersion(version, trainingRun, undefined);
      if (commit !== undefined) this.#edge(await this.#commit(commit), id, 'trained_on');
    }

    // Downstream: the alias moves to and from it.
    for (const move of await this.#records.movesOf(version)) {
      const moveId = this.#node({
        id: lineageNodeId.move(move),
        kind: 'alias_move',
        label: `${move.alias}: ${move.fromVersion === undefined ? '-' : `v${move.fromVersion}`} → ${move.toVersion === undefined ? '(deleted)' : `v${move.toVersion}`}`,
        data: {
          name: move.name,
          alias: move.alias,
          fromVersion: move.fromVersion ?? null,
          toVersion: move.toVersion ?? null,
          timestamp: move.timestamp,
          reason: move.reason,
          by: move.by,
        },
      });
      this.#edge(id, moveId, move.toVersion === version.version ? 'moved_to' : 'moved_from');
      const mover = parseStepMover(move.by);
      if (
        mover !== undefined &&
        move.toVersion === version.version &&
        this.#nodes.has(lineageNodeId.gate(mover.runId))
      ) {
        this.#edge(lineageNodeId.gate(mover.runId), moveId, 'decided');
      }
    }
    return id;
  }
}
