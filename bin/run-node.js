// Starts `entry` in a child Node process with tsx's loader and the `lakeloop-source`
// export condition (so `import 'lakeloop'` resolves to src/), forwarding signals so that
// SIGINT/SIGTERM reach the program and it can shut down cleanly.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// tsx resolved from this package (not from the working directory), so `lakeloop` works anywhere.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** @param {string} entry @param {string[]} args */
export function runNode(entry, args) {
  const flags = entry.endsWith('.ts') ? ['--conditions=lakeloop-source', '--import', tsxLoader] : [];
  const child = spawn(process.execPath, [...flags, entry, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128 + 1)));
}
