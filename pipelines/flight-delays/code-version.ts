/**
 * The pipeline's code version: a short SHA-256 of its own source files (this folder and
 * `features/`, tests excluded), so a model version's `lakeloop.code_version` tag changes exactly
 * when the code that produced it changes, with or without git.
 *
 * @example
 * ```ts
 * pipelineCodeVersion(); // 'flight-delays-3f9a0c2b71de'
 * ```
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

let cached: string | undefined;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** `flight-delays-<12 hex>` over the pipeline's source files (computed once per process). */
export function pipelineCodeVersion(): string {
  if (cached !== undefined) return cached;
  const root = import.meta.dirname;
  const hash = createHash('sha256');
  for (const file of sourceFiles(root)) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  cached = `flight-delays-${hash.digest('hex').slice(0, 12)}`;
  return cached;
}
