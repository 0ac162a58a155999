/**
 * The `lakeloop` command tree. Each area registers its own sub-commands from `commands/`; only the
 * area of the command being run is imported (the data commands load DuckDB, the automation commands
 * the HTTP server: `lakeloop runs list` needs neither), so start-up stays fast.
 *
 * @example
 * ```sh
 * lakeloop materialize --defs pipeline.ts --select '*'
 * ```
 */
import { endQuietlyOnBrokenPipe } from './broken-pipe.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { LakeloopError } from '../errors.js';
import { reportCliError, reportUsageError } from './output.js';

type Register = (program: Command) => void;

/** Which top-level commands each area module registers, and how to import it. */
const COMMAND_AREAS: readonly { commands: readonly string[]; load: () => Promise<Register> }[] = [
  {
    commands: ['materialize', 'runs', 'assets'],
    load: async () => (await import('./commands/core-commands.js')).registerCoreCommands,
  },
  {
    commands: ['data'],
    load: async () => (await import('./commands/data-commands.js')).registerDataCommands,
  },
  {
    commands: ['experiments', 'training-runs', 'models'],
    load: async () => (await import('./commands/tracking-commands.js')).registerTrackingCommands,
  },
  {
    commands: ['dev', 'daemon', 'sensors'],
    load: async () => (await import('./commands/automation-commands.js')).registerAutomationCommands,
  },
  {
    commands: ['worker'],
    load: async () => (await import('./commands/worker-command.js')).registerWorkerCommand,
  },
  {
    commands: ['serve'],
    load: async () => (await import('./commands/serving-commands.js')).registerServingCommands,
  },
  {
    commands: ['tokens'],
    load: async () => (await import('./commands/token-commands.js')).registerTokenCommands,
  },
  {
    commands: ['instance'],
    load: async () => (await import('./commands/instance-commands.js')).registerInstanceCommands,
  },
];

/** Global options that take a value (so that value is not mistaken for the command name). */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--home']);

/** The command a usage error came from, so the message can point at its `--help`. */
const failedCommands = new WeakMap<CommanderError, Command>();

/** The version in lakeloop's package.json (two levels up from both src/cli/ and dist/cli/). */
export function lakeloopVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}

/**
 * The top-level command `argv` runs (`runs` in `--home x runs list`), or undefined for none
 * (`--help`, `--version`, no arguments).
 */
export function topLevelCommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return argv[i + 1];
    if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * Builds the command tree (exported for tests). With `argv`, only the area module of the command
 * it names is imported; without (or for help and unknown commands), all of them.
 *
 * @example
 * ```ts
 * const program = await buildProgram(['runs', 'list']);
 * await program.parseAsync(['runs', 'list'], { from: 'user' });
 * ```
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('lakeloop')
    .description(
      'ML pipelines as software-defined assets over versioned data, with tracking and a model registry.',
    )
    .version(lakeloopVersion(), '-V, --version', 'print the lakeloop version')
    .option('--home <dir>', 'instance home (default: $LAKELOOP_HOME or .lakeloop)')
    // Usage errors are printed as one line by runCli (not commander's message followed by the help).
    .configureOutput({ outputError: () => undefined })
    // Definitions modules (and the resources they open) read LAKELOOP_HOME: make --home reach them too.
    .hook('preAction', (command) => {
      const home = command.opts<{ home?: string }>().home;
      if (home !== undefined) process.env.LAKELOOP_HOME = resolve(home);
    });
  const name = argv === undefined ? undefined : topLevelCommand(argv);
  const known = COMMAND_AREAS.find((area) => name !== undefined && area.commands.includes(name));
  // `lakeloop --version` needs no command at all; help and unknown commands need every one.
  const versionOnly =
    argv !== undefined && name === undefined && argv.some((a) => a === '-V' || a === '--version');
  const areas = versionOnly ? [] : known === undefined ? COMMAND_AREAS : [known];
  for (const register of await Promise.all(areas.map((area) => area.load()))) register(program);
  rememberFailingCommand(program);
  return program;
}

/** Makes every command throw its usage errors (instead of exiting), remembering which command it was. */
function rememberFailingCommand(command: Command): void {
  command.exitOverride((error) => {
    failedCommands.set(error, command);
    throw error;
  });
  for (const sub of command.commands) rememberFailingCommand(sub);
}

/** `lakeloop runs list` for the `list` command under `runs`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * commander's message as one line: `error: unknown option '--selec'\n(Did you mean --select?)`
 * becomes `unknown option '--selec' (did you mean --select?)`.
 */
export function usageMessage(error: CommanderError, command?: Command): string {
  const message = error.message
    .replace(/^error: /, '')
    .replace(/\(Did you mean/g, '(did you mean')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
  return `${message}; see ${command === undefined ? 'lakeloop' : commandPath(command)} --help`;
}

/** Runs the CLI with `argv` (without node and script). */
export async function runCli(argv: readonly string[]): Promise<void> {
  endQuietlyOnBrokenPipe(process.stdout);
  try {
    const program = await buildProgram(argv);
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help, --version and a command group without its sub-command print what they print; a
      // usage error (unknown option, missing argument, …) is one line, exit code 2.
      if (error.exitCode === 0) process.exitCode = 0;
      else if (error.code === 'commander.help') process.exitCode = 2;
      else reportUsageError(usageMessage(error, failedCommands.get(error)));
      return;
    }
    reportCliError(error instanceof Error ? error : new LakeloopError('INTERNAL', String(error)));
  }
}
