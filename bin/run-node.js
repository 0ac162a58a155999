// Runs `entry` in THIS process (no child). For a TypeScript entry, tsx's loader is registered
// in-process, and so is the `lakeloop-source` export condition (so `import 'lakeloop'` resolves to
// src/); a JavaScript entry runs with plain Node (its definitions loader registers tsx when it
// loads a `.ts` module). One process means signals reach the program itself, a SIGKILL leaves
// nothing running (no orphaned daemon holding its port), and a death by signal shows as 128 + the
// signal's number, as for any program.
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * @param {string} entry a .ts (source) or .js (compiled) module
 * @param {string[]} args its command-line arguments (process.argv.slice(2) inside it)
 * @returns {Promise<void>} once the entry module has been evaluated
 */
export async function runNode(entry, args) {
  const file = resolve(entry);
  if (/\.[cm]?ts$/.test(file)) {
    // First, so that it sits next to Node's own resolver, below tsx's hooks (which call it).
    register('./source-condition.js', import.meta.url);
    // tsx resolved from this package (not from the working directory), so it works anywhere.
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    esm.register();
    cjs.register();
  }
  process.argv = [process.argv[0] ?? process.execPath, file, ...args];
  await import(pathToFileURL(file).href);
}
