/**
 * `npm run bench`: runs every `bench/*.bench.ts` in its own process (so memory figures are its
 * own), one after another; `npm run bench -- <filter>` runs those whose name contains the filter,
 * and passes the arguments after it to each (`npm run bench -- api --only lineage`).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const forwarded = process.argv.slice(3);
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts') && f.includes(filter))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n### ${file}`);
  const result = spawnSync(
    process.execPath,
    ['--expose-gc', '--conditions=lakeloop-source', '--import', 'tsx', join(benchDir, file), ...forwarded],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) failed++;
}
console.log(`\n${files.length - failed} benchmarks ran, ${failed} failed; figures in bench/results/`);
process.exit(failed === 0 ? 0 : 1);
