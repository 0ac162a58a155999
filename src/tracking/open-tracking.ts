/**
 * Opens the tracking store and the model registry chosen by configuration (see
 * {@link resolveTrackingUri}): the embedded store by default, a real MLflow server when
 * `MLFLOW_TRACKING_URI` (or `uri`) is `http(s)://...`.
 *
 * @example
 * ```ts
 * await using tracking = openTracking();
 * await using registry = openRegistry({ uri: 'http://127.0.0.1:5000' });
 * ```
 */
import type { Clock } from '../clock.js';
import type { FetchFunction } from '../util/http-client.js';
import { LocalModelRegistry } from './local/local-model-registry.js';
import { LocalTrackingStore } from './local/local-tracking-store.js';
import { MlflowModelRegistry } from './mlflow/mlflow-model-registry.js';
import { MlflowTrackingStore } from './mlflow/mlflow-tracking-store.js';
import type { ModelRegistry } from './model-registry.js';
import type { TrackingStore } from './tracking-store.js';
import { resolveTrackingUri } from './tracking-uri.js';
import type { ResolveTrackingUriOptions } from './tracking-uri.js';

/** Options of {@link openTracking} and {@link openRegistry}. */
export interface OpenTrackingOptions extends ResolveTrackingUriOptions {
  /** Default: the system clock. */
  clock?: Clock;
  /** For the MLflow backend; default the global fetch. */
  fetch?: FetchFunction;
}

/** Opens the {@link TrackingStore} for `uri` (default `MLFLOW_TRACKING_URI`, else the embedded store). */
export function openTracking(options: OpenTrackingOptions = {}): TrackingStore {
  const target = resolveTrackingUri(options);
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  switch (target.kind) {
    case 'embedded':
      return new LocalTrackingStore({ root: target.root, ...clock });
    case 'mlflow':
      return new MlflowTrackingStore({
        url: target.url,
        ...clock,
        ...(target.auth === undefined ? {} : { auth: target.auth }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
  }
}

/** Opens the {@link ModelRegistry} for `uri` (same rules as {@link openTracking}). */
export function openRegistry(options: OpenTrackingOptions = {}): ModelRegistry {
  const target = resolveTrackingUri(options);
  switch (target.kind) {
    case 'embedded':
      return new LocalModelRegistry({
        root: target.root,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      });
    case 'mlflow':
      return new MlflowModelRegistry({
        url: target.url,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(target.auth === undefined ? {} : { auth: target.auth }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
  }
}
