/**
 * Chooses the tracking backend from a URI, following MLflow's conventions:
 * `http(s)://...` is an MLflow tracking server; a path, a `file:` URL or a `sqlite:` URL is the
 * embedded store. With no URI, `MLFLOW_TRACKING_URI` is used when set, else the embedded store in
 * `<home>/tracking` (home: `$LAKELOOP_HOME`, else `.lakeloop`). Server credentials come from
 * `MLFLOW_TRACKING_TOKEN` or `MLFLOW_TRACKING_USERNAME` + `MLFLOW_TRACKING_PASSWORD`.
 *
 * @example
 * ```ts
 * resolveTrackingUri({ uri: 'http://127.0.0.1:5000' }); // { kind: 'mlflow', url: 'http://127.0.0.1:5000' }
 * resolveTrackingUri({ home: '/tmp/home' }); // { kind: 'embedded', root: '/tmp/home/tracking' }
 * ```
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LakeloopError } from '../errors.js';
import type { MlflowAuth } from './mlflow/mlflow-rest-client.js';

/** Options of {@link resolveTrackingUri}. */
export interface ResolveTrackingUriOptions {
  /** The backend URI; default `MLFLOW_TRACKING_URI`, else the embedded store. */
  uri?: string;
  /** Instance home for the embedded default; default `$LAKELOOP_HOME`, else `.lakeloop`. */
  home?: string;
  /** Environment to read; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Where tracking lives. */
export type TrackingTarget =
  { kind: 'embedded'; root: string } | { kind: 'mlflow'; url: string; auth: MlflowAuth | undefined };

/** Resolves the tracking backend (see the module comment for the rules). */
export function resolveTrackingUri(options: ResolveTrackingUriOptions = {}): TrackingTarget {
  const env = options.env ?? process.env;
  const uri = options.uri ?? nonEmpty(env.MLFLOW_TRACKING_URI);
  if (uri === undefined) {
    const home = options.home ?? nonEmpty(env.LAKELOOP_HOME) ?? '.lakeloop';
    return { kind: 'embedded', root: resolve(home, 'tracking') };
  }
  if (/^https?:\/\//i.test(uri)) {
    const url = new URL(uri);
    if (url.username !== '' || url.password !== '') {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        'Put MLflow credentials in MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD, not in the tracking URI.',
      );
    }
    return { kind: 'mlflow', url: uri.replace(/\/+$/, ''), auth: authFromEnv(env) };
  }
  if (uri.startsWith('file:')) return { kind: 'embedded', root: resolve(fileURLToPath(uri)) };
  if (uri.startsWith('sqlite:')) {
    // sqlite:///abs/path/mlflow.db (MLflow's form): the folder of the database file.
    const path = uri.replace(/^sqlite:\/\/\/?/, '/').replace(/^\/\.\//, './');
    return { kind: 'embedded', root: resolve(dirname(path)) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Unsupported tracking URI "${withoutUserInfo(uri)}"; use http(s)://<mlflow server>, a folder path, file: or sqlite:.`,
    );
  }
  return { kind: 'embedded', root: resolve(uri) };
}

/** Reads MLflow's credential variables. */
export function authFromEnv(env: Readonly<Record<string, string | undefined>>): MlflowAuth | undefined {
  const token = nonEmpty(env.MLFLOW_TRACKING_TOKEN);
  if (token !== undefined) return { token };
  const username = nonEmpty(env.MLFLOW_TRACKING_USERNAME);
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (username !== undefined && password !== undefined) return { username, password };
  return undefined;
}

/** The database file of an embedded root. */
export function embeddedDatabasePath(root: string): string {
  return join(root, 'mlflow.db');
}

/** `uri` with any `user:password@` part masked (a database URI may carry a password). */
function withoutUserInfo(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
