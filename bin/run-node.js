// Starts `entry` in a child Node process with tsx's loader and the `lakeloop-source`
// export condition (so `import 'lakeloop'` resolves to src/), forwarding signals so that
// SIGINT/SIGTERM reach the program and it can shut down cleanly.
import { spawn } from 'node:child_process';

/** @param {string} entry @param {string[]} args */
export function runNode(entry, args) {
  const flags = entry.endsWith('.ts') ? ['--conditions=lakeloop-source', '--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...flags, entry, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128 + 1)));
}
