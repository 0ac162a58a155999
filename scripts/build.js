#!/usr/bin/env node
// `npm run build`: compiles src/ into a clean dist/ (tsc -p tsconfig.build.json), then ships the
// hand-written declaration files tsc does not copy (src/**/*.d.ts, e.g. the WebAssembly globals)
// and points every emitted declaration that uses them at them with a `/// <reference path>`, so an
// installed lakeloop type-checks under a consumer's own tsconfig (skipLibCheck: false, no DOM lib).
// Last, the web UI: ui/ into dist/ui/ with Vite (ui/vite.config.ts), which `lakeloop dev` serves at /.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

/** Files under `dir` (recursively) whose name ends with `suffix`. */
function filesEndingWith(dir, suffix) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name));
}

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

// Hand-written declarations: which global names each one declares (`declare namespace X`).
const globals = filesEndingWith(src, '.d.ts').map((file) => {
  const target = join(dist, relative(src, file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
  const names = [...readFileSync(file, 'utf8').matchAll(/^declare namespace (\w+)/gm)].map((m) => m[1]);
  return { target, names };
});
for (const file of filesEndingWith(dist, '.d.ts')) {
  if (globals.some((g) => g.target === file)) continue;
  const text = readFileSync(file, 'utf8');
  const references = globals
    .filter((g) => g.names.some((name) => text.includes(`${name}.`)))
    .map((g) => `/// <reference path="${relative(dirname(file), g.target).replaceAll('\\', '/')}" />\n`);
  if (references.length > 0) writeFileSync(file, references.join('') + text);
}

// The web UI (docs/ui.md). Vite is a dev dependency: a checkout builds it, an installed package ships it.
const { build } = await import('vite');
await build({ configFile: join(root, 'ui', 'vite.config.ts') });
