/**
 * Loads a definitions module (TypeScript or JavaScript) by file path and returns its
 * `Definitions` (the named export `defs`, else the default export). When this module runs as
 * compiled JavaScript (the installed package, or a checkout's compiled cache) the tsx loader is
 * registered only when a TypeScript module is loaded; from a checkout's cache, resolve hooks
 * (definitions-hooks.ts) also make the module's `import 'lakeloop'` reach the CLI's own modules.
 *
 * @example
 * ```ts
 * const defs = await loadDefinitions({ path: 'pipelines/flight-delays/definitions.ts' });
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LakeloopError } from '../../errors.js';
import { isDefinitions } from '../definitions/definitions.js';
import type { Definitions } from '../definitions/definitions.js';
import type { DefinitionsHooksData } from './definitions-hooks.js';

/** Options of {@link loadDefinitions}. */
export interface LoadDefinitionsOptions {
  /** Path of the module (relative to the working directory or absolute). */
  path: string;
}

/** Written by bin/compiled-cache.js at the root of a checkout's compiled cache (this file is at `<root>/src/core/execution/`). */
const cacheMarker = new URL('../../../lakeloop-cli-cache.json', import.meta.url);
let tsxRegistered = false;
let ownHooksRegistered = false;

/** Whether tsx was preloaded (`--import tsx`, as the multi-process executor starts its workers). */
function tsxPreloaded(): boolean {
  return [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((arg) => /\btsx\b/.test(arg));
}

/** The resolve hooks' settings: the cache's roots when this module runs from a checkout's compiled cache. */
function hooksData(): DefinitionsHooksData {
  if (!existsSync(cacheMarker)) return {};
  const marker = JSON.parse(readFileSync(cacheMarker, 'utf8')) as {
    source: string;
    exports: Record<string, string>;
  };
  return {
    cache: {
      sourceRoot: pathToFileURL(`${marker.source}/`).href,
      cacheRoot: new URL('../../../', import.meta.url).href,
      exports: marker.exports,
    },
  };
}

/** Registers what importing `file` needs, once per process: tsx for TypeScript, then definitions-hooks.ts. */
async function prepareImport(file: string): Promise<void> {
  // Running as TypeScript: a TypeScript loader and the `lakeloop-source` condition are in place.
  if (import.meta.url.endsWith('.ts')) return;
  const typescript = /\.[cm]?tsx?$/.test(file);
  if (typescript && !tsxRegistered && !tsxPreloaded()) {
    // tsx resolved from this package (a runtime dependency), not from the definitions' folder.
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    esm.register();
    cjs.register();
    tsxRegistered = true;
  }
  if (!ownHooksRegistered && (typescript || existsSync(cacheMarker))) {
    // Registered after tsx, so these hooks run first and see `lakeloop` before anyone resolves it.
    register(new URL('./definitions-hooks.js', import.meta.url), { data: hooksData() });
    ownHooksRegistered = true;
  }
}

/** Imports the module and returns its Definitions; throws DEFINITION_ERROR (or NOT_FOUND) naming the file. */
export async function loadDefinitions(options: LoadDefinitionsOptions): Promise<Definitions> {
  const file = resolve(options.path);
  if (!existsSync(file)) {
    throw new LakeloopError(
      'NOT_FOUND',
      `Definitions module ${file} does not exist; pass the path of a .ts or .js file with --defs.`,
      {
        details: { file },
      },
    );
  }
  let module: Record<string, unknown>;
  try {
    await prepareImport(file);
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new LakeloopError('DEFINITION_ERROR', `Cannot load definitions module ${file}`, {
      cause,
      details: { file },
    });
  }
  const candidate = module['defs'] ?? module['default'];
  if (!isDefinitions(candidate)) {
    const exported = Object.keys(module).join(', ') || 'nothing';
    throw new LakeloopError(
      'DEFINITION_ERROR',
      `Definitions module ${file} exports no Definitions as \`defs\` or default (it exports: ${exported}); ` +
        'add `export const defs = new Definitions({ assets: [...] })`.',
      { details: { file } },
    );
  }
  return candidate;
}
