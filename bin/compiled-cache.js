// A compiled copy of a checkout's src/, so that `lakeloop` from a checkout starts with plain Node
// instead of transpiling ~all of src/ through tsx at every call. The copy lives in
// `node_modules/.cache/lakeloop-cli/<key>/` where the key hashes the path, mtime and size of every
// file under src/ (and package.json): editing a source makes a new key, hence a new build. The
// folder mirrors the checkout (`<key>/src/**/*.js`, `<key>/package.json`) so that paths the code
// computes from `import.meta.url` (e.g. `../../package.json`) still hold.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** Bumped when the build itself changes (its output for the same sources). */
const BUILD_FORMAT = 1;
/** The file each finished cache folder holds; written last, its mtime is touched at each use. */
export const CACHE_MARKER = 'lakeloop-cli-cache.json';
/** Other cache folders (and abandoned temp folders) not used for this long are removed. */
const STALE_MS = 60 * 60 * 1000;

/** Files under `dir` (recursively), as paths relative to it with `/` separators, sorted. */
function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).replaceAll('\\', '/'))
    .sort();
}

/**
 * The cache key of a checkout: a hash of the relative path, mtime and size of every file under
 * `<root>/src` and of `<root>/package.json` (one recursive readdir and a stat per file).
 *
 * @example
 * const key = cacheKey('/work/lakeloop'); // '3f1c…' (16 hex digits)
 * @param {string} root the checkout (the folder holding src/ and package.json)
 * @returns {string}
 */
export function cacheKey(root) {
  const hash = createHash('sha256').update(`format ${BUILD_FORMAT}\n`);
  const src = join(root, 'src');
  const stamp = (path, name) => {
    const stat = statSync(path);
    hash.update(`${name}\0${stat.mtimeMs}\0${stat.size}\n`);
  };
  for (const name of listFiles(src)) stamp(join(src, name), name);
  stamp(join(root, 'package.json'), 'package.json');
  return hash.digest('hex').slice(0, 16);
}

/** esbuild, from this package's devDependencies or else tsx's own dependency. */
function loadEsbuild() {
  const require = createRequire(import.meta.url);
  try {
    return require('esbuild');
  } catch {
    return createRequire(require.resolve('tsx/package.json'))('esbuild');
  }
}

/** Transpiles every `src/**\/*.ts` (not `.d.ts`) of `root` into `out/src/**\/*.js`, copies the rest. */
async function build(root, out) {
  const esbuild = loadEsbuild();
  const src = join(root, 'src');
  await Promise.all(
    listFiles(src).map(async (name) => {
      const from = join(src, name);
      const isSource = name.endsWith('.ts') && !name.endsWith('.d.ts');
      const to = join(out, 'src', isSource ? name.replace(/\.ts$/, '.js') : name);
      mkdirSync(dirname(to), { recursive: true });
      if (!isSource) {
        copyFileSync(from, to);
        return;
      }
      const { code } = await esbuild.transform(readFileSync(from, 'utf8'), {
        loader: 'ts',
        format: 'esm',
        target: 'node20',
        sourcemap: 'inline',
        sourcefile: from,
        tsconfigRaw: { compilerOptions: { target: 'ES2022', verbatimModuleSyntax: true } },
      });
      writeFileSync(to, code);
    }),
  );
  copyFileSync(join(root, 'package.json'), join(out, 'package.json'));
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  writeFileSync(join(out, CACHE_MARKER), JSON.stringify({ source: root, exports: sourceExports(manifest) }));
}

/** The package's own export map restricted to its `lakeloop-source` targets: `{ 'lakeloop/data': 'src/versioning/index.ts' }`. */
function sourceExports(manifest) {
  const map = {};
  for (const [subpath, targets] of Object.entries(manifest.exports ?? {})) {
    const target = typeof targets === 'object' && targets !== null ? targets['lakeloop-source'] : undefined;
    if (typeof target !== 'string') continue;
    map[subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`] = target.replace(
      /^\.\//,
      '',
    );
  }
  return map;
}

/** Removes the cache folders other than `keep` not used for STALE_MS (a running CLI may still use a recent one). */
function removeStale(cacheRoot, keep, now) {
  for (const name of readdirSync(cacheRoot)) {
    if (name === keep) continue;
    const folder = join(cacheRoot, name);
    const marker = join(folder, CACHE_MARKER);
    try {
      const used = statSync(existsSync(marker) ? marker : folder).mtimeMs;
      if (now - used > STALE_MS) rmSync(folder, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another process.
    }
  }
}

/**
 * Returns the compiled cache folder of the checkout `root` (building it when missing), whose
 * `src/` mirrors `<root>/src` as JavaScript. Two processes may build at once: each builds into its
 * own temp folder and renames it into place; the loser drops its copy and uses the winner's.
 *
 * @example
 * const folder = await ensureCompiledCache({ root: '/work/lakeloop' });
 * await import(pathToFileURL(join(folder, 'src', 'cli', 'main.js')).href);
 * @param {{ root: string, cacheRoot?: string, now?: () => number }} options `cacheRoot` defaults
 *   to `<root>/node_modules/.cache/lakeloop-cli`; `now` (for tests) to Date.now
 * @returns {Promise<{ folder: string, built: boolean }>} `built` is true when this call built it
 */
export async function ensureCompiledCache(options) {
  const { root } = options;
  const cacheRoot = options.cacheRoot ?? join(root, 'node_modules', '.cache', 'lakeloop-cli');
  const now = options.now ?? Date.now;
  const key = cacheKey(root);
  const folder = join(cacheRoot, key);
  const marker = join(folder, CACHE_MARKER);
  if (existsSync(marker)) {
    const at = new Date(now());
    utimesSync(marker, at, at);
    return { folder, built: false };
  }
  mkdirSync(cacheRoot, { recursive: true });
  const temp = mkdtempSync(join(cacheRoot, `.tmp-${key}-`));
  let built = true;
  try {
    await build(root, temp);
    try {
      renameSync(temp, folder);
    } catch (error) {
      // Another process finished the same build first: use its folder.
      if (!existsSync(marker)) throw error;
      built = false;
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  removeStale(cacheRoot, key, now());
  return { folder, built };
}
