#!/usr/bin/env node
// The `lakeloop` command. Runs the compiled CLI when dist/ exists (published package),
// otherwise the TypeScript source through tsx, so a git checkout needs no build step. Either way
// in this one process (see run-node.js).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNode } from './run-node.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
const entry = existsSync(compiled) ? compiled : join(root, 'src', 'cli', 'main.ts');
await runNode(entry, process.argv.slice(2));
