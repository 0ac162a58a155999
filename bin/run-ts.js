#!/usr/bin/env node
// Runs a TypeScript entry point from source, in this process: `node bin/run-ts.js <entry.ts> [args...]`.
import { runNode } from './run-node.js';

const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
  console.error('usage: run-ts <entry.ts> [args...]');
  process.exit(2);
}
await runNode(entry, args);
