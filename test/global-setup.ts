/**
 * Vitest global setup: starts the real services the integration tests use and stops them
 * afterwards. The MLflow tracking server (tracking area) is started when a selected test file
 * needs it (all runs, or filters matching the tracking tests), and its URI is given to the tests
 * with `inject('mlflowUri')`. `LAKELOOP_MLFLOW=0` never starts it, `=1` always does. Under
 * `CI=true` a server the selected tests need but that cannot start fails the whole run here (the
 * MLflow suites would fail one by one anyway, see mlflow-test-server.ts; never skips in CI).
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureUiBuilt } from '../src/server/ui-build.js';
import { defaultUiDir } from '../src/server/ui-static.js';
import { mlflowUnavailableReason, startMlflowServer } from './tracking/mlflow-server-process.js';
import type { MlflowServerProcess } from './tracking/mlflow-server-process.js';
import { setupRedis, teardownRedis } from './support/redis-global-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The MLflow server's URI, or '' when it is not running. */
    mlflowUri: string;
    /** Why there is no MLflow server ('' when there is one). */
    mlflowUnavailable: string;
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let mlflow: MlflowServerProcess | undefined;

/** Test files that need the MLflow server: those under test/ or pipelines/ named after mlflow, python, model-registry or tracking. */
function mlflowTestFiles(): string[] {
  const files: string[] = [];
  for (const dir of ['test', 'pipelines']) {
    try {
      for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
        const path = relative(root, join(entry.parentPath, entry.name));
        if (
          entry.isFile() &&
          /mlflow|python|model-registry|tracking/.test(path) &&
          path.endsWith('.test.ts')
        ) {
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

function mlflowNeeded(): boolean {
  if (process.env.LAKELOOP_MLFLOW === '0') return false;
  if (process.env.LAKELOOP_MLFLOW === '1') return true;
  const filters = fileFilters();
  if (filters.length === 0) return true;
  const files = mlflowTestFiles();
  return filters.some((filter) => files.some((file) => file.includes(filter.replace(/^\.\//, ''))));
}

/** Starts the services. */
export async function setup(project: TestProject): Promise<void> {
  // Tests that spawn `lakeloop dev` from source would each build a missing or stale UI (and race);
  // build it once here instead (a no-op after `npm run build`).
  await ensureUiBuilt(defaultUiDir());
  await setupRedis(project); // the queue tests' Redis (test/support/redis-global-setup.ts)
  project.provide('mlflowUri', '');
  project.provide('mlflowUnavailable', 'the MLflow server was not started for this selection of tests');
  if (!mlflowNeeded()) return;
  const reason = mlflowUnavailableReason();
  if (reason !== undefined) {
    failInCi(reason);
    project.provide('mlflowUnavailable', reason);
    return;
  }
  try {
    mlflow = await startMlflowServer();
    project.provide('mlflowUri', mlflow.uri);
    project.provide('mlflowUnavailable', '');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failInCi(message);
    project.provide('mlflowUnavailable', message);
  }
}

/** Under CI=true, a service the tests need that is not there ends the run (locally its tests skip). */
function failInCi(reason: string): void {
  if (process.env.CI === 'true') {
    throw new Error(`CI=true and the MLflow server the tests need cannot start: ${reason}`);
  }
}

/** Stops the services. */
export async function teardown(): Promise<void> {
  await teardownRedis();
  await mlflow?.stop();
  mlflow = undefined;
}
