/**
 * The built web UI (ui/ → dist/ui/ by `npm run build`) as static files: `index.html`, and hashed
 * files under `static/` with year-long immutable caching (their name changes with their content).
 * Any other non-/api path that is not a file answers index.html, so that the UI's history routing
 * opens a copied link (`/runs/abc`). Files are read per request (a rebuild shows on reload); a
 * checkout's `lakeloop dev` builds a missing or stale UI first (ui-build.ts). A folder without index.html serves nothing (`uiAvailable`).
 *
 * @example
 * ```ts
 * const file = await readUiFile(defaultUiDir(), '/static/index-3f2a.js');
 * if (file !== undefined) return new Response(file.body, { headers: file.headers });
 * ```
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where Vite puts the hashed files (`assetsDir` in ui/vite.config.ts; not `assets`, the Assets page's path). */
const ASSETS_PREFIX = '/static/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and other unhashed files: always revalidated, so a new build shows at once. */
const REVALIDATE = 'no-cache';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** A file to answer with: its bytes and the headers that go with them. */
export interface UiFile {
  body: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

/** Where bin/compiled-cache.js keeps a checkout's compiled src/ (mirroring the checkout's layout). */
const CLI_CACHE = ['node_modules', '.cache', 'lakeloop-cli'];

/**
 * The dist/ui that goes with the server module in `moduleDir`: next to the compiled server
 * (dist/server → dist/ui); from source (src/server) the checkout's dist/ui; from the CLI's compiled
 * cache of a checkout (`<checkout>/node_modules/.cache/lakeloop-cli/<key>/src/server`), the
 * checkout's dist/ui as well.
 */
export function uiDirFor(moduleDir: string): string {
  const parts = resolve(moduleDir).split(sep);
  const cache = parts.findIndex((_, i) => CLI_CACHE.every((name, j) => parts[i + j] === name));
  if (cache > 0) return join(parts.slice(0, cache).join(sep) || sep, 'dist', 'ui');
  const compiled = basename(resolve(moduleDir, '..')) === 'dist';
  return resolve(moduleDir, compiled ? '../ui' : '../../dist/ui');
}

/** dist/ui of this package (see {@link uiDirFor}). */
export function defaultUiDir(): string {
  return uiDirFor(fileURLToPath(new URL('.', import.meta.url)));
}

/** True when `dir` holds a built UI (an index.html). */
export async function uiAvailable(dir: string): Promise<boolean> {
  return (await fileAt(join(dir, 'index.html'))) !== undefined;
}

/**
 * What `GET <path>` answers from the UI folder `dir`: the file at that path, else index.html for a
 * client-side route; undefined for a missing hashed asset (a 404, never HTML in place of a
 * script), a path outside `dir`, or when the UI is not built.
 */
export async function readUiFile(dir: string, path: string): Promise<UiFile | undefined> {
  const root = resolve(dir);
  const file = path === '/' ? undefined : fileOf(root, path);
  if (file !== undefined && (await fileAt(file)) !== undefined) {
    const immutable = path.startsWith(ASSETS_PREFIX);
    return answer(file, immutable ? IMMUTABLE : REVALIDATE);
  }
  if (path.startsWith(ASSETS_PREFIX)) return undefined;
  const index = join(root, 'index.html');
  return (await fileAt(index)) === undefined ? undefined : answer(index, REVALIDATE);
}

/** The file a URL path names inside `root`, or undefined when it cannot name one there. */
function fileOf(root: string, path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const file = resolve(root, `.${decoded}`);
  return file.startsWith(root + sep) ? file : undefined;
}

/** `path` when it is a regular file. */
async function fileAt(path: string): Promise<string | undefined> {
  try {
    return (await stat(path)).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

async function answer(file: string, cacheControl: string): Promise<UiFile> {
  const body = new Uint8Array(await readFile(file));
  return {
    body,
    headers: {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': cacheControl,
      'x-content-type-options': 'nosniff',
    },
  };
}
