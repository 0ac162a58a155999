/**
 * Launch tags: at createRun, every resource of the run's assets (and their checks) that has
 * `launchTags` is asked once for tags to record on the run, e.g. the data resource resolving its
 * branch head, so a run not launched by the data-commit sensor still reads one commit throughout.
 * Tags the run already has win (a sensor's `lakeloop/data_commit` stays).
 *
 * @example
 * ```ts
 * const tags = await resolveLaunchTags(defs, { assetKeys: ['load_data'], instanceHome, runTags });
 * ```
 */
import { describeError, LakeloopError } from '../../errors.js';
import type { Definitions } from '../definitions/definitions.js';
import { isResourceDefinition } from '../definitions/resource-definition.js';
import type { ResourceDefinition } from '../definitions/resource-definition.js';
import { stepResourceEntries } from '../definitions/resources-spec.js';

/** What {@link resolveLaunchTags} needs. */
export interface LaunchTagsOptions {
  readonly assetKeys: readonly string[];
  readonly instanceHome: string;
  /** The tags the run will have. */
  readonly runTags: Readonly<Record<string, string>>;
}

/**
 * The tags to add to a new run (only keys it does not have yet); throws RESOURCE_ERROR naming the
 * resource whose `launchTags` failed, so the run is not created.
 */
export async function resolveLaunchTags(
  defs: Definitions,
  options: LaunchTagsOptions,
): Promise<Record<string, string>> {
  const seen = new Set<ResourceDefinition>();
  const added: Record<string, string> = {};
  for (const key of options.assetKeys) {
    const users = [defs.asset(key), ...defs.checksFor(key)];
    for (const user of users) {
      for (const [name, entry] of Object.entries(stepResourceEntries(defs.resources, user))) {
        if (!isResourceDefinition(entry) || entry.launchTags === undefined || seen.has(entry)) continue;
        seen.add(entry);
        let tags: Record<string, string>;
        try {
          tags = await entry.launchTags({
            instanceHome: options.instanceHome,
            runTags: { ...options.runTags, ...added },
          });
        } catch (error) {
          throw new LakeloopError(
            'RESOURCE_ERROR',
            `Resource "${name}" (used by asset "${key}") could not give its launch tags: ${describeError(error)}. The run was not created.`,
            { cause: error, details: { resource: name } },
          );
        }
        for (const [tag, value] of Object.entries(tags)) {
          if (!(tag in options.runTags) && !(tag in added)) added[tag] = value;
        }
      }
    }
  }
  return added;
}
