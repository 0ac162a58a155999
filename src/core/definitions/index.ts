/**
 * Pure definitions (no I/O): assets, the asset graph, selections, partitions, checks, jobs and
 * the Definitions that hold them.
 *
 * @example
 * ```ts
 * import { defineAsset, Definitions } from 'lakeloop';
 * const defs = new Definitions({ assets: [defineAsset({ key: 'hello', compute: () => 'world' })] });
 * ```
 */
export * from './asset-key.js';
export * from './asset-context.js';
export * from './asset-definition.js';
export * from './asset-graph.js';
export * from './asset-selection.js';
export * from './check-definition.js';
export * from './data-commit.js';
export * from './definitions.js';
export * from './job-definition.js';
export * from './partitions-definition.js';
export * from './resource-definition.js';
export * from './run-config.js';
export type * from './run-failure-hook.js';
