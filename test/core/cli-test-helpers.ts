/** Spawning the CLI and TypeScript scripts in child processes for the core tests. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** What a finished child process printed. */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[], env: Record<string, string> = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `node bin/lakeloop.js <args>`. */
export function lakeloop(args: readonly string[], env?: Record<string, string>): Promise<ProcessResult> {
  return run(['bin/lakeloop.js', ...args], env);
}

/** Runs a TypeScript script with tsx. */
export function runTs(
  script: string,
  args: readonly string[],
  env?: Record<string, string>,
): Promise<ProcessResult> {
  return run(['--conditions=lakeloop-source', '--import', tsxLoader, script, ...args], env);
}

/** The node arguments of `lakeloop dev` run from source (tsx) with `defs` on a free port, then `args`. */
export function devFromSource(defs: string, args: readonly string[] = []): string[] {
  return [
    '--conditions=lakeloop-source',
    '--import',
    'tsx',
    fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)),
    'dev',
    '--defs',
    defs,
    '--port',
    '0',
    ...args,
  ];
}
