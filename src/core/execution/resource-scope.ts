/**
 * Where resources live while steps run: run-scoped ones in a {@link RunResources} (one per run
 * per process, owned by the executor session: set up lazily on first use, torn down in reverse
 * order when the session closes), process-scoped ones in a registry per process and instance home
 * (torn down by {@link closeProcessResources}, or when the process is about to exit). Each step
 * gets its own binding of each resource; `finish` is called once the step's compute is over.
 *
 * @example
 * ```ts
 * const resources = new RunResources({ runId, instanceHome });
 * const bound = await resources.bind({ repo }, step, 'Asset "load_data"');
 * try { await compute(bound.values); await bound.finish({ ok: true }); } finally { await resources.close(); }
 * ```
 */
import { describeError, LakeloopError } from '../../errors.js';
import type { LogLevel } from '../definitions/asset-context.js';
import { dataCommitFromTags } from '../definitions/data-commit.js';
import { isResourceDefinition } from '../definitions/resource-definition.js';
import type {
  ResourceBinding,
  ResourceDefinition,
  ResourceSetupContext,
  ResourceStep,
  ResourceStepResult,
} from '../definitions/resource-definition.js';

/** A resource value that was set up, with how to tear it down. */
interface SetUp {
  readonly resource: ResourceDefinition;
  readonly value: Promise<unknown>;
}

/** Where teardown failures go: a run's LOG events, or stderr. */
export type ResourceLog = (level: LogLevel, message: string) => void;

const stderrLog: ResourceLog = (level, message) => {
  process.stderr.write(`lakeloop ${level}: ${message}\n`);
};

/** Always a promise (a setup that throws synchronously becomes a rejection). */
function setUp(resource: ResourceDefinition, ctx: ResourceSetupContext): Promise<unknown> {
  return Promise.resolve().then(() => resource.setup(ctx));
}

async function tearDown(entries: readonly SetUp[], log: ResourceLog, where: string): Promise<void> {
  for (const entry of [...entries].reverse()) {
    let value: unknown;
    try {
      value = await entry.value;
    } catch {
      continue; // its setup failed: nothing to tear down
    }
    if (entry.resource.teardown === undefined) continue;
    try {
      await entry.resource.teardown(value);
    } catch (error) {
      // Logged, never thrown: the run's result stands whatever a teardown does.
      log('WARN', `A resource's teardown failed (${where}): ${describeError(error)}`);
    }
  }
}

/** Process-scoped resources, by instance home, in setup order. */
const processResources = new Map<string, Map<ResourceDefinition, SetUp>>();
let exitHookInstalled = false;

function processEntry(resource: ResourceDefinition, instanceHome: string): SetUp {
  let byResource = processResources.get(instanceHome);
  if (byResource === undefined) {
    byResource = new Map();
    processResources.set(instanceHome, byResource);
  }
  const existing = byResource.get(resource);
  if (existing !== undefined) return existing;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // `beforeExit` comes when nothing else is left to do: tear down then (idempotent).
    process.on('beforeExit', () => {
      void closeProcessResources();
    });
  }
  const entry: SetUp = {
    resource,
    value: setUp(resource, { instanceHome, runId: undefined, runTags: {}, dataCommit: undefined }),
  };
  byResource.set(resource, entry);
  const map = byResource;
  // A failed setup is not kept: the next step (or retry) tries again.
  entry.value.catch(() => {
    if (map.get(resource) === entry) map.delete(resource);
  });
  return entry;
}

/**
 * Tears down every process-scoped resource (of one instance home, or all), in reverse setup
 * order. Teardown failures are written to stderr, never thrown.
 *
 * @example
 * ```ts
 * await materialize(defs, { select: '*', instance });
 * await closeProcessResources(); // e.g. before a long-lived host process reloads its definitions
 * ```
 */
export async function closeProcessResources(instanceHome?: string): Promise<void> {
  const homes = instanceHome === undefined ? [...processResources.keys()] : [instanceHome];
  for (const home of homes) {
    const entries = [...(processResources.get(home)?.values() ?? [])];
    processResources.delete(home);
    await tearDown(entries, stderrLog, `process resources of ${home}`);
  }
}

/** The resources one step sees, bound to it. */
export interface BoundResources {
  readonly values: Record<string, unknown>;
  /** Calls every binding's `finish`; throws RESOURCE_ERROR when one threw (after calling all). */
  finish(result: ResourceStepResult): Promise<void>;
}

/** The step a binding is for, without what {@link RunResources} adds. */
export type StepBindingInfo = Omit<ResourceStep, 'dataCommit' | 'instanceHome'>;

/** Options of {@link RunResources}. */
export interface RunResourcesOptions {
  readonly runId: string;
  readonly instanceHome: string;
  /** Where teardown failures go. Default: stderr. */
  readonly log?: ResourceLog;
}

/** The run-scoped resources of one run in this process (see the module comment). */
export class RunResources {
  readonly #options: RunResourcesOptions;
  readonly #setUp = new Map<ResourceDefinition, SetUp>();
  #closed = false;

  constructor(options: RunResourcesOptions) {
    this.#options = options;
  }

  /** Sets up (when not yet) and binds the resource definitions among `entries` to one step; `owner` names the step in errors. */
  async bind(
    entries: Readonly<Record<string, unknown>>,
    step: StepBindingInfo,
    owner: string,
  ): Promise<BoundResources> {
    const dataCommit = dataCommitFromTags(step.runTags);
    const full: ResourceStep = { ...step, dataCommit, instanceHome: this.#options.instanceHome };
    const values: Record<string, unknown> = {};
    const bindings: { name: string; binding: ResourceBinding<unknown> }[] = [];
    for (const [name, entry] of Object.entries(entries)) {
      if (!isResourceDefinition(entry)) {
        values[name] = entry;
        continue;
      }
      let value: unknown;
      try {
        value = await this.#entry(entry, step.runTags).value;
      } catch (error) {
        throw new LakeloopError(
          'RESOURCE_ERROR',
          `Resource "${name}" of ${owner} could not be set up: ${describeError(error)}. Fix the resource (or what it connects to) and re-execute the run.`,
          { cause: error, details: { resource: name } },
        );
      }
      if (entry.bind === undefined) {
        values[name] = value;
        continue;
      }
      try {
        const binding = entry.bind(value, full);
        values[name] = binding.value;
        bindings.push({ name, binding });
      } catch (error) {
        await finishAll(bindings, { ok: false, error }).catch(() => undefined);
        throw new LakeloopError(
          'RESOURCE_ERROR',
          `Resource "${name}" of ${owner} could not be bound to the step: ${describeError(error)}.`,
          { cause: error, details: { resource: name } },
        );
      }
    }
    return { values, finish: (result) => finishAll(bindings, result, owner) };
  }

  /** Tears down the run-scoped resources set up so far (reverse order); failures are logged. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const entries = [...this.#setUp.values()];
    this.#setUp.clear();
    await tearDown(entries, this.#options.log ?? stderrLog, `run ${this.#options.runId}`);
  }

  #entry(resource: ResourceDefinition, runTags: Readonly<Record<string, string>>): SetUp {
    if (resource.scope === 'process') return processEntry(resource, this.#options.instanceHome);
    const existing = this.#setUp.get(resource);
    if (existing !== undefined) return existing;
    if (this.#closed) {
      throw new LakeloopError(
        'INTERNAL',
        `The resources of run ${this.#options.runId} were already torn down.`,
      );
    }
    const entry: SetUp = {
      resource,
      value: setUp(resource, {
        instanceHome: this.#options.instanceHome,
        runId: this.#options.runId,
        runTags,
        dataCommit: dataCommitFromTags(runTags),
      }),
    };
    this.#setUp.set(resource, entry);
    entry.value.catch(() => {
      if (this.#setUp.get(resource) === entry) this.#setUp.delete(resource); // a retry sets it up again
    });
    return entry;
  }
}

async function finishAll(
  bindings: readonly { name: string; binding: ResourceBinding<unknown> }[],
  result: ResourceStepResult,
  owner = 'the step',
): Promise<void> {
  const failed: string[] = [];
  let cause: unknown;
  for (const { name, binding } of bindings) {
    if (binding.finish === undefined) continue;
    try {
      await binding.finish(result);
    } catch (error) {
      failed.push(`"${name}": ${describeError(error)}`);
      cause ??= error;
    }
  }
  if (failed.length > 0) {
    throw new LakeloopError('RESOURCE_ERROR', `Finishing resource ${failed.join('; ')} of ${owner} failed.`, {
      cause,
    });
  }
}
