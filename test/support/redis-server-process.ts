/**
 * Starts a private Redis server (Debian's `redis-server`) for the tests and benchmarks: a free
 * loopback port, a temporary data folder, the settings docs/deployment.md asks for in production
 * (AOF with `appendfsync everysec`, `maxmemory-policy noeviction`, no RDB snapshots), and stops it
 * (removing the folder) on `stop()`. It never touches a Redis server configured in the caller's
 * environment.
 *
 * @example
 * ```ts
 * await using redis = await startRedisServer();
 * console.log(redis.url); // redis://127.0.0.1:40123
 * ```
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** A running Redis server. */
export interface RedisServerProcess extends AsyncDisposable {
  url: string;
  port: number;
  /** Its data folder (AOF files). */
  dir: string;
  stop(): Promise<void>;
}

/** The redis-server binary (REDIS_SERVER overrides; default from PATH). */
function redisServerBinary(): string {
  return process.env.REDIS_SERVER ?? 'redis-server';
}

/** Why a Redis server cannot be started here, or undefined when it can. */
export function redisUnavailableReason(): string | undefined {
  try {
    execFileSync(redisServerBinary(), ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'No Redis server: `redis-server` is not installed; `apt-get install redis-server` (.ci/run does) to run the queue tests.';
  }
}

/** Answers true once the server replies +PONG on `port`. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.once('error', () => {
      resolve(false);
    });
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/** Starts the server; rejects (with its log) when it does not answer in time. */
export async function startRedisServer(
  options: {
    timeoutMs?: number;
    /**
     * Runs the server on another test host (test/support/netns-hosts.ts): it then listens on every
     * address of that host and is pinged from there with redis-cli; the URL names 127.0.0.1 as seen
     * from that host. Default: this host, loopback only.
     */
    onHost?: (file: string, args: string[]) => [string, string[]];
  } = {},
): Promise<RedisServerProcess> {
  const onHost = options.onHost;
  const reason = redisUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  const dir = mkdtempSync(join(tmpdir(), 'lakeloop-redis-'));
  const port = await freePort();
  const logFile = join(dir, 'redis.log');
  const serverArgs = [
    '--bind',
    onHost === undefined ? '127.0.0.1' : '0.0.0.0',
    // Its own namespace holds only the test's links; without a password Redis would refuse them.
    ...(onHost === undefined ? [] : ['--protected-mode', 'no']),
    '--port',
    String(port),
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
    '--logfile',
    logFile,
    '--daemonize',
    'no',
  ];
  const [file, args] =
    onHost === undefined ? [redisServerBinary(), serverArgs] : onHost(redisServerBinary(), serverArgs);
  const child: ChildProcess = spawn(file, args, { stdio: 'ignore' });
  const state = { exited: false };
  child.once('exit', () => {
    state.exited = true;
  });
  const stop = async (): Promise<void> => {
    if (!state.exited) {
      const done = new Promise<void>((resolve) => {
        child.once('exit', () => {
          resolve();
        });
      });
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8').slice(-2000);
    } catch {
      return '(no log)';
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (state.exited) {
      const text = log();
      await stop();
      throw new Error(`redis-server exited during startup:\n${text}`);
    }
    if (onHost === undefined ? await pings(port) : pingsOnHost(port, onHost)) break;
    if (Date.now() > deadline) {
      const text = log();
      await stop();
      throw new Error(`redis-server did not answer in time:\n${text}`);
    }
    // Polling a child process's port: there is no event to wait for.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, port, dir, stop, [Symbol.asyncDispose]: stop };
}

/** Whether redis-cli on the server's host gets PONG. */
function pingsOnHost(port: number, onHost: (file: string, args: string[]) => [string, string[]]): boolean {
  const [file, args] = onHost('redis-cli', ['-p', String(port), 'ping']);
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).startsWith(
      'PONG',
    );
  } catch {
    return false;
  }
}
