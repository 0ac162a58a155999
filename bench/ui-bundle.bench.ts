/**
 * The web UI's weight: what the first page (Home: index.html, the entry chunk and its imports, the
 * CSS) costs over the wire, gzip-compressed (goal ≤ 400 KB), and what each other page adds when it
 * is first opened (its lazy chunk and the chunks only it imports). Reads Vite's manifest in
 * dist/ui/.vite/manifest.json (built first when missing or stale).
 *
 *   npm run bench -- ui-bundle
 *
 * Figures go to bench/results/ui-bundle.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureUiBuilt } from '../src/server/ui-build.js';
import { defaultUiDir } from '../src/server/ui-static.js';
import { reportBench } from './bench-report.js';
import type { BenchFigure } from './bench-report.js';

interface ManifestChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  isEntry?: boolean;
}

const uiDir = defaultUiDir();
await ensureUiBuilt(uiDir, () => {
  console.log('building the web UI...');
});
const manifest = JSON.parse(readFileSync(join(uiDir, '.vite', 'manifest.json'), 'utf8')) as Record<
  string,
  ManifestChunk
>;
const gzipKb = (file: string): number =>
  gzipSync(readFileSync(join(uiDir, file)), { level: 9 }).length / 1024;

/** The files a chunk loads with it: itself, its static imports (transitively), their CSS. */
function filesOf(key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return new Set();
  seen.add(key);
  const chunk = manifest[key];
  if (chunk === undefined) return new Set();
  const files = new Set([chunk.file, ...(chunk.css ?? [])]);
  for (const imported of chunk.imports ?? []) for (const file of filesOf(imported, seen)) files.add(file);
  return files;
}

const entry = Object.keys(manifest).find((key) => manifest[key]?.isEntry === true) ?? 'index.html';
const firstPage = new Set(['index.html', ...filesOf(entry)]);
const sum = (files: Iterable<string>): number => [...files].reduce((total, file) => total + gzipKb(file), 0);
const figures: BenchFigure[] = [
  { name: 'first_page_gzip', value: sum(firstPage), unit: 'KB', goal: '<= 400 KB' },
];
for (const page of manifest[entry]?.dynamicImports ?? []) {
  const added = [...filesOf(page)].filter((file) => !firstPage.has(file));
  const name = /([\w-]+)-page\.tsx$/.exec(page)?.[1] ?? page;
  figures.push({ name: `page_${name}_adds_gzip`, value: sum(added), unit: 'KB' });
}
reportBench('ui-bundle', figures, { firstPageFiles: [...firstPage] });
