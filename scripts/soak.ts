/**
 * `npm run soak`: the long run of the crash suite. Runs crash trials (test/reliability/crash-trial.ts:
 * a child daemon or `lakeloop dev` SIGKILLed at seeded points of the flight-delays loop on
 * flights-2k, then the instance invariants) with seeds `seed`, `seed + 1`, …; prints one line per
 * trial and a summary (trials, kills per stage, violations with the seed of each failing trial);
 * writes bench/results/soak.json; exits 1 on any violation. Homes of failing trials are kept.
 *
 * @example
 * ```sh
 * npm run soak -- --trials 100 --seed 1
 * npm run soak -- --minutes 20 --seed 1        # as many trials as fit in 20 minutes
 * npm run soak -- --trials 1 --seed 17 --keep  # replay one seed, keep its home
 * ```
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { runCrashTrial } from '../test/reliability/crash-trial.js';
import type { CrashTrialResult } from '../test/reliability/crash-trial.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface SoakOptions {
  trials: number;
  seed: number;
  minutes?: number;
  maxKills: number;
  keep: boolean;
  out: string;
}

const whole = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`${name}: a whole number >= ${String(min)}`);
  return n;
};

async function main(options: SoakOptions): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'lakeloop-soak-'));
  const sourceDir = join(dir, 'source');
  const deadline = options.minutes === undefined ? Infinity : Date.now() + options.minutes * 60_000;
  const results: CrashTrialResult[] = [];
  const started = Date.now();
  process.stdout.write(
    `soak: up to ${String(options.trials)} trial(s)${options.minutes === undefined ? '' : ` or ${String(options.minutes)} min`}, seeds from ${String(options.seed)}, at most ${String(options.maxKills)} kills each, in ${dir}\n`,
  );
  for (let i = 0; i < options.trials && Date.now() < deadline; i++) {
    const seed = options.seed + i;
    const home = join(dir, `seed-${String(seed)}`);
    const result = await runCrashTrial({ seed, home, sourceDir, maxKills: options.maxKills });
    results.push(result);
    const failed = result.violations.length > 0;
    process.stdout.write(
      `[${String(i + 1)}] seed ${String(seed)}: ${failed ? `${String(result.violations.length)} VIOLATION(S)` : 'ok'}; ` +
        `${String(result.kills.length)} kill(s) (${result.kills.map((k) => `${k.target}→${k.observed}`).join(', ') || 'none'}); ` +
        `runs ${Object.entries(result.runs)
          .map(([s, n]) => `${s} ${String(n)}`)
          .join(', ')}; ${result.seconds.toFixed(1)} s\n`,
    );
    for (const violation of result.violations) process.stdout.write(`      ${violation}\n`);
    if (failed || options.keep) process.stdout.write(`      home kept: ${home}\n`);
    else rmSync(`${home}-work`, { recursive: true, force: true });
    if (!failed && !options.keep) rmSync(home, { recursive: true, force: true });
  }

  const byTarget: Record<string, number> = {};
  const byObserved: Record<string, number> = {};
  for (const kill of results.flatMap((r) => r.kills)) {
    byTarget[kill.target] = (byTarget[kill.target] ?? 0) + 1;
    const observed = kill.observed.startsWith('import') ? 'import' : kill.observed;
    byObserved[observed] = (byObserved[observed] ?? 0) + 1;
  }
  const failing = results.filter((r) => r.violations.length > 0);
  const summary = {
    command: `npm run soak -- --trials ${String(options.trials)} --seed ${String(options.seed)}${options.minutes === undefined ? '' : ` --minutes ${String(options.minutes)}`} --max-kills ${String(options.maxKills)}`,
    trials: results.length,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    kills: results.reduce((n, r) => n + r.kills.length, 0),
    spared: results.reduce((n, r) => n + r.spared, 0),
    killsByTarget: byTarget,
    killsByObservedStage: byObserved,
    failingTrials: failing.length,
    violations: failing.map((r) => ({
      seed: r.seed,
      home: r.home,
      violations: r.violations,
      kills: r.kills,
    })),
  };
  const out = join(root, options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `\nsoak: ${String(summary.trials)} trial(s) in ${String(summary.seconds)} s, ${String(summary.kills)} kill(s), ${String(summary.spared)} spared (last re-execution of a chain)\n` +
      `kills by target:         ${JSON.stringify(byTarget)}\n` +
      `kills by observed stage: ${JSON.stringify(byObserved)}\n` +
      `violations: ${String(failing.reduce((n, r) => n + r.violations.length, 0))} in ${String(failing.length)} trial(s)` +
      (failing.length === 0 ? '' : ` (seeds ${failing.map((r) => String(r.seed)).join(', ')})`) +
      `\nwritten: ${options.out}\n`,
  );
  if (failing.length === 0 && !options.keep) rmSync(dir, { recursive: true, force: true });
  return failing.length === 0 ? 0 : 1;
}

const program = new Command('npm run soak --')
  .description(
    'Crash trials of the flight-delays loop (SIGKILLs at seeded points) and their invariant checks.',
  )
  .option('--trials <n>', 'number of trials', whole('--trials', 1), 100)
  .option('--seed <n>', 'seed of the first trial (then +1 each)', whole('--seed', 0), 1)
  .option('--minutes <n>', 'stop starting trials after this long', whole('--minutes', 1))
  .option('--max-kills <n>', 'kills per trial before the clean run', whole('--max-kills', 0), 5)
  .option('--keep', 'keep every home (failing ones are always kept)', false)
  .option('--out <file>', 'summary JSON, relative to the repository', 'bench/results/soak.json');
program.parse();
main(program.opts<SoakOptions>()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
