/**
 * The instance facade.
 *
 * @example
 * ```ts
 * import { Instance } from 'lakeloop';
 * await using instance = await Instance.ephemeral();
 * ```
 */
export * from './instance.js';
export * from './retention.js';
