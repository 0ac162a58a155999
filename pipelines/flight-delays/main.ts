/**
 * `npm start`: the whole loop on the embedded default, with no server to install. Creates a fresh
 * instance (`.lakeloop/demo`, or `--home`), starts the daemon, commits January, lets the
 * data-commit sensor launch `retrain` (train, evaluate, register version 1), then commits February
 * to June one at a time, each retrain launched by the sensor; shows progress throughout and ends
 * with one row per model version.
 *
 * @example
 * ```sh
 * npm start                           # flights-3m, Jan..Jun (about 3 million rows)
 * npm start -- --data flights-2k      # the small version: Jan..Mar of flights-2k.json
 * npm start -- --json                 # the final table as JSON on stdout
 * npm start -- --serve                # keep `lakeloop dev` (API + daemon) running afterwards
 * ```
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeError, exitCodeOf, LakeloopError } from 'lakeloop';
import { DEMO_DATASETS, demoConfig } from './demo-data.js';
import type { DemoDataset } from './demo-data.js';
import { startDemo } from './demo-runner.js';
import type { DemoProgress, MonthOutcome } from './demo-runner.js';
import { formatVersionTable } from './version-table.js';

/** The file that marks a folder as a demo home (so a re-run may recreate it). */
const DEMO_MARKER = '.lakeloop-demo';

/** The default home of the demo. */
export const DEFAULT_DEMO_HOME = join('.lakeloop', 'demo');

interface MainOptions {
  data: DemoDataset;
  home?: string;
  serve: boolean;
  json: boolean;
  port: number;
}

/** Recreates the demo home: a default or previously used demo home is emptied; any other folder must be empty. */
function freshHome(home: string, given: boolean): void {
  if (existsSync(home) && readdirSync(home).length > 0) {
    if (given && !existsSync(join(home, DEMO_MARKER))) {
      throw new LakeloopError(
        'PRECONDITION_FAILED',
        `--home ${home} is not empty and was not made by the demo; pass a new or empty folder.`,
      );
    }
    rmSync(home, { recursive: true, force: true });
  }
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, DEMO_MARKER), 'Instance home of `npm start`; recreated on every run.\n');
}

function printProgress(progress: DemoProgress, json: boolean): void {
  const out = (line: string): void => {
    // with --json, stdout carries only the JSON: progress goes to stderr
    (json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  switch (progress.kind) {
    case 'committed':
      out(
        `\n[${progress.month}] committed ${progress.rows.toLocaleString('en-US')} rows as ${progress.commitId.slice(0, 12)} (${progress.seconds.toFixed(1)} s)`,
      );
      break;
    case 'run-started':
      out(
        `[${progress.month}] sensor launched run ${progress.runId.slice(0, 8)} (${Math.round(progress.latencyMs)} ms after the commit)`,
      );
      break;
    case 'step-started':
      out(`[${progress.month}]   ${progress.step} ...`);
      break;
    case 'step-finished':
      out(
        `[${progress.month}]   ${progress.step.step} ${progress.step.status.toLowerCase()} in ${progress.step.seconds.toFixed(1)} s`,
      );
      break;
    case 'log':
      out(`[${progress.month}]     ${progress.message}`);
      break;
    case 'run-finished':
      out(summaryLine(progress.outcome));
      break;
  }
}

function summaryLine(outcome: MonthOutcome): string {
  const head = `[${outcome.month}] run ${outcome.run.status} in ${outcome.runSeconds.toFixed(1)} s`;
  return outcome.failedChecks.length === 0
    ? head
    : `${head}; failed checks: ${outcome.failedChecks.join(' | ')}`;
}

async function main(options: MainOptions): Promise<void> {
  const home = resolve(options.home ?? DEFAULT_DEMO_HOME);
  freshHome(home, options.home !== undefined);
  const started = performance.now();
  const log = (line: string): void => {
    (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  log(`lakeloop demo: ${options.data}, instance home ${home}`);
  const demo = await startDemo({
    home,
    dataset: options.data,
    config: demoConfig(options.data),
    onProgress: (p) => {
      printProgress(p, options.json);
    },
  });
  const outcomes: MonthOutcome[] = [];
  try {
    log(
      `daemon running; sensor watches ${demo.settings.repository}@${demo.settings.branch} (months: ${demo.source.months.join(', ')})`,
    );
    for (const month of demo.source.months) outcomes.push(await demo.commitMonth(month));
    const rows = await demo.versions();
    const totalSeconds = (performance.now() - started) / 1000;
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ dataset: options.data, home, totalSeconds, versions: rows, runs: outcomes.map((o) => ({ month: o.month, commitId: o.commitId, runId: o.run.runId, status: o.run.status, latencyMs: o.latencyMs, runSeconds: o.runSeconds, failedChecks: o.failedChecks })) }, null, 2)}\n`,
      );
    } else {
      log(`\n${formatVersionTable(rows)}\n`);
      log(`${rows.length} model version(s) in ${totalSeconds.toFixed(1)} s; inspect them with:`);
      log(`  node bin/lakeloop.js --home ${home} models list`);
      log(`  node bin/lakeloop.js --home ${home} runs list`);
    }
    if (options.serve) {
      await demo.close();
      await serve(home, options.port, log);
    }
  } finally {
    await demo.close();
  }
}

/** Keeps `lakeloop dev` on the demo home running (until Ctrl-C). */
async function serve(home: string, port: number, log: (line: string) => void): Promise<void> {
  const { spawn } = await import('node:child_process');
  log(`\nstarting lakeloop dev on http://127.0.0.1:${port} (Ctrl-C to stop)`);
  const child = spawn(
    process.execPath,
    [
      join(import.meta.dirname, '..', '..', 'bin', 'lakeloop.js'),
      '--home',
      home,
      'dev',
      '--defs',
      join(import.meta.dirname, 'definitions.ts'),
      '--port',
      String(port),
    ],
    { stdio: 'inherit', env: { ...process.env, LAKELOOP_HOME: home } },
  );
  // Ctrl-C reaches both processes (same process group): the child stops cleanly (no run left
  // STARTED) and this one waits for it.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGTERM', () => {
    child.kill('SIGTERM'); // a SIGTERM is sent to this process only: pass it on
  });
  await new Promise<void>((done) =>
    child.on('exit', () => {
      done();
    }),
  );
}

const program = new Command('npm start --')
  .description('The flight-delay pipeline retrained by a sensor on every new month of data.')
  .addOption(
    new Option('--data <dataset>', 'flights-3m (Jan..Jun, 3M rows) or flights-2k (Jan..Mar)')
      .choices(DEMO_DATASETS)
      .default('flights-3m'),
  )
  .option('--home <dir>', `instance home (default ${DEFAULT_DEMO_HOME}, recreated on every run)`)
  .option('--serve', 'keep `lakeloop dev` (HTTP API + daemon) running afterwards', false)
  .option('--json', 'print the final table as JSON on stdout (progress goes to stderr)', false)
  .option(
    '--port <port>',
    'port of --serve',
    (value) => {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new InvalidArgumentError('a port number');
      return port;
    },
    3000,
  );

program.parse();
main(program.opts<MainOptions>()).catch((error: unknown) => {
  process.stderr.write(`error: ${describeError(error)}\n`);
  process.exitCode = error instanceof LakeloopError ? exitCodeOf(error) : 1;
});
