/**
 * CLI start-up: the median wall time of N runs of `lakeloop --version` and `lakeloop runs list`
 * (an empty instance home) from this checkout (bin/lakeloop.js: the compiled cache of src/, see
 * bin/compiled-cache.js; built by the warm-up run when src/ changed) and from the built package
 * (dist/, plain Node; skipped when dist/ is missing: `npm run build`). Goal for `runs list` from a
 * checkout: <= 400 ms median.
 *
 *   npm run bench -- cli-startup         # N = 10; LAKELOOP_BENCH_RUNS=20 for more
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportBench } from './bench-report.js';
import type { BenchFigure } from './bench-report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.LAKELOOP_BENCH_RUNS ?? 10);
const home = mkdtempSync(join(tmpdir(), 'lakeloop-cli-bench-'));

/** Median wall milliseconds of `runs` runs of `node <args>` (after one warm-up run). */
function medianMs(args: readonly string[]): number {
  const once = (): number => {
    const start = performance.now();
    const result = spawnSync(process.execPath, args, {
      cwd: home,
      env: { ...process.env, LAKELOOP_HOME: join(home, '.lakeloop') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr.toString()}`);
    return performance.now() - start;
  };
  once();
  const times = Array.from({ length: runs }, once).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

// Each command line after `node`: the checkout's launcher (runs the compiled cache of src/), and
// what an installed package's launcher does (bin/run-node.js on dist/cli/main.js, plain Node).
const commands: [string, string[]][] = [['checkout', [join(root, 'bin', 'lakeloop.js')]]];
if (existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  commands.push(['package', [join(root, 'bin', 'run-ts.js'), join(root, 'dist', 'cli', 'main.js')]]);
}
const figures: BenchFigure[] = [];
try {
  for (const [where, prefix] of commands) {
    figures.push({ name: `${where}_version_median`, value: medianMs([...prefix, '--version']), unit: 'ms' });
    figures.push({
      name: `${where}_runs_list_median`,
      value: medianMs([...prefix, 'runs', 'list']),
      unit: 'ms',
      ...(where === 'checkout' ? { goal: '<= 400 ms' } : {}),
    });
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
reportBench('cli-startup', figures);
