/**
 * lakeloop's core: software-defined assets, their orchestration, and the instance that stores
 * runs and events.
 *
 * @example
 * ```ts
 * import { defineAsset, Definitions, materialize, Instance } from 'lakeloop';
 * const hello = defineAsset({ key: 'hello', compute: () => 'world' });
 * const defs = new Definitions({ assets: [hello] });
 * await using instance = await Instance.ephemeral();
 * const run = await materialize(defs, { select: '*', instance }); // run.status === 'SUCCESS'
 * ```
 */
export * from './errors.js';
export * from './clock.js';
export * from './core/events/event-types.js';
export type * from './core/storage/storage-types.js';
export * from './core/storage/index.js';
export * from './core/definitions/index.js';
export * from './core/execution/index.js';
export * from './core/instance/index.js';
export * from './core/daemon/index.js';
