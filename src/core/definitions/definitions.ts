/**
 * `Definitions`: everything a code location defines (assets, checks, jobs, sensors, schedules,
 * resources), validated as a whole when constructed: duplicate keys, missing dependencies,
 * cycles, checks on unknown assets, job selections, incompatible partitions and missing
 * resources are rejected with an error naming what is wrong.
 *
 * @example
 * ```ts
 * export const defs = new Definitions({
 *   assets: [raw, features, model],
 *   checks: [notEmpty],
 *   jobs: [defineJob({ name: 'retrain', select: 'features+' })],
 *   resources: { repo },
 * });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { AssetDefinition } from './asset-definition.js';
import { AssetGraph } from './asset-graph.js';
import { resolveSelection } from './asset-selection.js';
import type { CheckDefinition } from './check-definition.js';
import type { JobDefinition } from './job-definition.js';
import { isResourceDefinition } from './resource-definition.js';
import type { RunFailureHook } from './run-failure-hook.js';

/** Anything with a name: sensors (see the automation area's defineSensor). */
export interface SensorLike {
  readonly name: string;
}

/** Anything with a name: schedules (see the automation area's defineSchedule). */
export interface ScheduleLike {
  readonly name: string;
}

/** What `new Definitions(...)` takes; every list defaults to empty. */
export interface DefinitionsSpec {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any value type and partitioning
  assets?: readonly AssetDefinition<string, any>[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checks of any value type
  checks?: readonly CheckDefinition<any>[];
  jobs?: readonly JobDefinition[];
  sensors?: readonly SensorLike[];
  schedules?: readonly ScheduleLike[];
  /**
   * Named resources: resource definitions (defineResource) or plain values. Assets and checks name
   * them in `resources: ['name']`; one given here also replaces an asset's own resource of that name.
   */
  resources?: Readonly<Record<string, unknown>>;
  /** Run after every run that did not succeed (see run-failure-hook.ts). */
  runFailureHooks?: readonly RunFailureHook[];
}

const DEFINITIONS_BRAND = Symbol.for('lakeloop.Definitions');

/** A validated set of definitions. */
export class Definitions {
  readonly [DEFINITIONS_BRAND] = true;
  readonly graph: AssetGraph;
  readonly assets: readonly AssetDefinition[];
  readonly checks: readonly CheckDefinition[];
  readonly jobs: readonly JobDefinition[];
  readonly sensors: readonly SensorLike[];
  readonly schedules: readonly ScheduleLike[];
  readonly resources: Readonly<Record<string, unknown>>;
  readonly runFailureHooks: readonly RunFailureHook[];
  readonly #checksByAsset = new Map<string, CheckDefinition[]>();

  /** Validates and builds; throws DEFINITION_ERROR naming the keys at fault. */
  constructor(spec: DefinitionsSpec) {
    this.assets = [...(spec.assets ?? [])] as AssetDefinition[];
    this.checks = [...(spec.checks ?? [])] as CheckDefinition[];
    this.jobs = [...(spec.jobs ?? [])];
    this.sensors = [...(spec.sensors ?? [])];
    this.schedules = [...(spec.schedules ?? [])];
    this.resources = { ...(spec.resources ?? {}) };
    this.runFailureHooks = [...(spec.runFailureHooks ?? [])];
    this.graph = new AssetGraph(this.assets);
    this.#validatePartitions();
    this.#validateResources();
    this.#validateChecks();
    this.#validateJobs();
    unique(
      'sensor',
      this.sensors.map((s) => s.name),
    );
    unique(
      'schedule',
      this.schedules.map((s) => s.name),
    );
  }

  #validatePartitions(): void {
    for (const asset of this.assets) {
      for (const dep of asset.deps) {
        const up = this.graph.get(dep).partitions;
        if (up !== undefined && asset.partitions !== undefined && up.id !== asset.partitions.id) {
          throw new LakeloopError(
            'DEFINITION_ERROR',
            `Assets "${dep}" (${up.id}) and "${asset.key}" (${asset.partitions.id}) are partitioned differently; ` +
              'a partitioned asset may only depend on assets with the same partitions or none.',
            { details: { keys: [dep, asset.key] } },
          );
        }
      }
    }
  }

  #validateResources(): void {
    const users = [
      ...this.assets.map((a) => ({ owner: `Asset "${a.key}"`, key: a.key, uses: a })),
      ...this.checks.map((c) => ({
        owner: `Check "${c.name}" on asset "${c.assetKey}"`,
        key: c.assetKey,
        uses: c,
      })),
    ];
    for (const { owner, key, uses } of users) {
      // Older definitions (another copy of lakeloop) may lack the lists: treat them as empty.
      const required = (uses as { requiredResources?: readonly string[] }).requiredResources ?? [];
      const missing = required.filter((name) => !(name in this.resources));
      if (missing.length > 0) {
        throw new LakeloopError(
          'DEFINITION_ERROR',
          `${owner} needs resources ${missing.join(', ')}, which the Definitions do not provide ` +
            `(resources: ${Object.keys(this.resources).join(', ') || 'none'}).`,
          { details: { key, missing } },
        );
      }
    }
    for (const [name, value] of Object.entries(this.resources)) {
      if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'resource') {
        if (!isResourceDefinition(value)) {
          throw new LakeloopError(
            'DEFINITION_ERROR',
            `Resource "${name}" looks like a resource definition but has no setup function; build it with defineResource.`,
            { details: { resource: name } },
          );
        }
      }
    }
  }

  #validateChecks(): void {
    for (const check of this.checks) {
      if (!this.graph.has(check.assetKey)) {
        throw new LakeloopError(
          'DEFINITION_ERROR',
          `Check "${check.name}" is on unknown asset "${check.assetKey}"; known assets: ${this.graph.keys.join(', ')}.`,
          { details: { check: check.name, key: check.assetKey } },
        );
      }
      const list = this.#checksByAsset.get(check.assetKey) ?? [];
      if (list.some((c) => c.name === check.name)) {
        throw new LakeloopError(
          'DEFINITION_ERROR',
          `Duplicate check "${check.name}" on asset "${check.assetKey}".`,
        );
      }
      list.push(check);
      this.#checksByAsset.set(check.assetKey, list);
    }
  }

  #validateJobs(): void {
    unique(
      'job',
      this.jobs.map((j) => j.name),
    );
    for (const job of this.jobs) {
      if (
        job.config !== undefined &&
        this.graph.has(job.name) &&
        this.graph.get(job.name).config !== undefined
      ) {
        throw new LakeloopError(
          'DEFINITION_ERROR',
          `Job "${job.name}" and asset "${job.name}" both declare a config schema; their run config sections ` +
            'would share one name. Rename the job.',
          { details: { job: job.name } },
        );
      }
      try {
        resolveSelection(this.graph, job.select);
      } catch (cause) {
        throw new LakeloopError(
          'DEFINITION_ERROR',
          `Job "${job.name}" has an invalid selection: ${(cause as Error).message}`,
          {
            cause,
          },
        );
      }
    }
  }

  /** The asset with this key; throws NOT_FOUND listing the keys. */
  asset(key: string): AssetDefinition {
    return this.graph.get(key);
  }

  /** The checks on an asset. */
  checksFor(key: string): readonly CheckDefinition[] {
    return this.#checksByAsset.get(key) ?? [];
  }

  /** The job with this name; throws NOT_FOUND listing the jobs. */
  job(name: string): JobDefinition {
    const job = this.jobs.find((j) => j.name === name);
    if (job === undefined) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Unknown job "${name}"; jobs: ${this.jobs.map((j) => j.name).join(', ') || 'none'}.`,
        { details: { job: name } },
      );
    }
    return job;
  }

  /** Resolves a selection string to asset keys in topological order. */
  select(selection: string): string[] {
    return resolveSelection(this.graph, selection);
  }
}

function unique(what: string, names: readonly string[]): void {
  const dup = names.filter((n, i) => names.indexOf(n) !== i);
  if (dup.length > 0) {
    throw new LakeloopError('DEFINITION_ERROR', `Duplicate ${what} names: ${[...new Set(dup)].join(', ')}.`);
  }
}

/** True when `value` is a {@link Definitions} (also one built by another copy of lakeloop). */
export function isDefinitions(value: unknown): value is Definitions {
  return (
    value instanceof Definitions ||
    (typeof value === 'object' && value !== null && DEFINITIONS_BRAND in value)
  );
}
