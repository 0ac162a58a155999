#!/usr/bin/env node
// The import rules of src/ (run by `npm run lint`): no import cycles between modules (value imports;
// `import type` is erased at compile time and cannot create a runtime cycle), and the layer rule:
// src/core/** imports nothing of src/versioning, src/tracking, src/ml, src/server, src/cli (also
// checked by eslint's no-restricted-imports as you type). Prints one line per violation, exit 1.
//
//   node scripts/check-imports.js [srcDir]    # default: src/ of this repository
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Layers core must not import. */
export const LAYERS_ABOVE_CORE = ['versioning', 'tracking', 'ml', 'server', 'cli'];

const IMPORT =
  /^\s*(import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm;

/** Relative value imports of a module's source: static ones (`static: true`) and `import()`. */
export function relativeImports(text) {
  const found = [];
  for (const match of text.matchAll(IMPORT)) {
    if (match[4] !== undefined) found.push({ specifier: match[4], static: false });
    else if (match[2] === undefined && !/^\s*(import|export)\s+\{\s*type\b[^}]*\}\s*from/.test(match[0]))
      found.push({ specifier: match[3], static: true });
  }
  return found;
}

/** The .ts modules under `dir` (tests and declaration files excluded). */
function modulesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ts$/.test(e.name) && !/\.(test|d)\.ts$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Violations of the import rules under `srcDir`, as readable lines (empty when none). */
export function checkImports(srcDir) {
  const root = resolve(srcDir);
  const modules = modulesUnder(root);
  const known = new Set(modules);
  const graph = new Map();
  const problems = [];
  for (const file of modules) {
    const edges = [];
    const from = relative(root, file).replaceAll('\\', '/');
    for (const { specifier, static: isStatic } of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      const to = relative(root, target).replaceAll('\\', '/');
      const layer = to.split('/')[0];
      if (from.startsWith('core/') && LAYERS_ABOVE_CORE.includes(layer ?? '')) {
        problems.push(
          `layer: src/${from} imports src/${to} (core imports nothing of ${LAYERS_ABOVE_CORE.join(', ')})`,
        );
      }
      // Only static imports make a cycle that module evaluation order can trip over.
      if (isStatic && known.has(target)) edges.push(target);
    }
    graph.set(file, edges);
  }
  for (const cycle of findCycles(graph)) {
    problems.push(
      `cycle: ${cycle.map((f) => `src/${relative(root, f).replaceAll('\\', '/')}`).join(' -> ')}`,
    );
  }
  return problems;
}

/** One cycle per strongly connected component with more than one module (or a self-import). */
function findCycles(graph) {
  // Tarjan's algorithm, iterative enough for src/'s depth.
  let index = 0;
  const indexOf = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (node) => {
    indexOf.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), indexOf.get(next)));
    }
    if (low.get(node) !== indexOf.get(node)) return;
    const component = [];
    for (;;) {
      const member = stack.pop();
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1 || (graph.get(node) ?? []).includes(node))
      cycles.push(pathThrough(graph, component));
  };
  for (const node of graph.keys()) if (!indexOf.has(node)) visit(node);
  return cycles;
}

/** A concrete cycle inside a strongly connected component, for the message (a -> b -> a). */
function pathThrough(graph, component) {
  const members = new Set(component);
  const start = [...members].sort()[0];
  const seen = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let n = node; n !== undefined && n !== start; n = seen.get(n)) path.splice(1, 0, n);
        return [...path, start];
      }
      if (!seen.has(next)) {
        seen.set(next, node);
        queue.push(next);
      }
    }
  }
  return [...component, component[0]];
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const problems = checkImports(srcDir);
  for (const problem of problems) console.error(`check-imports: ${problem}`);
  if (problems.length > 0) {
    console.error(
      `check-imports: ${problems.length} violation(s) of the import rules (see scripts/check-imports.js)`,
    );
    process.exit(1);
  }
}
