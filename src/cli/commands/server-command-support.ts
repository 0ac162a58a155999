/**
 * What the commands that run a server share (`lakeloop dev`, `lakeloop serve`): the API token
 * from `--token-file` / `--token` / `LAKELOOP_TOKEN`, the stderr logger, whole-number options and
 * waiting for Ctrl-C.
 *
 * @example
 * ```ts
 * const token = serverToken(options, command, 'lakeloop serve');
 * const signal = untilSignal();
 * ```
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { pino } from 'pino';
import { LakeloopError } from '../../errors.js';
import type { DaemonLogger } from '../../core/daemon/daemon.js';

/** The token options of a server command. */
export interface ServerTokenOptions {
  token?: string;
  tokenFile?: string;
}

/**
 * The API token of a server command: from `--token-file` (read, trimmed), else `--token` or
 * `LAKELOOP_TOKEN`. `--token` on the command line is visible to every user in `ps`: warn.
 */
export function serverToken(
  options: ServerTokenOptions,
  command: Command,
  commandName: string,
): string | undefined {
  const fromCli = command.getOptionValueSource('token') === 'cli';
  if (options.tokenFile !== undefined) {
    if (fromCli) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        'Give the API token with --token-file or --token, not both.',
      );
    }
    let text: string;
    try {
      text = readFileSync(options.tokenFile, 'utf8');
    } catch (cause) {
      throw new LakeloopError(
        'NOT_FOUND',
        `Cannot read the token file ${options.tokenFile}; check the path and its permissions.`,
        { cause },
      );
    }
    const token = text.trim();
    if (token === '') {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `The token file ${options.tokenFile} is empty; write the token in it.`,
      );
    }
    return token;
  }
  if (fromCli) {
    process.stderr.write(
      `${commandName}: warning: --token is visible to other users of this machine (ps, /proc); use --token-file <path> or LAKELOOP_TOKEN instead.\n`,
    );
  }
  return options.token;
}

/** A commander parser of a whole number >= 0 named `name` in its error. */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) {
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `${name} must be a whole number >= 0 (got ${JSON.stringify(value)}).`,
      );
    }
    return n;
  };
}

/** The pino logger of a server command, on stderr, never writing a token. */
export function cliLogger(level: string | undefined): DaemonLogger {
  return pino(
    {
      level: level ?? 'info',
      base: undefined,
      // Belt and braces: nothing logs these, but a token must never reach a log line.
      redact: {
        paths: ['token', 'authorization', '*.token', '*.authorization', 'headers'],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}

/** Resolves when the process gets SIGINT or SIGTERM (a second one exits at once). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = (): void => {
        process.stderr.write('Forced exit.\n');
        process.exit(130);
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
