/**
 * Where the data area keeps files under an instance home.
 *
 * @example
 * ```ts
 * lakeloopDataCacheDir('.lakeloop'); // '.lakeloop/data/cache'
 * ```
 */
import { join } from 'node:path';

/** The read cache of data files resolved from URIs: `<home>/data/cache`. */
export function lakeloopDataCacheDir(home: string): string {
  return join(home, 'data', 'cache');
}
