/**
 * Vitest global setup: starts the real services the integration tests use and stops them
 * afterwards. The MLflow tracking server (tracking area) is started when a selected test file
 * needs it (all runs, or filters matching the tracking tests), and its URI is given to the tests
 * with `inject('mlflowUri')`. `LAKELOOP_MLFLOW=0` never starts it, `=1` always does. A private
 * PostgreSQL cluster (test/support/postgres-server-process.ts) is started the same way for the
 * tests named after postgres or the storage contracts (`inject('postgresUrl')`;
 * `LAKELOOP_POSTGRES=0|1`; `LAKELOOP_TEST_STORAGE_URL=postgres://...` uses that server instead,
 * each test still in its own schema). Under `CI=true` a server the selected tests need but that cannot
 * start fails the whole run here (the suites would fail one by one anyway; never skips in CI).
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureUiBuilt } from '../src/server/ui-build.js';
import { defaultUiDir } from '../src/server/ui-static.js';
import { mlflowUnavailableReason, startMlflowServer } from './tracking/mlflow-server-process.js';
import type { MlflowServerProcess } from './tracking/mlflow-server-process.js';
import { postgresUnavailableReason, startPostgresServer } from './support/postgres-server-process.js';
import type { PostgresServerProcess } from './support/postgres-server-process.js';
import { setupRedis, teardownRedis } from './support/redis-global-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The MLflow server's URI, or '' when it is not running. */
    mlflowUri: string;
    /** Why there is no MLflow server ('' when there is one). */
    mlflowUnavailable: string;
    /** The private PostgreSQL cluster's database URL, or '' when it is not running. */
    postgresUrl: string;
    /** Why there is no PostgreSQL cluster ('' when there is one). */
    postgresUnavailable: string;
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let mlflow: MlflowServerProcess | undefined;
let postgres: PostgresServerProcess | undefined;

/** Test files under test/ or pipelines/ whose path matches `pattern`. */
function testFilesMatching(pattern: RegExp): string[] {
  const files: string[] = [];
  for (const dir of ['test', 'pipelines']) {
    try {
      for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
        const path = relative(root, join(entry.parentPath, entry.name));
        if (entry.isFile() && pattern.test(path) && path.endsWith('.test.ts')) {
          files.push(path);
        }
      }
    } catch {
      // folder absent
    }
  }
  return files;
}

/** Vitest's positional file filters (substring matches), from its command line. */
function fileFilters(): string[] {
  const args = process.argv.slice(2);
  const start = args.findIndex((arg) => arg === 'run' || arg === 'watch' || arg === 'related');
  return args.slice(start + 1).filter((arg) => !arg.startsWith('-') && !arg.includes('vitest'));
}

/** Whether the selected tests need a service (`LAKELOOP_<NAME>=0|1` decides; else the file filters). */
function serviceNeeded(variable: string, pattern: RegExp): boolean {
  if (process.env[variable] === '0') return false;
  if (process.env[variable] === '1') return true;
  const filters = fileFilters();
  if (filters.length === 0) return true;
  const files = testFilesMatching(pattern);
  return filters.some((filter) => files.some((file) => file.includes(filter.replace(/^\.\//, ''))));
}

/** Test files that need the MLflow server: named after mlflow, python, model-registry or tracking. */
const MLFLOW_TESTS = /mlflow|python|model-registry|tracking/;
/** Test files that need PostgreSQL: named after postgres, or the storage contract suites. */
const POSTGRES_TESTS = /postgres|storage-contracts/;

/** Starts the services. */
export async function setup(project: TestProject): Promise<void> {
  // Tests that spawn `lakeloop dev` from source would each build a missing or stale UI (and race);
  // build it once here instead (a no-op after `npm run build`).
  await ensureUiBuilt(defaultUiDir());
  project.provide('postgresUrl', '');
  project.provide('postgresUnavailable', 'PostgreSQL was not started for this selection of tests');
  if (serviceNeeded('LAKELOOP_POSTGRES', POSTGRES_TESTS)) await setupPostgres(project);
  await setupRedis(project); // the queue tests' Redis (test/support/redis-global-setup.ts)
  project.provide('mlflowUri', '');
  project.provide('mlflowUnavailable', 'the MLflow server was not started for this selection of tests');
  if (!serviceNeeded('LAKELOOP_MLFLOW', MLFLOW_TESTS)) return;
  const reason = mlflowUnavailableReason();
  if (reason !== undefined) {
    failInCi('the MLflow server', reason);
    project.provide('mlflowUnavailable', reason);
    return;
  }
  try {
    mlflow = await startMlflowServer();
    project.provide('mlflowUri', mlflow.uri);
    project.provide('mlflowUnavailable', '');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failInCi('the MLflow server', message);
    project.provide('mlflowUnavailable', message);
  }
}

async function setupPostgres(project: TestProject): Promise<void> {
  const explicit = process.env.LAKELOOP_TEST_STORAGE_URL;
  if (explicit !== undefined && explicit !== '') {
    project.provide('postgresUrl', explicit);
    project.provide('postgresUnavailable', '');
    return;
  }
  const reason = postgresUnavailableReason();
  if (reason !== undefined) {
    failInCi('PostgreSQL', reason);
    project.provide('postgresUnavailable', reason);
    return;
  }
  try {
    postgres = await startPostgresServer();
    project.provide('postgresUrl', postgres.url);
    project.provide('postgresUnavailable', '');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failInCi('PostgreSQL', message);
    project.provide('postgresUnavailable', message);
  }
}

/** Under CI=true, a service the tests need that is not there ends the run (locally its tests skip). */
function failInCi(service: string, reason: string): void {
  if (process.env.CI === 'true') {
    throw new Error(`CI=true and ${service}, which the tests need, cannot start: ${reason}`);
  }
}

/** Stops the services. */
export async function teardown(): Promise<void> {
  await teardownRedis();
  await Promise.all([mlflow?.stop(), postgres?.stop()]);
  mlflow = undefined;
  postgres = undefined;
}
