/**
 * A real S3-compatible server for the S3 IO manager tests: MinIO, a Go module, installed by name
 * with `go install` into the checkout's ignored `.cache/go-bin` on first use (pinned version; it
 * took 2m40s–3m30s to build here; `.ci/run` installs it before the tests), started on a free
 * loopback port with a temporary data folder and test credentials, stopped (folder removed) on
 * `stop()`. MinIO is AGPL-3.0: used only as a test server, never shipped or committed.
 *
 * @example
 * ```ts
 * await using minio = await startMinioServer();
 * const io = S3IoManager.fromUrl('s3://test/values', minio.env);
 * ```
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

/** The pinned MinIO module version (the design brief's). */
export const MINIO_MODULE = 'github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c';
/** Where `go install` puts it (gitignored). */
export const MINIO_BIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '.cache',
  'go-bin',
  'minio',
);

/** A running MinIO server. */
export interface MinioServerProcess extends AsyncDisposable {
  endpoint: string;
  /** The AWS environment for clients of this server (endpoint, test credentials, region). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Installs MinIO with `go install` unless present; returns why it cannot be had, or undefined. */
export function ensureMinioBinary(): string | undefined {
  if (existsSync(MINIO_BIN)) return undefined;
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    return `No S3 server: ${MINIO_BIN} is missing and Go is not installed to build it (go install ${MINIO_MODULE}).`;
  }
  const started = Date.now();
  try {
    execFileSync('go', ['install', MINIO_MODULE], {
      env: { ...process.env, GOBIN: dirname(MINIO_BIN), GOFLAGS: '-buildvcs=false' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 15 * 60_000,
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().slice(-1500) ?? String(error);
    return `No S3 server: go install ${MINIO_MODULE} failed: ${stderr}`;
  }
  console.log(`installed MinIO in ${Math.round((Date.now() - started) / 1000)} s (${MINIO_BIN})`);
  return undefined;
}

/** Starts MinIO (installing it first when needed); rejects with its log when it does not get ready. */
export async function startMinioServer(options: { timeoutMs?: number } = {}): Promise<MinioServerProcess> {
  const reason = ensureMinioBinary();
  if (reason !== undefined) throw new Error(reason);
  const dir = mkdtempSync(join(tmpdir(), 'lakeloop-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;
  const user = 'lakeloop-test';
  const password = 'lakeloop-test-secret';
  const logPath = join(dir, 'minio.log');
  const logFd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(
    MINIO_BIN,
    [
      'server',
      join(dir, 'data'),
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      '--quiet',
    ],
    {
      stdio: ['ignore', logFd, logFd],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        MINIO_ROOT_USER: user,
        MINIO_ROOT_PASSWORD: password,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CALLHOME_ENABLE: 'off',
      },
    },
  );
  closeSync(logFd);
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
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (state.exited) {
      const log = readFileSync(logPath, 'utf8').slice(-2000);
      await stop();
      throw new Error(`MinIO exited during startup:\n${log}`);
    }
    try {
      if ((await fetch(`${endpoint}/minio/health/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const log = readFileSync(logPath, 'utf8').slice(-2000);
      await stop();
      throw new Error(`MinIO did not get ready in time:\n${log}`);
    }
    // Polling a child process's port: there is no event to wait for.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: user,
      AWS_SECRET_ACCESS_KEY: password,
      AWS_REGION: 'us-east-1',
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
