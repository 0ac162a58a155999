/**
 * Rolling an alias back: moving it to the version it pointed at before its last recorded move
 * (or, with `toVersion`, to any version it pointed at before), recorded in the alias history like
 * every other move. Shared by `lakeloop models rollback` and `POST /api/models/:name/aliases/:alias/rollback`.
 *
 * @example
 * ```ts
 * const move = await rollbackAlias({ registry, name: 'flight-delays', alias: 'champion', by: 'ann', reason: 'v7 drifts' });
 * // { fromVersion: '7', toVersion: '6', … }
 * ```
 */
import { LakeloopError } from '../errors.js';
import type { ModelRegistry } from './model-registry.js';
import type { AliasMove } from './tracking-types.js';

/** How many past moves a rollback looks through to accept a `toVersion`. */
const ROLLBACK_HISTORY_DEPTH = 1000;

/** Options of {@link rollbackAlias}. */
export interface RollbackAliasOptions {
  registry: ModelRegistry;
  /** The registered model. */
  name: string;
  alias: string;
  /** Who rolls back (recorded as the move's `by`). */
  by: string;
  /** Why (recorded). Default: says which move it undoes. */
  reason?: string;
  /**
   * The version to go back to; it must be one the alias pointed at before. Default: the version
   * it pointed at before its last move.
   */
  toVersion?: string;
}

/** What a rollback did. */
export interface RollbackResult {
  name: string;
  alias: string;
  /** The version the alias pointed at before the rollback (undefined: it had been deleted). */
  fromVersion: string | undefined;
  toVersion: string;
  reason: string;
  by: string;
  /** The move the rollback undid (the alias's last move before it). */
  undid: AliasMove;
}

/**
 * Moves `name@alias` back (see the module doc). CONFLICT when the alias has no recorded move, when
 * its last move created it (there is no earlier version), or when `toVersion` is not a version it
 * pointed at before; NOT_FOUND when the model or the target version is unknown.
 */
export async function rollbackAlias(options: RollbackAliasOptions): Promise<RollbackResult> {
  const { registry, name, alias } = options;
  if (options.reason !== undefined && options.reason.trim() === '') {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'The rollback reason is empty; say why the alias moves back.',
    );
  }
  const history = await registry.aliasHistory(name, { alias, maxResults: ROLLBACK_HISTORY_DEPTH });
  const last = history[0];
  if (last === undefined) {
    throw new LakeloopError(
      'CONFLICT',
      `${name}@${alias} has no recorded move, so there is nothing to roll back to; point it at a version with \`lakeloop models promote ${name} <version> --alias ${alias}\`.`,
    );
  }
  const target = options.toVersion ?? last.fromVersion;
  if (target === undefined) {
    throw new LakeloopError(
      'CONFLICT',
      `${name}@${alias} pointed at no version before its last move (to v${last.toVersion ?? '?'}), so there is nothing to roll back to; promote another version instead.`,
    );
  }
  if (options.toVersion !== undefined) {
    const former = new Set(history.flatMap((move) => [move.fromVersion, move.toVersion]));
    if (!former.has(options.toVersion)) {
      throw new LakeloopError(
        'CONFLICT',
        `${name}@${alias} never pointed at v${options.toVersion}; a rollback goes back to a former version (see \`lakeloop models history ${name} --alias ${alias}\`). Use promote to move it to a new one.`,
      );
    }
  }
  const current = last.toVersion;
  if (current === target) {
    throw new LakeloopError(
      'CONFLICT',
      `${name}@${alias} already points at v${target}; nothing to roll back.`,
    );
  }
  const reason =
    options.reason ??
    `Rollback to v${target}, undoing the move ${last.fromVersion === undefined ? '' : `v${last.fromVersion} `}-> ${current === undefined ? '(deleted)' : `v${current}`} of ${new Date(last.timestamp).toISOString()}${last.reason === '' ? '' : ` ("${last.reason}")`}.`;
  await registry.setAlias({ name, alias, version: target, reason, by: options.by });
  return { name, alias, fromVersion: current, toVersion: target, reason, by: options.by, undid: last };
}
