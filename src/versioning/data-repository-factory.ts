/**
 * `openDataRepository`: the one way the pipeline, the CLI and the server get a data repository.
 * Embedded under the instance home by default; lakeFS when asked for (`backend: 'lakefs'`, or
 * `LAKELOOP_DATA_BACKEND=lakefs`) or when `LAKEFS_ENDPOINT` is set (unless
 * `LAKELOOP_DATA_BACKEND=embedded`).
 *
 * @example
 * ```ts
 * await using data = await openDataRepository({ home: '.lakeloop' });
 * console.log(data.kind); // 'embedded' (or 'lakefs' when LAKEFS_ENDPOINT is set)
 * ```
 */
import { resolve } from 'node:path';
import type { Clock } from '../clock.js';
import { LakeloopError } from '../errors.js';
import { createDataHookRunner } from './data-hooks.js';
import type { DataHook, DataHookReport } from './data-hooks.js';
import { lakeloopDataCacheDir } from './data-paths.js';
import type { DataBackendKind, DataRepository } from './data-repository.js';
import { resolveLakeFsConfig } from './lakefs/lakefs-config.js';
import type { LakeFsConfig } from './lakefs/lakefs-config.js';
import { LakeFsDataRepository } from './lakefs/lakefs-data-repository.js';
import { EmbeddedDataRepository } from './local/embedded-data-repository.js';

/** Options of {@link openDataRepository}. */
export interface OpenDataRepositoryOptions {
  /** Instance home of the embedded backend. Default `$LAKELOOP_HOME`, else `.lakeloop`. */
  home?: string;
  /** Default: `$LAKELOOP_DATA_BACKEND`, else `'lakefs'` when lakeFS is configured, else `'embedded'`. */
  backend?: DataBackendKind;
  /** lakeFS server and keys. Default: from the environment or `~/.lakectl.yaml`. */
  lakefs?: LakeFsConfig;
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Embedded backend's clock. Default: the wall clock. */
  clock?: Clock;
  /**
   * Pre-commit / pre-merge checks run by this client (embedded backend only; lakeFS runs its own
   * server-side hooks, so a lakeFS client given hooks is refused). Default none.
   */
  hooks?: readonly DataHook[];
  /** Receives every hook report (WARN and non-blocking failures included). Default none. */
  onHookReport?: (report: DataHookReport) => void;
}

/** Creates the configured data repository backend (synchronously; throws on bad configuration). */
export function createDataRepository(options: OpenDataRepositoryOptions = {}): DataRepository {
  const env = options.env ?? process.env;
  const requested = options.backend ?? parseBackend(env.LAKELOOP_DATA_BACKEND);
  const lakefs = options.lakefs ?? (requested === 'embedded' ? undefined : resolveLakeFsConfig({ env }));
  const backend = requested ?? (lakefs === undefined ? 'embedded' : 'lakefs');
  switch (backend) {
    case 'embedded': {
      const home = resolve(options.home ?? env.LAKELOOP_HOME ?? '.lakeloop');
      const hookRunner = createDataHookRunner(options.hooks ?? [], {
        cacheDir: lakeloopDataCacheDir(home),
        ...(options.onHookReport === undefined ? {} : { onReport: options.onHookReport }),
      });
      return new EmbeddedDataRepository({
        home,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(hookRunner === undefined ? {} : { hookRunner }),
      });
    }
    case 'lakefs':
      if ((options.hooks ?? []).length > 0) {
        throw new LakeloopError(
          'PRECONDITION_FAILED',
          `Data hooks (${(options.hooks ?? []).map((hook) => hook.name).join(', ')}) run on the embedded backend only; on lakeFS use its server-side hooks (actions under _lakefs_actions/), or set LAKELOOP_DATA_BACKEND=embedded.`,
        );
      }
      if (lakefs === undefined) {
        throw new LakeloopError(
          'PRECONDITION_FAILED',
          'The lakeFS backend was requested but is not configured: set LAKEFS_ENDPOINT, LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY (or ~/.lakectl.yaml).',
        );
      }
      return new LakeFsDataRepository(lakefs);
  }
}

/** Opens the configured data repository backend (rejects on bad configuration). */
export function openDataRepository(options: OpenDataRepositoryOptions = {}): Promise<DataRepository> {
  try {
    return Promise.resolve(createDataRepository(options));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function parseBackend(value: string | undefined): DataBackendKind | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'embedded' || value === 'lakefs') return value;
  throw new LakeloopError(
    'INVALID_ARGUMENT',
    `Invalid LAKELOOP_DATA_BACKEND ${JSON.stringify(value)}: use 'embedded' or 'lakefs'.`,
  );
}
