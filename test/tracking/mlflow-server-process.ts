/**
 * Starts a real MLflow tracking server (`.venv/bin/mlflow server`) on a free loopback port with a
 * SQLite backend store and artifact serving, waits until `/health` answers, and stops it (the
 * whole process group) on `stop()`. Used by the Vitest global setup and the benchmarks.
 *
 * @example
 * ```ts
 * await using server = await startMlflowServer();
 * console.log(server.uri); // http://127.0.0.1:43817
 * ```
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/free-port.js';

/** The repository's Python virtual environment. */
export const VENV = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.venv');

/** A running MLflow server. */
export interface MlflowServerProcess extends AsyncDisposable {
  uri: string;
  /** Its backend store and artifact folder. */
  dir: string;
  stop(): Promise<void>;
}

/** Why the MLflow server cannot be started here, or undefined when it can. */
export function mlflowUnavailableReason(): string | undefined {
  if (!existsSync(join(VENV, 'bin', 'mlflow'))) {
    return `No MLflow server: ${join(VENV, 'bin', 'mlflow')} is missing; run \`node scripts/test-setup.js\` (npm test does) to create .venv.`;
  }
  return undefined;
}

/** Starts the server; rejects (with the server's log) when it does not become healthy in time. */
export async function startMlflowServer(options: { timeoutMs?: number } = {}): Promise<MlflowServerProcess> {
  const reason = mlflowUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  const dir = mkdtempSync(join(tmpdir(), 'lakeloop-mlflow-'));
  const port = await freePort();
  const uri = `http://127.0.0.1:${port}`;
  const logPath = join(dir, 'server.log');
  const logFd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(
    join(VENV, 'bin', 'mlflow'),
    [
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      '1',
      '--backend-store-uri',
      `sqlite:///${join(dir, 'mlflow.db')}`,
      '--artifacts-destination',
      join(dir, 'artifacts'),
      '--serve-artifacts',
    ],
    {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: {
        ...process.env,
        MLFLOW_DISABLE_TELEMETRY: 'true',
        DO_NOT_TRACK: 'true',
        MLFLOW_TRACKING_URI: '',
      },
    },
  );
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
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5_000);
      await done;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    if (state.exited) {
      const log = readFileSync(logPath, 'utf8').slice(-2000);
      await stop();
      throw new Error(`The MLflow server exited during startup:\n${log}`);
    }
    try {
      const response = await fetch(`${uri}/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const log = readFileSync(logPath, 'utf8').slice(-2000);
      await stop();
      throw new Error(`The MLflow server did not become healthy in time:\n${log}`);
    }
    // Polling a child process's port: there is no event to wait for.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { uri, dir, stop, [Symbol.asyncDispose]: stop };
}
