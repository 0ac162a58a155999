/**
 * The automation sub-commands: `lakeloop dev` (API + daemon), `lakeloop daemon` (and
 * `daemon status`), and `lakeloop sensors list|start|stop|tick|ticks|reset-cursor`. Definitions come from
 * `--defs <file>` (or `$LAKELOOP_DEFS`).
 *
 * @example
 * ```sh
 * lakeloop dev --defs pipelines/flight-delays/definitions.ts --port 3000
 * lakeloop daemon --defs pipelines/flight-delays/definitions.ts --max-concurrent-runs 2
 * LAKELOOP_REDIS_URL=redis://queue-host:6379 lakeloop daemon --defs defs.ts --executor queue
 * lakeloop daemon status
 * lakeloop sensors list --defs pipelines/flight-delays/definitions.ts
 * lakeloop sensors stop new_flight_data --defs pipelines/flight-delays/definitions.ts
 * lakeloop sensors ticks new_flight_data --defs pipelines/flight-delays/definitions.ts
 * ```
 */
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { LakeloopError } from '../../errors.js';
import type { Definitions } from '../../core/definitions/definitions.js';
import { loadDefinitions } from '../../core/execution/definitions-loader.js';
import type { Executor } from '../../core/execution/executor.js';
import { Instance } from '../../core/instance/instance.js';
import { Daemon, daemonHealth, DEFAULT_HEARTBEAT_INTERVAL_MS } from '../../core/daemon/daemon.js';
import type { DaemonOptions, OrphanedRunPolicy } from '../../core/daemon/daemon.js';
import {
  getInstigator,
  listInstigators,
  resetSensorCursor,
  setInstigatorStatus,
} from '../../core/daemon/instigator-control.js';
import type { InstigatorSummary } from '../../core/daemon/instigator-control.js';
import { SensorLoop } from '../../core/daemon/sensor-loop.js';
import { ONE_RUN_PER_SENSOR } from '../../core/daemon/run-queue.js';
import type { TickRecord } from '../../core/storage/storage-types.js';
import { API_TOKEN_FILE, startDev } from '../../server/dev-server.js';
import { defaultUiDir, uiAvailable } from '../../server/ui-static.js';
import { ensureUiBuilt } from '../../server/ui-build.js';
import { ApiTokenFile } from '../../server/api-tokens.js';
import { createDataRepository } from '../../versioning/data-repository-factory.js';
import { openRegistry, openTracking } from '../../tracking/open-tracking.js';
import { instanceHome } from '../instance-home.js';
import { DAEMON_EXECUTORS, executorFromConfig } from '../queue-config.js';
import { printJson, printTable } from '../output.js';
import { cliLogger, positiveInt, serverToken, untilSignal } from './server-command-support.js';

/** What `lakeloop dev` says about access: which tokens it asks for, if any. */
function authBanner(token: string | undefined, home: string): string {
  const scoped = new ApiTokenFile(join(home, API_TOKEN_FILE)).list().length;
  if (token === undefined && scoped === 0) return ', no token asked (loopback)';
  return `, bearer token required (${[token === undefined ? '' : 'the server token', scoped === 0 ? '' : `${scoped} scoped token(s)`].filter((s) => s !== '').join(' or ')})`;
}

interface DefsOptions {
  defs?: string;
  json?: boolean;
}

interface DaemonCliOptions extends DefsOptions {
  executor?: string;
  queue?: string;
  maxConcurrentRuns?: number;
  heartbeatIntervalMs?: number;
  orphanedRuns?: OrphanedRunPolicy;
  runsPerSensor?: number;
  force?: boolean;
  logLevel?: string;
}

interface DevCliOptions extends DaemonCliOptions {
  port: number;
  host: string;
  token?: string;
  tokenFile?: string;
}

const defsOption = (): Option =>
  new Option('--defs <file>', 'definitions module (.ts or .js) exporting `defs`').env('LAKELOOP_DEFS');

async function loadDefs(options: DefsOptions): Promise<Definitions> {
  if (options.defs === undefined || options.defs === '') {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      'Which definitions? Pass --defs <file> (a module exporting `defs`) or set LAKELOOP_DEFS.',
    );
  }
  return loadDefinitions({ path: options.defs });
}

/** The instance options that pick the executor (`--executor`, `--queue`; none for in-process). */
function executorOption(options: DaemonCliOptions): { executor?: Executor } {
  const executor = executorFromConfig({
    ...(options.executor === undefined ? {} : { executor: options.executor }),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.defs === undefined ? {} : { defs: options.defs }),
  });
  return executor === undefined ? {} : { executor };
}

/** Opens the instance and the definitions, runs `action`, closes the instance (`runsSteps`: with the configured executor). */
async function withInstance<T>(
  command: Command,
  action: (ctx: { defs: Definitions; instance: Instance; options: DefsOptions }) => Promise<T>,
  runsSteps = false,
): Promise<T> {
  const options = command.optsWithGlobals<DaemonCliOptions>();
  const defs = await loadDefs(options);
  const instance = await Instance.open({
    home: instanceHome(command),
    ...(runsSteps ? executorOption(options) : {}),
  });
  try {
    return await action({ defs, instance, options });
  } finally {
    await instance.close();
  }
}

function daemonSettings(options: DaemonCliOptions): Omit<DaemonOptions, 'defs' | 'instance'> {
  return {
    // Recorded for people (`runs show`, the hint of `runs reexecute`); never loaded from the record.
    ...(options.defs === undefined ? {} : { runTags: { 'lakeloop/defs': resolve(options.defs) } }),
    ...(options.maxConcurrentRuns === undefined ? {} : { maxConcurrentRuns: options.maxConcurrentRuns }),
    ...(options.heartbeatIntervalMs === undefined
      ? {}
      : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
    ...(options.orphanedRuns === undefined ? {} : { orphanedRunPolicy: options.orphanedRuns }),
    ...(options.force === undefined ? {} : { force: options.force }),
    ...(options.runsPerSensor === undefined
      ? {}
      : {
          tagConcurrencyLimits: [
            { ...ONE_RUN_PER_SENSOR, limit: options.runsPerSensor || Number.MAX_SAFE_INTEGER },
          ],
        }),
  };
}

function addDaemonOptions(command: Command): Command {
  return command
    .addOption(defsOption())
    .option(
      '--max-concurrent-runs <n>',
      'runs executed at once (default 4)',
      positiveInt('--max-concurrent-runs'),
    )
    .option(
      '--heartbeat-interval-ms <ms>',
      `heartbeat interval (default ${DEFAULT_HEARTBEAT_INTERVAL_MS})`,
      positiveInt('--heartbeat-interval-ms'),
    )
    .addOption(
      new Option(
        '--orphaned-runs <policy>',
        'runs a killed daemon left in progress: fail (default) or reexecute',
      ).choices(['fail', 'reexecute']),
    )
    .option(
      '--runs-per-sensor <n>',
      "runs of one sensor executed at once (default 1: a sensor's runs execute in order; 0: no limit)",
      positiveInt('--runs-per-sensor'),
    )
    .addOption(
      new Option(
        '--executor <kind>',
        'where steps run: in-process (default) or queue (lakeloop worker processes on LAKELOOP_REDIS_URL)',
      )
        .choices([...DAEMON_EXECUTORS])
        .env('LAKELOOP_EXECUTOR'),
    )
    .addOption(
      new Option('--queue <name>', 'queue of the queue executor (default lakeloop)').env('LAKELOOP_QUEUE'),
    )
    .option('--force', "start even if another daemon's heartbeat is fresh")
    .option('--log-level <level>', 'pino log level (default info)');
}

function formatTime(epochMs: number | undefined): string {
  return epochMs === undefined ? '' : new Date(epochMs).toISOString().replace('.000Z', 'Z');
}

function printInstigators(rows: readonly InstigatorSummary[]): void {
  printTable(
    ['NAME', 'TYPE', 'STATUS', 'JOB', 'EVERY', 'CURSOR', 'LAST TICK', 'RESULT'],
    rows.map((r) => [
      r.name,
      r.type.toLowerCase(),
      `${r.status}${r.defaultStatus ? '' : ' (set)'}`,
      r.jobName,
      r.type === 'SENSOR'
        ? `${r.minimumIntervalSeconds ?? ''}s`
        : `${r.cron ?? ''}${r.timezone === undefined ? '' : ` ${r.timezone}`}`,
      r.cursor === undefined ? '' : r.cursor.length > 16 ? `${r.cursor.slice(0, 16)}…` : r.cursor,
      formatTime(r.lastTick?.lastTimestamp ?? r.lastTick?.timestamp),
      r.lastTick === undefined
        ? ''
        : `${r.lastTick.error ?? r.lastTick.skipReason ?? `${r.lastTick.runIds.length} run(s)`}${timesSuffix(r.lastTick.count)}`,
    ]),
  );
}

/** ` (×N)` for a tick that stands for N > 1 coalesced evaluations. */
function timesSuffix(count: number | undefined): string {
  return count === undefined || count <= 1 ? '' : ` (×${count})`;
}

function printTicks(ticks: readonly TickRecord[]): void {
  printTable(
    ['ID', 'STATUS', 'FIRST', 'LAST', 'COUNT', 'RUNS', 'DETAIL'],
    ticks.map((t) => [
      t.id,
      t.status,
      formatTime(t.timestamp),
      formatTime(t.lastTimestamp ?? t.timestamp),
      t.count ?? 1,
      t.runIds.join(' '),
      t.error ?? t.skipReason ?? '',
    ]),
  );
}

/** Registers the automation sub-commands on `program`. */
export function registerAutomationCommands(program: Command): void {
  const dev = program
    .command('dev')
    .description('run the HTTP API and the daemon in one process (Ctrl-C stops both cleanly)')
    .option('--port <port>', 'port (0: any free port)', positiveInt('--port'), 3000)
    .option('--host <host>', 'address to bind (non-loopback needs a token)', '127.0.0.1')
    .addOption(
      new Option('--token <token>', 'API bearer token (visible in ps: prefer --token-file)').env(
        'LAKELOOP_TOKEN',
      ),
    )
    .option('--token-file <path>', 'file holding the API bearer token (read and trimmed)');
  addDaemonOptions(dev).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<DevCliOptions>();
    const token = serverToken(options, command, 'lakeloop dev');
    const defs = await loadDefs(options);
    const instance = await Instance.open({ home: instanceHome(command), ...executorOption(options) });
    // The configured data repository (embedded under the home, or lakeFS from LAKEFS_*), for the data routes.
    const data = createDataRepository({ home: instance.home });
    // The configured tracking backend (embedded under the home, or MLFLOW_TRACKING_URI).
    const tracking = openTracking({ home: instance.home });
    const registry = openRegistry({ home: instance.home });
    try {
      const logger = cliLogger(options.logLevel);
      const signal = untilSignal();
      // A checkout builds its web UI on the first `lakeloop dev` (and again after ui/ changed).
      await ensureUiBuilt(defaultUiDir(), () => {
        process.stdout.write('lakeloop dev: building the web UI (first run in this checkout)...\n');
      });
      const handle = await startDev({
        defs,
        instance,
        data,
        tracking,
        registry,
        port: options.port,
        host: options.host,
        ...(token === undefined ? {} : { token }),
        daemon: daemonSettings(options),
        logger,
      });
      process.stdout.write(
        `lakeloop dev: API at ${handle.url}/api (daemon ${handle.daemon.id}, instance ${instance.home})${authBanner(token, instance.home)}${(await uiAvailable(defaultUiDir())) ? `. Web UI at ${handle.url}/` : ''}. Ctrl-C to stop.\n`,
      );
      const received = await signal;
      process.stdout.write(`lakeloop dev: ${received}, stopping (canceling runs in progress)...\n`);
      await handle.close();
      process.stdout.write('lakeloop dev: stopped.\n');
    } finally {
      await registry.close();
      await tracking.close();
      await data.close();
      await instance.close();
    }
  });

  const daemon = program.command('daemon').description('the daemon: sensors, schedules and the run queue');
  addDaemonOptions(
    daemon.command('run', { isDefault: true }).description('run the daemon until SIGINT/SIGTERM (default)'),
  ).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<DaemonCliOptions>();
    await withInstance(
      command,
      async ({ defs, instance }) => {
        const signal = untilSignal();
        const running = new Daemon({
          defs,
          instance,
          ...daemonSettings(options),
          logger: cliLogger(options.logLevel),
        });
        await running.start();
        process.stdout.write(
          `lakeloop daemon ${running.id}: ${running.sensors.sensors.length} sensor(s), ${running.schedules.schedules.length} schedule(s) on ${instance.home}, executor ${instance.executor.name}. Ctrl-C to stop.\n`,
        );
        const received = await signal;
        process.stdout.write(`lakeloop daemon: ${received}, stopping...\n`);
        await running.stop();
      },
      true,
    );
  });
  daemon
    .command('status')
    .description(
      'healthy when the latest heartbeat is at most two heartbeat intervals old (exit code 5 otherwise)',
    )
    .option(
      '--heartbeat-interval-ms <ms>',
      `the daemon's heartbeat interval (default ${DEFAULT_HEARTBEAT_INTERVAL_MS})`,
      positiveInt('--heartbeat-interval-ms'),
    )
    .option('--json', 'print JSON')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ heartbeatIntervalMs?: number; json?: boolean }>();
      const instance = await Instance.open({ home: instanceHome(command) });
      try {
        const health = await daemonHealth({
          instance,
          ...(options.heartbeatIntervalMs === undefined
            ? {}
            : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
        });
        if (options.json === true) printJson(health);
        else if (health.healthy) {
          process.stdout.write(
            `healthy: daemon ${health.daemonId ?? ''} heartbeat ${((health.ageMs ?? 0) / 1000).toFixed(1)} s ago\n`,
          );
        } else process.stdout.write(`unhealthy: ${health.reason ?? ''}\n`);
        if (!health.healthy) process.exitCode = 5;
      } finally {
        await instance.close();
      }
    });

  const sensors = program.command('sensors').description('list and control sensors (and schedules)');
  sensors
    .command('list')
    .description('sensors and schedules with status, cursor and last tick')
    .addOption(defsOption())
    .option('--json', 'print JSON')
    .action(async (_options: unknown, command: Command) => {
      await withInstance(command, async ({ defs, instance, options }) => {
        const rows = await listInstigators({ defs, instance });
        if (options.json === true) printJson(rows);
        else printInstigators(rows);
      });
    });
  for (const [action, status, description] of [
    ['start', 'RUNNING', 'start a sensor or schedule'],
    ['stop', 'STOPPED', 'stop a sensor or schedule (daemons skip it from their next pass)'],
  ] as const) {
    sensors
      .command(`${action} <name>`)
      .description(description)
      .addOption(defsOption())
      .option('--json', 'print JSON')
      .action(async (name: string, _options: unknown, command: Command) => {
        await withInstance(command, async ({ defs, instance, options }) => {
          const summary = await setInstigatorStatus({ defs, instance, name, status });
          if (options.json === true) printJson(summary);
          else process.stdout.write(`${name}: ${summary.status}\n`);
        });
      });
  }
  sensors
    .command('tick <name>')
    .description('evaluate a sensor once now (its runs are queued for the daemon)')
    .addOption(defsOption())
    .option('--json', 'print JSON')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withInstance(command, async ({ defs, instance, options }) => {
        const tick = await new SensorLoop({ defs, instance }).evaluate(name, { evenIfStopped: true });
        if (options.json === true) {
          printJson(tick);
          return;
        }
        if (tick === undefined) return;
        const detail =
          tick.status === 'FAILURE'
            ? `: ${tick.error ?? ''}`
            : tick.status === 'SKIPPED'
              ? `: ${tick.skipReason ?? ''}`
              : `: queued ${tick.runIds.join(', ')} (the daemon starts them)`;
        process.stdout.write(`${name} ${tick.status}${detail}\n`);
        if (tick.status === 'FAILURE') process.exitCode = 1;
      });
    });
  sensors
    .command('ticks <name>')
    .description('recent ticks of a sensor or schedule, newest first (COUNT: coalesced identical skips)')
    .addOption(defsOption())
    .option('--limit <n>', 'at most this many ticks (default 20)', positiveInt('--limit'), 20)
    .option('--json', 'print JSON')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withInstance(command, async ({ defs, instance, options }) => {
        await getInstigator({ defs, instance, name }); // NOT_FOUND naming the defined ones
        const { limit } = command.optsWithGlobals<{ limit: number }>();
        const ticks = await instance.schedules.listTicks(name, { limit });
        if (options.json === true) printJson(ticks);
        else printTicks(ticks);
      });
    });
  sensors
    .command('reset-cursor <name>')
    .description('forget the cursor (run keys stay claimed: nothing launches twice)')
    .addOption(defsOption())
    .action(async (name: string, _options: unknown, command: Command) => {
      await withInstance(command, async ({ defs, instance }) => {
        await resetSensorCursor({ defs, instance, name });
        process.stdout.write(`${name}: cursor reset\n`);
      });
    });
}
