/**
 * Building the web UI on the first `lakeloop dev` in a checkout (issue #15: the README's two
 * commands, `npm install` then `npm start`/`lakeloop dev`, must show the UI without a separate
 * `npm run build`). Only a checkout can build (it has ui/ and Vite, a dev dependency); an installed
 * package ships dist/ui and never builds. The build is redone when a file under ui/ is newer than
 * the built index.html.
 */
import { statSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The part of Vite's API used here (Vite is a dev dependency: no type import from it in src/). */
interface ViteBuild {
  build(config: { configFile: string; build: { outDir: string } }): Promise<unknown>;
}

/** What {@link ensureUiBuilt} found or did. */
export type UiBuildOutcome = 'fresh' | 'built' | 'not-a-checkout';

/** The checkout whose dist/ui is `uiDir`, when it has the UI's sources; else undefined. */
export function checkoutOf(uiDir: string): string | undefined {
  const root = resolve(uiDir, '..', '..');
  try {
    statSync(join(root, 'ui', 'vite.config.ts'));
    return root;
  } catch {
    return undefined;
  }
}

/** The newest modification time under `dir` (ms), 0 when empty. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** True when the built UI in `uiDir` is missing or older than the sources of `checkout`. */
export function uiBuildStale(uiDir: string, checkout: string): boolean {
  let built: number;
  try {
    built = statSync(join(uiDir, 'index.html')).mtimeMs;
  } catch {
    return true;
  }
  return newestMtime(join(checkout, 'ui')) > built;
}

/**
 * Builds the UI into `uiDir` with the checkout's Vite when it is missing or stale. `onBuild` is
 * told before a build starts (it takes a few seconds), for the banner.
 */
export async function ensureUiBuilt(uiDir: string, onBuild: () => void = () => {}): Promise<UiBuildOutcome> {
  const checkout = checkoutOf(uiDir);
  if (checkout === undefined) return 'not-a-checkout';
  if (!uiBuildStale(uiDir, checkout)) return 'fresh';
  onBuild();
  const vitePath = createRequire(join(checkout, 'package.json')).resolve('vite');
  const vite = (await import(pathToFileURL(vitePath).href)) as ViteBuild;
  await vite.build({ configFile: join(checkout, 'ui', 'vite.config.ts'), build: { outDir: uiDir } });
  return 'built';
}
