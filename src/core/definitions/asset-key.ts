/**
 * Asset keys and partition keys: the names the orchestrator, the event log and the IO manager
 * use. Both must be safe as path segments, so they are validated once, when defined.
 *
 * @example
 * ```ts
 * checkAssetKey('flights/raw'); // ok
 * checkPartitionKey('2001-01');  // ok
 * ```
 */
import { LakeloopError } from '../../errors.js';

const ASSET_KEY = /^[A-Za-z_][A-Za-z0-9_-]*(\/[A-Za-z_][A-Za-z0-9_-]*)*$/;
const PARTITION_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:=-]*$/;

/** Throws DEFINITION_ERROR unless `key` is a valid asset key (`name` or `path/like/name`). */
export function checkAssetKey(key: string): void {
  if (!ASSET_KEY.test(key)) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Invalid asset key ${JSON.stringify(key)}: use letters, digits, "_" and "-", starting with a letter or "_", ` +
        'with "/" between segments (e.g. "flights/raw").',
      { details: { key } },
    );
  }
}

/** Throws DEFINITION_ERROR unless `key` is a valid partition key (no "/", not "." or ".."). */
export function checkPartitionKey(key: string): void {
  if (!PARTITION_KEY.test(key)) {
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Invalid partition key ${JSON.stringify(key)}: use letters, digits and "_ . : = -", starting with a letter, digit or "_".`,
      { details: { key } },
    );
  }
}
