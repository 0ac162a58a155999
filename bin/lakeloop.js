#!/usr/bin/env node
// The `lakeloop` command. In a git checkout (src/ is there) it runs a compiled copy of the
// TypeScript source, rebuilt whenever a file under src/ changes (see compiled-cache.js), so that
// `npm run build` never makes the checkout run stale compiled code and start-up does not pay for
// transpiling; in an installed package (no src/) it runs the compiled dist/. Either way with plain
// Node, in this one process (see run-node.js); tsx is registered only if a `.ts` definitions
// module is loaded (src/core/execution/definitions-loader.ts).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNode } from './run-node.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let entry = join(root, 'dist', 'cli', 'main.js');
if (existsSync(join(root, 'src', 'cli', 'main.ts'))) {
  const { ensureCompiledCache } = await import('./compiled-cache.js');
  try {
    const { folder } = await ensureCompiledCache({ root });
    entry = join(folder, 'src', 'cli', 'main.js');
  } catch (error) {
    // E.g. a read-only node_modules: run the source through tsx, slower but the same program.
    console.error(`lakeloop: cannot build the compiled cache of src/ (${error}); running src/ through tsx.`);
    entry = join(root, 'src', 'cli', 'main.ts');
  }
}
await runNode(entry, process.argv.slice(2));
