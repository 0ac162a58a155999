/**
 * Checking what assets and checks declare as resources, and which resources a step sees: the
 * Definitions' plain values, the named resources it requires, and the ones it declares itself
 * (a resource of the same name in the Definitions replaces the declared one, so a deployment or
 * a test can swap it).
 *
 * @example
 * ```ts
 * const { names, declared } = checkResourcesSpec('Asset "model"', { tracking });
 * const entries = stepResourceEntries(defs.resources, { requiredResources: names, resources: declared });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import { isResourceDefinition } from './resource-definition.js';
import type { ResourcesSpec } from './resource-definition.js';
import type { ConfigSchema } from './run-config.js';

/** A declaration split into names of the Definitions' resources and resources declared in place. */
export interface CheckedResources {
  readonly names: readonly string[];
  readonly declared: Readonly<Record<string, unknown>>;
}

/** Validates a `resources` declaration; throws DEFINITION_ERROR naming `owner`. */
export function checkResourcesSpec(owner: string, spec: ResourcesSpec | undefined): CheckedResources {
  if (spec === undefined) return { names: [], declared: {} };
  if (Array.isArray(spec)) {
    const bad = (spec as readonly unknown[]).find((name) => typeof name !== 'string' || name === '');
    if (bad !== undefined) {
      throw new LakeloopError(
        'DEFINITION_ERROR',
        `${owner}: resources must be names (non-empty strings) or a record of resources; got ${JSON.stringify(bad)}.`,
      );
    }
    return { names: [...(spec as readonly string[])], declared: {} };
  }
  const value: unknown = spec; // JavaScript callers may pass anything
  if (typeof value !== 'object' || value === null) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `${owner}: resources must be a list of names or a record of resources (defineResource) or values.`,
    );
  }
  return { names: [], declared: { ...(spec as Readonly<Record<string, unknown>>) } };
}

/** Validates a `config` schema (a zod schema); throws DEFINITION_ERROR naming `owner`. */
export function checkConfigSchema(owner: string, schema: ConfigSchema | undefined): void {
  if (schema === undefined) return;
  if (typeof (schema as { safeParse?: unknown }).safeParse !== 'function') {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `${owner}: config must be a zod schema, e.g. \`config: z.object({ learningRate: z.number() })\`.`,
    );
  }
}

/**
 * The resources one step sees, by name: the Definitions' plain values (not resource definitions:
 * those are set up only for steps that declare them), the named ones it requires, and its own.
 */
export function stepResourceEntries(
  defsResources: Readonly<Record<string, unknown>>,
  declaring: {
    readonly requiredResources?: readonly string[];
    readonly resources?: Readonly<Record<string, unknown>>;
  },
): Record<string, unknown> {
  const entries: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(defsResources)) {
    if (!isResourceDefinition(value)) entries[name] = value;
  }
  for (const name of declaring.requiredResources ?? []) entries[name] = defsResources[name];
  for (const [name, value] of Object.entries(declaring.resources ?? {})) {
    entries[name] = name in defsResources ? defsResources[name] : value;
  }
  return entries;
}
