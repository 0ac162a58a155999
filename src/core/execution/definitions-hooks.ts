/**
 * Module resolve hooks (node:module `register`, run on Node's hooks thread) that the definitions
 * loader registers, after tsx, when it runs as compiled JavaScript:
 * - `.ts` files outside node_modules load as ES modules even without `"type": "module"` (tsx
 *   registered after start-up would load them as CommonJS and lose their named exports);
 * - for a CLI running from the compiled cache of a checkout (bin/compiled-cache.js), a definitions
 *   module's `import 'lakeloop'` (or `lakeloop/data`, …) and any import of a `src/**\/*.ts` file
 *   resolve to the cached `.js` files the CLI itself runs, so the definitions share the CLI's
 *   module instances (one copy of core: `instanceof`, process-scoped resources, the error class).
 *
 * @example
 * ```ts
 * register(new URL('./definitions-hooks.js', import.meta.url), {
 *   data: {
 *     cache: {
 *       sourceRoot: 'file:///work/lakeloop/',
 *       cacheRoot: 'file:///work/lakeloop/node_modules/.cache/lakeloop-cli/3f1c/',
 *       exports: { lakeloop: 'src/index.ts' },
 *     },
 *   },
 * });
 * ```
 */

/** What {@link initialize} receives. */
export interface DefinitionsHooksData {
  /** Set when the CLI runs from a checkout's compiled cache. */
  cache?: {
    /** URL of the checkout (ends with `/`). */
    sourceRoot: string;
    /** URL of the cache folder that mirrors it (ends with `/`). */
    cacheRoot: string;
    /** The package's own specifiers and their source file: `{ 'lakeloop/data': 'src/versioning/index.ts' }`. */
    exports: Record<string, string>;
  };
}

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>;

type CacheSettings = NonNullable<DefinitionsHooksData['cache']>;
let cache: CacheSettings | undefined;

/** Receives the roots (node:module `register`'s `data`). */
export function initialize(data: DefinitionsHooksData): void {
  cache = data.cache;
}

/** The cached `.js` URL of a source URL under `<sourceRoot>src/`, else undefined. */
function cachedUrl(url: string, data: CacheSettings): string | undefined {
  const src = `${data.sourceRoot}src/`;
  if (!url.startsWith(src) || !/\.ts$/.test(url) || url.endsWith('.d.ts')) return undefined;
  return `${data.cacheRoot}${url.slice(data.sourceRoot.length).replace(/\.ts$/, '.js')}`;
}

/** Maps the package's own specifiers and its source files to the cache; `.ts` files load as ES modules. */
export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: NextResolve,
): Promise<ResolveResult> {
  const own = cache?.exports[specifier];
  if (cache !== undefined && own !== undefined) {
    return { url: `${cache.cacheRoot}${own.replace(/\.ts$/, '.js')}`, format: 'module', shortCircuit: true };
  }
  const resolved = await nextResolve(specifier, context);
  const cached = cache === undefined ? undefined : cachedUrl(resolved.url, cache);
  if (cached !== undefined) return { url: cached, format: 'module', shortCircuit: true };
  if (/^file:.*\.tsx?$/.test(resolved.url) && !resolved.url.includes('/node_modules/')) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
