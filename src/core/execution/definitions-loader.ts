/**
 * Loads a definitions module (TypeScript or JavaScript) by file path and returns its
 * `Definitions` (the named export `defs`, else the default export). TypeScript needs the tsx
 * loader, which the `lakeloop` command and the worker processes always have.
 *
 * @example
 * ```ts
 * const defs = await loadDefinitions({ path: 'pipelines/flight-delays/definitions.ts' });
 * ```
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LakeloopError } from '../../errors.js';
import { isDefinitions } from '../definitions/definitions.js';
import type { Definitions } from '../definitions/definitions.js';

/** Options of {@link loadDefinitions}. */
export interface LoadDefinitionsOptions {
  /** Path of the module (relative to the working directory or absolute). */
  path: string;
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
