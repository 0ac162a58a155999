// Types of compiled-cache.js (for the tests, which import it from TypeScript).
export declare const CACHE_MARKER: string;
export declare function cacheKey(root: string): string;
export declare function ensureCompiledCache(options: {
  root: string;
  cacheRoot?: string;
  now?: () => number;
}): Promise<{ folder: string; built: boolean }>;
