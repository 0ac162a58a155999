/**
 * `startModelServer`: serves a registered model over HTTP (see serving-app.ts for the routes).
 * `models:/NAME@ALIAS` follows the alias — a move is loaded, warmed, checked and swapped in
 * without dropping a request (alias-follower.ts); `models:/NAME/VERSION` serves that version.
 * Same network rules as `lakeloop dev`: 127.0.0.1 by default, a token required off loopback.
 * The registry and tracking store belong to the caller; `close()` stops following, lets
 * in-flight requests finish and releases the sessions.
 *
 * @example
 * ```ts
 * await using server = await startModelServer({ ref: 'models:/flight-delays@champion', registry, tracking, port: 8080 });
 * console.log(`${server.url}/invocations serves v${server.slot.current.info.version}`);
 * ```
 */
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { LakeloopError } from '../errors.js';
import { checkBindAddress, listenOn } from '../server/bind-address.js';
import type { ApiTokenFile } from '../server/api-tokens.js';
import { parseModelRef } from '../tracking/model-registry.js';
import type { ModelRegistry } from '../tracking/model-registry.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { AliasFollower } from './alias-follower.js';
import type { ServingLogger } from './alias-follower.js';
import { checkServedModel } from './model-check.js';
import { ModelSlot } from './model-slot.js';
import type { ServedModel } from './served-model.js';
import { loadServedModel } from './served-model-loader.js';
import { createServingApp } from './serving-app.js';
import type { ServingAppOptions } from './serving-app.js';

/** Poll interval of an alias on the embedded registry (a read of the local SQLite file). */
export const EMBEDDED_POLL_MS = 500;
/** Poll interval of an alias on an MLflow server (an HTTP call). */
export const MLFLOW_POLL_MS = 3000;

/** Options of {@link startModelServer}. */
export interface StartModelServerOptions {
  /** `models:/NAME@ALIAS` (followed) or `models:/NAME/VERSION` (fixed). */
  ref: string;
  registry: ModelRegistry;
  tracking: TrackingStore;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default `'127.0.0.1'`; any other address requires `token` or scoped `tokens`. */
  host?: string;
  /** One token with every scope. */
  token?: string;
  /** The instance's scoped tokens. */
  tokens?: ApiTokenFile;
  /** Intra-op threads of the batch session (single rows run on one). Default 1. */
  threads?: number;
  /** Alias poll interval. Default {@link EMBEDDED_POLL_MS} on the embedded registry, else {@link MLFLOW_POLL_MS}. */
  pollIntervalMs?: number;
  /** Default: silent. */
  logger?: ServingLogger;
  /** The prediction log's hook (see serving-app.ts). */
  onPredictions?: ServingAppOptions['onPredictions'];
  /** More fields of `GET /model`. */
  extraState?: ServingAppOptions['extraState'];
  /** Rolls back (a cluster worker asks every worker); default this server's own rollback. */
  rollback?: ServingAppOptions['rollback'];
  /** How onnxruntime-node is imported (tests). */
  importRuntime?: () => Promise<unknown>;
}

/** A running model server. */
export interface ModelServerHandle extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  readonly slot: ModelSlot;
  /** Undefined when serving a fixed version. */
  readonly follower: AliasFollower | undefined;
  /** Serves the previous version (until the alias moves again). */
  rollback(): ServedModel;
  close(): Promise<void>;
}

/** Starts the model server; resolves once it listens with a checked model. */
export async function startModelServer(options: StartModelServerOptions): Promise<ModelServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token === '' ? undefined : options.token;
  checkBindAddress({
    host,
    ...(token === undefined ? {} : { token }),
    ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
    what: 'the model server',
  });
  if (!options.ref.startsWith('models:/')) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `"${options.ref}" is not a registered model; write models:/NAME@ALIAS (followed) or models:/NAME/VERSION.`,
    );
  }
  const ref = parseModelRef(options.ref);
  const { registry, tracking } = options;
  const load = (version: string): Promise<ServedModel> =>
    loadServedModel({
      registry,
      tracking,
      name: ref.name,
      version,
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.importRuntime === undefined ? {} : { importRuntime: options.importRuntime }),
    });
  const initialVersion =
    ref.alias === undefined
      ? ref.version
      : (await registry.getModelVersionByAlias({ name: ref.name, alias: ref.alias })).version;
  const initial = await load(initialVersion);
  try {
    await checkServedModel(initial);
  } catch (error) {
    await initial.retire();
    throw error;
  }
  const slot = new ModelSlot(initial);
  const follower =
    ref.alias === undefined
      ? undefined
      : new AliasFollower({
          registry,
          name: ref.name,
          alias: ref.alias,
          slot,
          load,
          initialVersion,
          intervalMs:
            options.pollIntervalMs ??
            (registry.uri.startsWith('embedded:') ? EMBEDDED_POLL_MS : MLFLOW_POLL_MS),
          ...(options.logger === undefined ? {} : { logger: options.logger }),
        });
  const rollback = (): ServedModel => {
    const from = slot.current.info.version;
    const to = slot.rollback();
    options.logger?.info(
      { name: ref.name, version: to.info.version, from },
      `${ref.name}: rolled back to v${to.info.version} (was v${from}); serving it until the alias moves again`,
    );
    return to;
  };
  const app = createServingApp({
    slot,
    followState: () =>
      follower === undefined
        ? {}
        : {
            ...(ref.alias === undefined ? {} : { alias: ref.alias }),
            aliasVersion: follower.aliasVersion,
            ...(follower.lastSwapError === undefined ? {} : { lastSwapError: follower.lastSwapError }),
          },
    rollback: options.rollback ?? (() => Promise.resolve(rollback())),
    ...(options.onPredictions === undefined ? {} : { onPredictions: options.onPredictions }),
    ...(options.extraState === undefined ? {} : { extraState: options.extraState }),
    ...(token === undefined ? {} : { token }),
    ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
  });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // Keep-alive connections of a load generator outlive Node's 5 s default between bursts.
  server.keepAliveTimeout = 65_000;
  let listening: { url: string; port: number };
  try {
    listening = await listenOn(server, { port: options.port ?? 8080, host });
  } catch (error) {
    await slot.close();
    throw error;
  }
  follower?.start();
  options.logger?.info(
    {
      url: listening.url,
      name: ref.name,
      version: initialVersion,
      ...(ref.alias === undefined ? {} : { alias: ref.alias }),
    },
    `lakeloop serve: ${ref.name} v${initialVersion} at ${listening.url}/invocations`,
  );
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await follower?.stop();
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      await closed;
      await slot.close();
    })();
    return closing;
  };
  return {
    url: listening.url,
    port: listening.port,
    slot,
    follower,
    rollback,
    close,
    [Symbol.asyncDispose]: close,
  };
}
