/**
 * The `lakeloop` sub-commands of the core area: materialize assets, inspect and re-execute runs,
 * and list assets with their status.
 *
 * @example
 * ```sh
 * lakeloop materialize --defs examples/hello-pipeline.ts --select '+report'
 * lakeloop runs list --json
 * lakeloop runs show <run-id>
 * lakeloop runs reexecute <run-id> --from-failure --defs examples/hello-pipeline.ts
 * lakeloop assets list --defs examples/hello-pipeline.ts
 * ```
 */
import { resolve } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { LakeloopError } from '../../errors.js';
import type { RunRecord, RunStatus } from '../../core/events/event-types.js';
import { RunStatus as RunStatuses } from '../../core/events/event-types.js';
import type { Definitions } from '../../core/definitions/definitions.js';
import { assetStatuses, describeStaleReason } from '../../core/execution/asset-status.js';
import { loadDefinitions } from '../../core/execution/definitions-loader.js';
import type { Executor } from '../../core/execution/executor.js';
import { inProcessExecutor } from '../../core/execution/in-process-executor.js';
import { multiProcessExecutor } from '../../core/execution/multi-process/multi-process-executor.js';
import { queueExecutor } from '../../core/execution/queue/queue-executor.js';
import { redisUrlFrom } from '../../core/execution/queue/redis-url.js';
import { cancelRun, createRun, reexecuteFromFailure } from '../../core/execution/run-launcher.js';
import { readRunConfigFile } from '../run-config-file.js';
import { executeRun } from '../../core/execution/run-execution.js';
import { deleteRun, markRunFailed } from '../../core/execution/run-admin.js';
import { summarizeSteps } from '../../core/execution/run-summary.js';
import { Instance } from '../../core/instance/instance.js';
import { instanceHome } from '../instance-home.js';
import { printJson, printTable } from '../output.js';
import { progressPrinter } from '../core/run-progress.js';

/**
 * Run tag holding the absolute path of the definitions module a run was launched with. Only a
 * hint for people: lakeloop never imports a module named by stored run data (anyone who can write
 * a run could name any file), so `runs reexecute` takes `--defs` from the user.
 */
export const DEFS_TAG = 'lakeloop/defs';

async function withInstance<T>(command: Command, body: (instance: Instance) => Promise<T>): Promise<T> {
  const instance = await Instance.open(instanceHome(command));
  try {
    return await body(instance);
  } finally {
    await instance.close();
  }
}

function time(epochMs: number | undefined): string {
  return epochMs === undefined ? '' : new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function runDuration(run: RunRecord): string {
  if (run.startedAt === undefined) return '';
  const end = run.endedAt ?? Date.now();
  return `${((end - run.startedAt) / 1000).toFixed(2)}s`;
}

function parseTags(values: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0)
      throw new LakeloopError('INVALID_ARGUMENT', `Invalid --tag ${JSON.stringify(value)}; use key=value.`);
    tags[value.slice(0, at)] = value.slice(at + 1);
  }
  return tags;
}

function makeExecutor(
  kind: string,
  defsPath: string,
  maxConcurrency: number | undefined,
  queue: string | undefined,
): Executor {
  switch (kind) {
    case 'queue':
      return queueExecutor({
        redisUrl: redisUrlFrom(process.env),
        module: defsPath,
        ...(queue === undefined ? {} : { queue }),
        ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
      });
    case 'in-process':
      return inProcessExecutor(maxConcurrency === undefined ? {} : { maxConcurrency });
    case 'multi-process':
      return multiProcessExecutor({
        module: defsPath,
        ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
      });
    default:
      throw new LakeloopError(
        'INVALID_ARGUMENT',
        `Unknown executor "${kind}"; use in-process, multi-process or queue.`,
      );
  }
}

function failIfNotSuccess(run: RunRecord, defsPath: string): void {
  if (run.status === 'SUCCESS') return;
  if (run.status === 'CANCELED') throw new LakeloopError('CANCELED', `Run ${run.runId} was canceled.`);
  throw new LakeloopError(
    'STEP_FAILED',
    `Run ${run.runId} failed: ${run.error?.message ?? 'unknown error'}. ` +
      `Details: lakeloop runs show ${run.runId}; retry: lakeloop runs reexecute ${run.runId} --from-failure --defs ${JSON.stringify(defsPath)}`,
  );
}

interface MaterializeCliOptions {
  defs: string;
  select?: string;
  job?: string;
  partition?: string;
  tag: string[];
  executor: string;
  queue?: string;
  maxConcurrency?: string;
  config?: string;
  json?: boolean;
}

function parseConcurrency(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new LakeloopError(
      'INVALID_ARGUMENT',
      `Invalid --max-concurrency ${text}; pass a whole number >= 1.`,
    );
  }
  return n;
}

async function materializeCommand(options: MaterializeCliOptions, command: Command): Promise<void> {
  if ((options.select === undefined) === (options.job === undefined)) {
    throw new LakeloopError('INVALID_ARGUMENT', 'Pass exactly one of --select <selection> or --job <name>.');
  }
  const defsPath = resolve(options.defs);
  const defs = await loadDefinitions({ path: defsPath });
  const executor = makeExecutor(
    options.executor,
    defsPath,
    parseConcurrency(options.maxConcurrency),
    options.queue,
  );
  await withInstance(command, async (instance) => {
    const run = await createRun(defs, {
      instance,
      ...(options.select === undefined ? {} : { select: options.select }),
      ...(options.job === undefined ? {} : { jobName: options.job }),
      ...(options.partition === undefined ? {} : { partition: options.partition }),
      ...(options.config === undefined ? {} : { config: await readRunConfigFile(options.config) }),
      tags: { ...parseTags(options.tag), [DEFS_TAG]: defsPath, 'lakeloop/executor': executor.name },
    });
    const onSignal = (): void => {
      void cancelRun(instance, run.runId).catch(() => undefined);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const done = await executeRun({
        defs,
        runId: run.runId,
        instance,
        executor,
        ...(options.json === true ? {} : { onEvent: progressPrinter(process.stdout) }),
      });
      if (options.json === true) printJson(done);
      failIfNotSuccess(done, defsPath);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

/** The definitions the user named (never the module a stored run names: that is only suggested). */
async function defsFor(run: RunRecord, given: string | undefined): Promise<Definitions> {
  if (given !== undefined && given !== '') return loadDefinitions({ path: given });
  const recorded = run.tags[DEFS_TAG];
  const hint =
    recorded === undefined || recorded === ''
      ? ''
      : ` Run ${run.runId} was launched with ${JSON.stringify(recorded.slice(0, 500))}; if that is your ` +
        `module, run: lakeloop runs reexecute ${run.runId} --from-failure --defs ${JSON.stringify(recorded.slice(0, 500))}`;
  throw new LakeloopError(
    'INVALID_ARGUMENT',
    `Pass the definitions module with --defs <file> (or set LAKELOOP_DEFS); lakeloop does not load ` +
      `the module a stored run names.${hint}`,
  );
}

async function getRunOrThrow(instance: Instance, runId: string): Promise<RunRecord> {
  const run = await instance.runs.getRun(runId);
  if (run === undefined)
    throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with \`lakeloop runs list\`.`);
  return run;
}

function registerRunCommands(program: Command): void {
  const runs = program.command('runs').description('Inspect, cancel and re-execute pipeline runs');
  runs
    .command('list')
    .description('List runs, newest first')
    .option('--status <status>', `only runs with this status (${Object.values(RunStatuses).join(', ')})`)
    .option('--limit <n>', 'how many runs', '50')
    .option('--json', 'print JSON')
    .action(async (options: { status?: string; limit: string; json?: boolean }, command: Command) => {
      const limit = Number(options.limit);
      if (!Number.isSafeInteger(limit) || limit < 0)
        throw new LakeloopError('INVALID_ARGUMENT', `Invalid --limit ${options.limit}.`);
      const status = options.status?.toUpperCase();
      if (status !== undefined && !(status in RunStatuses)) {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          `Unknown status ${options.status ?? ''}; use one of ${Object.values(RunStatuses).join(', ')}.`,
        );
      }
      await withInstance(command, async (instance) => {
        const list = await instance.runs.listRuns({
          limit,
          ...(status === undefined ? {} : { statuses: [status as RunStatus] }),
        });
        if (options.json === true) {
          printJson(list);
          return;
        }
        printTable(
          ['run id', 'status', 'job', 'assets', 'partition', 'created', 'duration'],
          list.map((r) => [
            r.runId,
            r.status,
            r.jobName,
            r.assetKeys.join(','),
            r.partition,
            time(r.createdAt),
            runDuration(r),
          ]),
        );
      });
    });
  runs
    .command('show <run-id>')
    .description('Show a run: steps, durations, events, error and cause')
    .option('--json', 'print JSON')
    .action(async (runId: string, options: { json?: boolean }, command: Command) => {
      await withInstance(command, async (instance) => {
        const run = await getRunOrThrow(instance, runId);
        const events = await instance.events.getEvents({ runId });
        const steps = summarizeSteps(run, events);
        if (options.json === true) {
          printJson({ run, steps, events });
          return;
        }
        const out = process.stdout;
        out.write(`run ${run.runId}  ${run.status}\n`);
        out.write(
          `  job ${run.jobName}  selection ${run.selection}${run.partition === undefined ? '' : `  partition ${run.partition}`}\n`,
        );
        out.write(
          `  created ${time(run.createdAt)}  started ${time(run.startedAt)}  ended ${time(run.endedAt)}  duration ${runDuration(run)}\n`,
        );
        if (run.parentRunId !== undefined) out.write(`  re-executes ${run.parentRunId}\n`);
        const tags = Object.entries(run.tags);
        if (tags.length > 0) out.write(`  tags ${tags.map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
        if (run.config !== undefined) out.write(`  config ${JSON.stringify(run.config)}\n`);
        out.write('\n');
        printTable(
          ['step', 'status', 'attempts', 'duration', 'data version', 'error'],
          steps.map((s) => [
            s.stepKey,
            s.status,
            s.attempts,
            s.durationMs === undefined ? '' : `${s.durationMs.toFixed(1)} ms`,
            s.dataVersion?.slice(0, 12),
            s.error?.message,
          ]),
        );
        out.write('\nevents\n');
        printTable(
          ['time', 'type', 'step', 'message'],
          events.map((e) => [time(e.timestamp), e.type, e.stepKey, e.message]),
        );
        if (run.error !== undefined) {
          out.write(`\nerror: ${run.error.message}\n`);
          for (let cause = run.error.cause; cause !== undefined; cause = cause.cause) {
            out.write(`caused by: ${cause.name}: ${cause.message}\n`);
            if (cause.stack !== undefined) out.write(`${cause.stack.split('\n').slice(1, 6).join('\n')}\n`);
          }
        }
      });
    });
  runs
    .command('reexecute <run-id>')
    .description('Re-execute a failed run from its failed step, reusing stored upstream outputs')
    .requiredOption('--from-failure', 'only the steps that did not succeed (required)')
    .addOption(
      new Option('--defs <file>', 'definitions module (.ts or .js) exporting `defs` (required)').env(
        'LAKELOOP_DEFS',
      ),
    )
    .option('--json', 'print the new run as JSON')
    .action(async (runId: string, options: { defs?: string; json?: boolean }, command: Command) => {
      await withInstance(command, async (instance) => {
        const parent = await getRunOrThrow(instance, runId);
        const defs = await defsFor(parent, options.defs);
        const run = await reexecuteFromFailure({
          defs,
          runId,
          instance,
          ...(options.json === true ? {} : { onEvent: progressPrinter(process.stdout) }),
        });
        if (options.json === true) printJson(run);
        failIfNotSuccess(run, resolve(options.defs ?? '.'));
      });
    });
  runs
    .command('cancel <run-id>')
    .description('Cancel a queued or running run')
    .action(async (runId: string, _options: unknown, command: Command) => {
      await withInstance(command, async (instance) => {
        const run = await cancelRun(instance, runId);
        process.stdout.write(`run ${run.runId} ${run.status}\n`);
      });
    });
  runs
    .command('mark-failed <run-id>')
    .description('End a run in progress that no process will end (its process is dead) as FAILURE')
    .option('--reason <text>', 'why, recorded in the run error')
    .option('--force', 'even when its process looks alive')
    .action(async (runId: string, options: { reason?: string; force?: boolean }, command: Command) => {
      await withInstance(command, async (instance) => {
        const run = await markRunFailed({
          instance,
          runId,
          force: options.force === true,
          ...(options.reason === undefined ? {} : { reason: options.reason }),
        });
        process.stdout.write(`run ${run.runId} ${run.status}\n`);
      });
    });
  runs
    .command('delete <run-id>')
    .description('Delete a run and its events (its stored values go at the next prune)')
    .option('--force', 'even a run in progress whose process looks alive')
    .action(async (runId: string, options: { force?: boolean }, command: Command) => {
      await withInstance(command, async (instance) => {
        await deleteRun({ instance, runId, force: options.force === true });
        process.stdout.write(`run ${runId} deleted\n`);
      });
    });
}

function registerAssetCommands(program: Command): void {
  const assets = program.command('assets').description('Assets and their status');
  assets
    .command('list')
    .description('List assets: status (FRESH / STALE with the reason / MISSING) and last materialization')
    .option('--defs <file>', 'definitions module (default: $LAKELOOP_DEFS)')
    .option('--json', 'print JSON (one entry per asset partition)')
    .action(async (options: { defs?: string; json?: boolean }, command: Command) => {
      const path = options.defs ?? process.env.LAKELOOP_DEFS;
      if (path === undefined || path === '') {
        throw new LakeloopError(
          'INVALID_ARGUMENT',
          'Pass the definitions module with --defs <file> (or set LAKELOOP_DEFS).',
        );
      }
      const defs = await loadDefinitions({ path });
      await withInstance(command, async (instance) => {
        const statuses = await assetStatuses(defs, instance);
        if (options.json === true) {
          printJson(statuses);
          return;
        }
        printTable(
          ['asset', 'partition', 'group', 'status', 'reason', 'last materialized', 'run'],
          statuses.map((s) => [
            s.assetKey,
            s.partition,
            defs.asset(s.assetKey).group,
            s.status,
            s.reasons.map(describeStaleReason).join('; '),
            time(s.lastMaterialization?.timestamp),
            s.lastMaterialization?.runId.slice(0, 8),
          ]),
        );
      });
    });
}

/** Registers the core sub-commands on `program`. */
export function registerCoreCommands(program: Command): void {
  program
    .command('materialize')
    .description(
      'Materialize assets: a selection (or a job) of a definitions module, with live step progress',
    )
    .requiredOption('--defs <file>', 'module exporting a Definitions (named `defs` or default); .ts or .js')
    .option('--select <selection>', "assets: key, +key, key+, group:<name>, '*', comma-separated")
    .option('--job <name>', 'a job of the definitions instead of --select')
    .option('--partition <key>', 'partition to materialize (required for partitioned assets)')
    .option(
      '--tag <key=value>',
      'run tag (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--config <file>', 'run config, JSON or YAML: { <asset key or job name>: { ... } }')
    .option(
      '--executor <kind>',
      'in-process, multi-process or queue (lakeloop worker processes on LAKELOOP_REDIS_URL)',
      'in-process',
    )
    .addOption(
      new Option('--queue <name>', 'queue of the queue executor (default lakeloop)').env('LAKELOOP_QUEUE'),
    )
    .option('--max-concurrency <n>', 'steps at once (multi-process default: CPU count)')
    .option('--json', 'print the final run record as JSON instead of progress')
    .action(materializeCommand);
  registerRunCommands(program);
  registerAssetCommands(program);
}
