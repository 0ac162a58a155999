/**
 * Resources: the clients and services compute functions use (a data repository, a tracking
 * store, a database pool), with a lifecycle. A resource is set up lazily when the first step that
 * declares it runs, once per run (scope `run`) or once per process and instance home (scope
 * `process`), bound to each step (`bind`, e.g. to tag what the step writes), finished when the
 * step's compute returned or threw, and torn down when the run's executor session closes (or at
 * `closeProcessResources()` / process exit). Assets and checks declare the resources they use, and
 * `ctx.resources` is typed from that declaration.
 *
 * @example
 * ```ts
 * const pool = defineResource({
 *   scope: 'process',
 *   setup: ({ instanceHome }) => openPool(`${instanceHome}/cache.db`),
 *   teardown: (p) => p.close(),
 * });
 * const rows = defineAsset({ key: 'rows', resources: { pool }, compute: (ctx) => ctx.resources.pool.query('select 1') });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { StepLogger } from './asset-context.js';
import type { DataCommitRef } from './data-commit.js';

export type { DataCommitRef } from './data-commit.js';

/** What a resource's setup sees. `runId`/`runTags`/`dataCommit` are undefined (empty tags) for scope 'process'. */
export interface ResourceSetupContext {
  readonly instanceHome: string;
  readonly runId: string | undefined;
  readonly runTags: Readonly<Record<string, string>>;
  readonly dataCommit: DataCommitRef | undefined;
}

/** The step a resource value is bound to (see `bind`). */
export interface ResourceStep {
  readonly runId: string;
  readonly runTags: Readonly<Record<string, string>>;
  readonly assetKey: string;
  readonly partition: string | undefined;
  readonly attempt: number;
  readonly dataCommit: DataCommitRef | undefined;
  readonly instanceHome: string;
  readonly log: StepLogger;
  readonly signal: AbortSignal;
}

/** How a step ended, given to a binding's `finish`. */
export type ResourceStepResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** A step's view of a resource; `finish` runs once the step's compute returned or threw. */
export interface ResourceBinding<TStepValue> {
  readonly value: TStepValue;
  finish?(result: ResourceStepResult): void | Promise<void>;
}

/** What `launchTags` sees. */
export interface ResourceLaunchContext {
  readonly instanceHome: string;
  readonly runTags: Readonly<Record<string, string>>;
}

/** A defined resource (see {@link defineResource}). */
export interface ResourceDefinition<TValue = unknown, TStepValue = TValue> {
  readonly kind: 'resource';
  readonly description: string | undefined;
  /** 'run': set up (lazily, on first use) once per run per process, torn down when the run's executor session closes. 'process': once per process and instance home, torn down at `closeProcessResources()` / process exit. */
  readonly scope: 'run' | 'process';
  setup(ctx: ResourceSetupContext): TValue | Promise<TValue>;
  teardown?(value: TValue): void | Promise<void>;
  /** What one step sees (default: the value itself). */
  bind?(value: TValue, step: ResourceStep): ResourceBinding<TStepValue>;
  /** Tags to record on a run when it is created (e.g. the data commit the data resource reads, resolved once at launch). Called only for resources of the run's assets. */
  launchTags?(ctx: ResourceLaunchContext): Promise<Record<string, string>>;
}

/** What {@link defineResource} takes. */
export interface ResourceSpec<TValue, TStepValue> {
  description?: string;
  /** Default 'run'. */
  scope?: 'run' | 'process';
  setup: ResourceDefinition<TValue, TStepValue>['setup'];
  teardown?: (value: TValue) => void | Promise<void>;
  bind?: (value: TValue, step: ResourceStep) => ResourceBinding<TStepValue>;
  launchTags?: (ctx: ResourceLaunchContext) => Promise<Record<string, string>>;
}

/**
 * Defines a resource. Throws DEFINITION_ERROR when `setup` is missing or the scope is unknown.
 *
 * @example
 * ```ts
 * const clock = defineResource({ setup: () => ({ now: () => Date.now() }) });
 * const stamped = defineResource({
 *   setup: () => new Journal(),
 *   bind: (journal, step) => ({ value: journal.forStep(step.assetKey), finish: (r) => journal.end(r.ok) }),
 * });
 * ```
 */
export function defineResource<TValue, TStepValue = TValue>(
  spec: ResourceSpec<TValue, TStepValue>,
): ResourceDefinition<TValue, TStepValue> {
  if (typeof spec.setup !== 'function') {
    throw new LakeloopError('DEFINITION_ERROR', 'defineResource needs a `setup` function.');
  }
  const scope: string = spec.scope ?? 'run'; // checked at run time too: JavaScript callers
  if (scope !== 'run' && scope !== 'process') {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Unknown resource scope ${JSON.stringify(scope)}: use 'run' or 'process'.`,
    );
  }
  const resource: ResourceDefinition<TValue, TStepValue> = {
    kind: 'resource',
    description: spec.description,
    scope,
    setup: spec.setup,
  };
  return Object.assign(
    resource,
    spec.teardown === undefined ? {} : { teardown: spec.teardown },
    spec.bind === undefined ? {} : { bind: spec.bind },
    spec.launchTags === undefined ? {} : { launchTags: spec.launchTags },
  );
}

/** True when `value` was made by {@link defineResource}. */
export function isResourceDefinition(value: unknown): value is ResourceDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'resource' &&
    typeof (value as { setup?: unknown }).setup === 'function'
  );
}

/**
 * How an asset or check declares its resources: names of resources given in the Definitions
 * (typed `unknown`), or a record of resource definitions and plain values.
 */
export type ResourcesSpec = readonly string[] | Readonly<Record<string, unknown>>;

/** What a step sees of one declared resource: a definition's step value, or the plain value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any setup value
export type ResourceValue<T> = T extends ResourceDefinition<any, infer S> ? S : T;

/** The type of `ctx.resources` for a {@link ResourcesSpec}. */
export type ResourceValues<TSpec> = TSpec extends readonly string[]
  ? Readonly<Record<string, unknown>>
  : { readonly [K in keyof TSpec]: ResourceValue<TSpec[K]> };
