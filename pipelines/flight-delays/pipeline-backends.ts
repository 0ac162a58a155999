/**
 * The pipeline's services as one resource: the data repository, the tracking store and the model
 * registry. Each is chosen by configuration, never by pipeline code: lakeFS when `LAKEFS_ENDPOINT`
 * (and keys) are set, an MLflow server when `MLFLOW_TRACKING_URI` is `http(s)://…`, otherwise the
 * embedded backends inside the instance home of the run. They are opened lazily on first use (the
 * home is only known when a step runs) and cached per home; given instances are used as they are.
 *
 * @example
 * ```ts
 * await using backends = new PipelineBackends();
 * const { data, tracking, registry } = backends.forHome('/tmp/home');
 * ```
 */
import { resolve } from 'node:path';
import { createDataRepository } from 'lakeloop/data';
import type { DataRepository } from 'lakeloop/data';
import { openRegistry, openTracking } from 'lakeloop/tracking';
import type { ModelRegistry, TrackingStore } from 'lakeloop/tracking';

/** Options of {@link PipelineBackends}. */
export interface PipelineBackendsOptions {
  /**
   * Home of the embedded backends when no run tells it (the sensor's view of the data). Default
   * `$LAKELOOP_HOME`, else `.lakeloop`. Steps always use their run's instance home.
   */
  home?: string;
  /** A data repository to use (e.g. the one `npm start` imports with). Default: opened per home. */
  data?: DataRepository;
  /** A tracking store to use. Default: opened per home (`MLFLOW_TRACKING_URI` or embedded). */
  tracking?: TrackingStore;
  /** A model registry to use. Default: opened per home, like `tracking`. */
  registry?: ModelRegistry;
  /** Tracking/registry URI for the default stores. Default `MLFLOW_TRACKING_URI`, else embedded. */
  trackingUri?: string;
  /** Environment the defaults read. Default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** The three services of one instance home. */
export interface PipelineServices {
  data: DataRepository;
  tracking: TrackingStore;
  registry: ModelRegistry;
}

/** Lazily opened pipeline services, cached per instance home. */
export class PipelineBackends implements AsyncDisposable {
  readonly #options: PipelineBackendsOptions;
  readonly #byHome = new Map<string, PipelineServices>();
  readonly #opened: { close(): Promise<void> }[] = [];

  constructor(options: PipelineBackendsOptions = {}) {
    this.#options = options;
  }

  /** The home used outside runs (by the sensor): the option, else `$LAKELOOP_HOME`, else `.lakeloop`. */
  get defaultHome(): string {
    const env = this.#options.env ?? process.env;
    const fromEnv = env.LAKELOOP_HOME;
    return resolve(this.#options.home ?? (fromEnv === undefined || fromEnv === '' ? '.lakeloop' : fromEnv));
  }

  /** The data repository of the default home (opened on first call). */
  get data(): DataRepository {
    return this.forHome(this.defaultHome).data;
  }

  /** The services for `home` (opened on first call). */
  forHome(home: string): PipelineServices {
    const key = resolve(home);
    const cached = this.#byHome.get(key);
    if (cached !== undefined) return cached;
    const env = this.#options.env ?? process.env;
    const uri = this.#options.trackingUri === undefined ? {} : { uri: this.#options.trackingUri };
    const data = this.#options.data ?? this.#track(createDataRepository({ home: key, env }));
    const tracking = this.#options.tracking ?? this.#track(openTracking({ home: key, env, ...uri }));
    const registry = this.#options.registry ?? this.#track(openRegistry({ home: key, env, ...uri }));
    const services = { data, tracking, registry };
    this.#byHome.set(key, services);
    return services;
  }

  #track<T extends { close(): Promise<void> }>(resource: T): T {
    this.#opened.push(resource);
    return resource;
  }

  /** Closes what this object opened (not the given instances). Idempotent. */
  async close(): Promise<void> {
    const opened = this.#opened.splice(0);
    this.#byHome.clear();
    for (const resource of opened.reverse()) await resource.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
