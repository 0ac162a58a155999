#!/usr/bin/env node
// The `lakeloop` command. In a git checkout (src/ is there) it runs the TypeScript source, so that
// `npm run build` never makes the checkout run stale compiled code; in an installed package (no
// src/) it runs the compiled dist/. Either way in this one process (see run-node.js).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNode } from './run-node.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
const entry = existsSync(source) ? source : join(root, 'dist', 'cli', 'main.js');
await runNode(entry, process.argv.slice(2));
