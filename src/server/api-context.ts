/**
 * What the route modules share: the definitions and the instance, and the optional parts of the
 * loop a server may hold (daemon, data repository, tracking store, model registry). A route whose
 * part is missing answers 503 saying how to give it.
 *
 * @example
 * ```ts
 * const data = required(api.data, 'data repository', 'data');
 * ```
 */
import { LakeloopError } from '../errors.js';
import type { Definitions } from '../core/definitions/definitions.js';
import type { Daemon } from '../core/daemon/daemon.js';
import type { Instance } from '../core/instance/instance.js';
import type { ModelRegistry } from '../tracking/model-registry.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import type { DataRepository } from '../versioning/data-repository.js';
import type { AssetGraphLayoutCache } from './asset-graph-layout.js';
import type { LiveStreamOptions } from './live-feed.js';

/** The parts of the loop the API serves. */
export interface ApiContext {
  defs: Definitions;
  instance: Instance;
  /** The daemon running on the instance (webhooks, sensor ticks, queue wake-ups). */
  daemon?: Daemon;
  /** The data repository the `/api/data/…` routes read and merge in. */
  data?: DataRepository;
  /** The tracking store of the `/api/experiments` and `/api/training-runs` routes. */
  tracking?: TrackingStore;
  /** The model registry of the `/api/models` routes. */
  registry?: ModelRegistry;
  /** Pacing of the live stream `GET /api/stream` (poll and heartbeat intervals). Default: its defaults. */
  live?: LiveStreamOptions;
  /** Where `GET /api/assets/graph` keeps its layouts. Default: a new cache per app. */
  assetGraphLayouts?: AssetGraphLayoutCache;
}

/** `part`, or UNAVAILABLE naming the createApiApp option that gives it (`lakeloop dev` gives all). */
export function required<T>(part: T | undefined, what: string, option: keyof ApiContext): T {
  if (part === undefined) {
    throw new LakeloopError(
      'UNAVAILABLE',
      `This server has no ${what}: start it with \`lakeloop dev\` (which opens the configured one) or pass \`${option}\` to createApiApp.`,
    );
  }
  return part;
}
