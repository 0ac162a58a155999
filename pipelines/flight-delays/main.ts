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
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeError, exitCodeOf, LakeloopError } from 'lakeloop';
import { DEMO_DATASETS } from './demo-data.js';
import type { DemoDataset } from './demo-data.js';
import { runDemoLoop } from './demo-loop.js';

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

async function main(options: MainOptions): Promise<void> {
  const home = resolve(options.home ?? DEFAULT_DEMO_HOME);
  freshHome(home, options.home !== undefined);
  const log = (line: string): void => {
    // with --json, stdout carries only the JSON: progress goes to stderr
    (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  await runDemoLoop({
    home,
    dataset: options.data,
    json: options.json,
    log,
    writeJson: (text) => process.stdout.write(`${text}\n`),
  });
  if (options.serve) await serve(home, options.port, log);
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
