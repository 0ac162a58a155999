/**
 * Starts a PRIVATE PostgreSQL cluster for tests and benchmarks: `initdb` into a temporary folder,
 * `postgres` on a free loopback port with its socket in that folder (no system service, nothing
 * outside the folder), one database created; `stop()` shuts it down (fast shutdown, then SIGKILL)
 * and removes the folder. PostgreSQL refuses to run as root: as root, the cluster runs as the
 * `postgres` user that Debian's package creates (else `nobody`), and the folder is chowned to it.
 * Binaries: `$LAKELOOP_POSTGRES_BIN`, else the newest /usr/lib/postgresql/<version>/bin, else PATH.
 *
 * @example
 * ```ts
 * await using server = await startPostgresServer();
 * console.log(server.url); // postgres://lakeloop@127.0.0.1:43817/lakeloop_test
 * ```
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

/** A running private cluster. */
export interface PostgresServerProcess extends AsyncDisposable {
  /** URL of its database (user `lakeloop`, no password: trust on loopback only). */
  url: string;
  port: number;
  /** Data folder, socket and log. */
  dir: string;
  stop(): Promise<void>;
}

/** Options of {@link startPostgresServer}. */
export interface StartPostgresOptions {
  /** Database to create. Default `lakeloop_test`. */
  database?: string;
  /** Durable commits (`fsync`, `synchronous_commit`): on for benchmarks. Default false (tests). */
  durable?: boolean;
  /** How long startup may take. Default 60 s. */
  timeoutMs?: number;
  /**
   * Runs the server on another test host (test/support/netns-hosts.ts: `(f, a) => net.command('svc', f, a)`):
   * it then listens on every address of that host, and startup is checked from that host with psql.
   * The URL returned names 127.0.0.1, as seen from that host. Default: this host, loopback only.
   */
  onHost?: (file: string, args: string[]) => [string, string[]];
}

/** The folder holding `initdb` and `postgres`, or undefined. */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env.LAKELOOP_POSTGRES_BIN;
  if (fromEnv !== undefined && fromEnv !== '')
    return existsSync(join(fromEnv, 'initdb')) ? fromEnv : undefined;
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join('/usr/lib/postgresql', versions[0], 'bin');
  } catch {
    // not Debian's layout
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

/** Why a private cluster cannot be started here, or undefined when it can. */
export function postgresUnavailableReason(): string | undefined {
  if (postgresBinDir() === undefined) {
    return 'No PostgreSQL binaries (initdb, postgres) found in /usr/lib/postgresql/*/bin or on PATH; install them with `apt-get install postgresql` (the tests start their own private cluster, no service needed).';
  }
  if (process.getuid?.() === 0 && runAsUser() === undefined) {
    return 'Running as root and no unprivileged user (postgres or nobody) to run PostgreSQL as.';
  }
  return undefined;
}

/** The uid/gid to run the cluster as when this process is root. */
function runAsUser(): { uid: number; gid: number } | undefined {
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      if (Number.isInteger(uid) && uid > 0) return { uid, gid };
    } catch {
      // no such user
    }
  }
  return undefined;
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

/** Starts the cluster; rejects (with its log) when it does not accept connections in time. */
export async function startPostgresServer(
  options: StartPostgresOptions = {},
): Promise<PostgresServerProcess> {
  const reason = postgresUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  const bin = postgresBinDir() ?? '';
  const database = options.database ?? 'lakeloop_test';
  const dir = mkdtempSync(join(tmpdir(), 'lakeloop-postgres-'));
  const user = process.getuid?.() === 0 ? runAsUser() : undefined;
  if (user !== undefined) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  const identity = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C', PGTZ: 'UTC' };
  const data = join(dir, 'data');
  const logPath = join(dir, 'server.log');
  try {
    execFileSync(
      join(bin, 'initdb'),
      ['-D', data, '-A', 'trust', '-U', 'lakeloop', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...identity, env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${(error as Error).message}\n${stderr}`);
  }
  if (options.onHost !== undefined) {
    // Its host is a test namespace whose only links are the test's own hosts: trust them.
    appendFileSync(join(data, 'pg_hba.conf'), 'host all all 0.0.0.0/0 trust\n');
  }
  const port = await freePort();
  const durable = options.durable ?? false;
  const onHost = options.onHost;
  const settings = [
    `listen_addresses=${onHost === undefined ? '127.0.0.1' : '*'}`,
    `unix_socket_directories=${dir}`,
    'max_connections=200',
    'shared_buffers=64MB',
    ...(durable ? [] : ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off']),
  ];
  const logFd = openSync(logPath, 'a');
  if (user !== undefined) chownSync(logPath, user.uid, user.gid);
  const serverArgs = ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])];
  // On another host the wrapper (`ip netns exec`) needs root, so the privileges drop after it.
  const [file, args] =
    onHost === undefined
      ? [join(bin, 'postgres'), serverArgs]
      : onHost(
          user === undefined ? join(bin, 'postgres') : 'setpriv',
          user === undefined
            ? serverArgs
            : [
                `--reuid=${user.uid}`,
                `--regid=${user.gid}`,
                '--clear-groups',
                join(bin, 'postgres'),
                ...serverArgs,
              ],
        );
  const child: ChildProcess = spawn(file, args, {
    ...(onHost === undefined ? identity : {}),
    env,
    cwd: dir,
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const state = { exited: false };
  child.once('exit', () => {
    state.exited = true;
  });
  const stop = async (): Promise<void> => {
    if (!state.exited && child.pid !== undefined) {
      const done = new Promise<void>((resolve) => {
        child.once('exit', () => {
          resolve();
        });
      });
      try {
        process.kill(child.pid, 'SIGINT'); // fast shutdown: disconnects clients, then exits
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 10_000);
      await done;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const adminUrl = `postgres://lakeloop@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (state.exited) {
      const log = tail(logPath);
      await stop();
      throw new Error(`PostgreSQL exited during startup:\n${log}`);
    }
    try {
      await createDatabase(adminUrl, database, onHost, bin);
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        const log = tail(logPath);
        await stop();
        throw new Error(
          `PostgreSQL did not accept connections in time (${(error as Error).message}):\n${log}`,
        );
      }
    }
    // Polling a child process's port: there is no event to wait for.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `postgres://lakeloop@127.0.0.1:${port}/${database}`,
    port,
    dir,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Creates the database: over a client from here, or with psql on the server's host. */
async function createDatabase(
  adminUrl: string,
  database: string,
  onHost: StartPostgresOptions['onHost'],
  bin: string,
): Promise<void> {
  if (onHost !== undefined) {
    const [file, args] = onHost(join(bin, 'psql'), [adminUrl, '-q', '-c', `CREATE DATABASE "${database}"`]);
    execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return;
  }
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
