/**
 * `startDev`: the HTTP API and the daemon in one process on one instance (what `lakeloop dev` and
 * the flagship pipeline's `--serve` run). Binds 127.0.0.1 unless told otherwise; binding any other
 * address requires a token (16+ characters), which every API call must then carry. `close()` stops
 * accepting requests, stops the daemon (canceling its runs: none is left STARTED) and closes the
 * server; it does not close the instance, which the caller owns.
 *
 * @example
 * ```ts
 * await using instance = await Instance.open();
 * const dev = await startDev({ defs, instance, port: 3000 });
 * console.log(`API at ${dev.url}`);
 * process.once('SIGINT', () => void dev.close());
 * ```
 */
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { Definitions } from '../core/definitions/definitions.js';
import type { Instance } from '../core/instance/instance.js';
import { Daemon } from '../core/daemon/daemon.js';
import type { DaemonLogger, DaemonOptions } from '../core/daemon/daemon.js';
import type { DataRepository } from '../versioning/data-repository.js';
import { createApiApp } from './api-app.js';
import { ApiTokenFile } from './api-tokens.js';
import { authRequired } from './bearer-token.js';
import { checkBindAddress, listenOn } from './bind-address.js';
import type { ModelRegistry } from '../tracking/model-registry.js';
import type { TrackingStore } from '../tracking/tracking-store.js';

/** Options of {@link startDev}. */
export interface StartDevOptions {
  defs: Definitions;
  instance: Instance;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default `'127.0.0.1'`. Any non-loopback address requires `token`. */
  host?: string;
  /** API token (required off loopback). Default none. */
  token?: string;
  /** Daemon settings (concurrency, intervals, policy). Default: the daemon's defaults. */
  daemon?: Omit<DaemonOptions, 'defs' | 'instance' | 'logger'>;
  /** Where the daemon and the request log write (pino fits). Default: silent. */
  logger?: DaemonLogger;
  /** The data repository the API's data routes read (the caller closes it). Default none. */
  data?: DataRepository;
  /** The tracking store of the tracking routes (the caller closes it). Default none. */
  tracking?: TrackingStore;
  /** The model registry of the registry routes (the caller closes it). Default none. */
  registry?: ModelRegistry;
  /** Scoped tokens. Default: the instance's token file, `<home>/api-tokens.json`. */
  tokens?: ApiTokenFile;
  /** Folder of the built web UI served at `/`. Default: this package's dist/ui (`npm run build`). */
  uiDir?: string;
}

/** The token file of an instance home. */
export const API_TOKEN_FILE = 'api-tokens.json';

/** A running dev server. */
export interface DevHandle extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  readonly daemon: Daemon;
  /** Stops the server and the daemon (idempotent). */
  close(): Promise<void>;
}

export { isLoopbackHost } from './bind-address.js';

/** Starts the API server and the daemon; resolves once the server listens. */
export async function startDev(options: StartDevOptions): Promise<DevHandle> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 3000;
  const token = options.token === '' ? undefined : options.token;
  const tokens = options.tokens ?? new ApiTokenFile(join(options.instance.home, API_TOKEN_FILE));
  checkBindAddress({ host, ...(token === undefined ? {} : { token }), tokens, what: 'the API' });
  const logger = options.logger;
  const daemon = new Daemon({
    defs: options.defs,
    instance: options.instance,
    ...(options.daemon ?? {}),
    ...(logger === undefined ? {} : { logger }),
  });
  const app = createApiApp({
    defs: options.defs,
    instance: options.instance,
    daemon,
    tokens,
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(options.tracking === undefined ? {} : { tracking: options.tracking }),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(token === undefined ? {} : { token }),
    ...(options.uiDir === undefined ? {} : { uiDir: options.uiDir }),
    ...(options.daemon?.heartbeatIntervalMs === undefined
      ? {}
      : { heartbeatIntervalMs: options.daemon.heartbeatIntervalMs }),
    ...(logger === undefined
      ? {}
      : {
          logRequest: (entry) => {
            logger.info(
              { ...entry, ms: Math.round(entry.ms * 10) / 10 },
              `${entry.method} ${entry.path} ${entry.status}`,
            );
          },
        }),
  });
  await daemon.start();
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  let listening: { url: string; port: number };
  try {
    listening = await listenOn(server, { port, host });
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  const { url } = listening;
  logger?.info(
    { url, authenticated: authRequired({ ...(token === undefined ? {} : { token }), tokens }) },
    `lakeloop API listening on ${url}`,
  );
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      await daemon.stop();
      server.closeAllConnections();
      await closed;
      logger?.info({ url }, 'lakeloop API stopped');
    })();
    return closing;
  };
  return { url, port: listening.port, daemon, close, [Symbol.asyncDispose]: close };
}
