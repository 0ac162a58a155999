/**
 * lakeloop's core: software-defined assets, their orchestration, and the instance that stores
 * runs and events.
 *
 * @example
 * ```ts
 * import { defineAsset, Definitions, materialize, Instance } from 'lakeloop';
 * ```
 */
export * from './errors.js';
export * from './clock.js';
export * from './core/events/event-types.js';
export type * from './core/storage/storage-types.js';
export * from './core/storage/index.js';
