/**
 * The `lakeloop` sub-commands of the tracking area: experiments, training runs (MLflow runs; kept
 * apart from pipeline `runs`) and registered models. They work on the embedded store of the
 * instance home, or on the MLflow server of `MLFLOW_TRACKING_URI` / `--tracking-uri`.
 *
 * @example
 * ```sh
 * lakeloop experiments list
 * lakeloop training-runs list --experiment flight-delays --json
 * lakeloop models show flight-delays
 * lakeloop models promote flight-delays 3 --alias champion --reason "AUC 0.791"
 * lakeloop models rollback flight-delays --alias champion --reason "v4 drifts on March"
 * lakeloop models history flight-delays --alias champion
 * ```
 */
import type { Command } from 'commander';
import { instanceHome } from '../instance-home.js';
import { printJson, printTable } from '../output.js';
import { LakeloopError } from '../../errors.js';
import { LineageTag, openRegistry, openTracking, rollbackAlias } from '../../tracking/index.js';
import { defaultAliasMover } from '../../tracking/model-registry.js';
import type { ModelRegistry, TrackingRun, TrackingStore } from '../../tracking/index.js';
import { predictionLogsOf } from '../../serving/prediction-log-index.js';
import type { ServedDriftReport } from '../../serving/served-drift.js';

interface CommonOptions {
  json?: boolean;
  trackingUri?: string;
}

function openStores(command: Command): { tracking: TrackingStore; registry: ModelRegistry } {
  const options = command.optsWithGlobals<CommonOptions>();
  const target = {
    home: instanceHome(command),
    ...(options.trackingUri === undefined ? {} : { uri: options.trackingUri }),
  };
  return { tracking: openTracking(target), registry: openRegistry(target) };
}

async function withStores<T>(
  command: Command,
  body: (stores: { tracking: TrackingStore; registry: ModelRegistry }) => Promise<T>,
): Promise<T> {
  const stores = openStores(command);
  try {
    return await body(stores);
  } finally {
    await stores.tracking.close();
    await stores.registry.close();
  }
}

function time(epochMs: number | undefined): string {
  return epochMs === undefined || epochMs === 0 ? '' : new Date(epochMs).toISOString().replace('.000Z', 'Z');
}

function duration(run: TrackingRun): string {
  if (run.info.endTime === undefined) return '';
  return `${((run.info.endTime - run.info.startTime) / 1000).toFixed(1)}s`;
}

function metricSummary(metrics: Record<string, number>, limit = 3): string {
  return Object.entries(metrics)
    .slice(0, limit)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(4)}`)
    .join(' ');
}

function userTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !key.startsWith('mlflow.')));
}

/**
 * The drift of the model's served inputs, when predictions are logged (`--predictions`, else the
 * logs `lakeloop serve` recorded in the home); undefined when there are none. DuckDB and the data
 * repository are loaded only then.
 */
async function servedDrift(args: {
  command: Command;
  name: string;
  tracking: TrackingStore;
  registry: ModelRegistry;
}): Promise<ServedDriftReport[] | undefined> {
  const given = args.command.optsWithGlobals<{ predictions?: string[] }>().predictions ?? [];
  const home = instanceHome(args.command);
  const uris = [...new Set([...given, ...predictionLogsOf({ home, model: args.name })])];
  if (uris.length === 0) return undefined;
  const { servedInputDrift } = await import('../../serving/served-drift.js');
  const { createDataRepository } = await import('../../versioning/data-repository-factory.js');
  const data = createDataRepository({ home });
  try {
    return await servedInputDrift({
      data,
      tracking: args.tracking,
      registry: args.registry,
      name: args.name,
      uris,
    });
  } finally {
    await data.close();
  }
}

function printDrift(reports: readonly ServedDriftReport[]): void {
  const out = process.stdout;
  out.write(
    '\nserved inputs vs training data (PSI on the training deciles: < 0.1 stable, 0.1-0.25 moderate, > 0.25 shifted)\n',
  );
  for (const report of reports) {
    const at = report.commitId === undefined ? '' : ` @ ${report.commitId.slice(0, 12)}`;
    const version = report.version === undefined ? '' : `, v${report.version}: ${report.rows} row(s)`;
    out.write(`\n${report.uri}${at}${version}${report.note === undefined ? '' : ` — ${report.note}`}\n`);
    if (report.features.length === 0) continue;
    printTable(
      ['feature', 'psi', 'level', 'served mean', 'training mean', 'shift (sd)', 'missing served/training'],
      report.features.map((f) => [
        f.feature,
        f.psi.toFixed(3),
        f.level,
        f.servedMean.toFixed(3),
        f.trainingMean.toFixed(3),
        f.meanShift.toFixed(2),
        `${(f.servedMissing * 100).toFixed(1)}% / ${(f.trainingMissing * 100).toFixed(1)}%`,
      ]),
    );
  }
}

/** Registers the tracking sub-commands on `program`. */
export function registerTrackingCommands(program: Command): void {
  const uriOption = [
    '--tracking-uri <uri>',
    'tracking backend (default: $MLFLOW_TRACKING_URI, else the embedded store)',
  ] as const;

  const experiments = program.command('experiments').description('experiments of the tracking store');
  experiments
    .command('list')
    .description('list experiments')
    .option('--json', 'print JSON')
    .option(...uriOption)
    .action(async (_options: CommonOptions, command: Command) => {
      await withStores(command, async ({ tracking }) => {
        const list = await tracking.listExperiments();
        if (command.optsWithGlobals<CommonOptions>().json === true) {
          printJson(list);
          return;
        }
        printTable(
          ['id', 'name', 'created'],
          list.map((e) => [e.experimentId, e.name, time(e.creationTime)]),
        );
      });
    });

  const runs = program
    .command('training-runs')
    .description(
      'training runs (MLflow runs: params, metrics, artifacts); pipeline runs are `lakeloop runs`',
    );
  runs
    .command('list')
    .description('list training runs, newest first')
    .option('--experiment <name>', 'only this experiment (default: all)')
    .option('--limit <n>', 'at most n runs', '50')
    .option('--json', 'print JSON')
    .option(...uriOption)
    .action(async (options: CommonOptions & { experiment?: string; limit: string }, command: Command) => {
      await withStores(command, async ({ tracking }) => {
        const experimentsList =
          options.experiment === undefined
            ? await tracking.listExperiments()
            : [await tracking.getExperimentByName(options.experiment)];
        const names = new Map(experimentsList.map((e) => [e.experimentId, e.name]));
        const found =
          experimentsList.length === 0
            ? []
            : await tracking.searchRuns({
                experimentIds: experimentsList.map((e) => e.experimentId),
                maxResults: Math.max(1, Number.parseInt(options.limit, 10) || 50),
              });
        if (command.optsWithGlobals<CommonOptions>().json === true) {
          printJson(found);
          return;
        }
        printTable(
          ['run id', 'experiment', 'name', 'status', 'started', 'duration', 'metrics'],
          found.map((r) => [
            r.info.runId,
            names.get(r.info.experimentId) ?? r.info.experimentId,
            r.info.runName,
            r.info.status,
            time(r.info.startTime),
            duration(r),
            metricSummary(r.metrics),
          ]),
        );
      });
    });
  runs
    .command('show <runId>')
    .description('show a training run: params, metrics, tags, inputs, artifacts')
    .option('--json', 'print JSON')
    .option(...uriOption)
    .action(async (runId: string, _options: CommonOptions, command: Command) => {
      await withStores(command, async ({ tracking }) => {
        const run = await tracking.getRun(runId);
        const artifacts = await tracking.listArtifacts(runId);
        if (command.optsWithGlobals<CommonOptions>().json === true) {
          printJson({ ...run, artifacts });
          return;
        }
        const out = process.stdout;
        out.write(`run ${run.info.runId} "${run.info.runName}" (experiment ${run.info.experimentId})\n`);
        out.write(`status ${run.info.status}, started ${time(run.info.startTime)}`);
        out.write(
          run.info.endTime === undefined ? '\n' : `, ended ${time(run.info.endTime)} (${duration(run)})\n`,
        );
        out.write(`artifacts ${run.info.artifactUri}\n\n`);
        printTable(['param', 'value'], Object.entries(run.params));
        out.write('\n');
        printTable(['metric', 'latest'], Object.entries(run.metrics));
        out.write('\n');
        printTable(['tag', 'value'], Object.entries(userTags(run.tags)));
        if (run.inputs.length > 0) {
          out.write('\n');
          printTable(
            ['input', 'digest', 'source'],
            run.inputs.map((i) => [i.name, i.digest, i.source]),
          );
        }
        out.write('\n');
        printTable(
          ['artifact', 'size'],
          artifacts.map((a) => [a.isDir ? `${a.path}/` : a.path, a.fileSize]),
        );
      });
    });

  const models = program.command('models').description('registered models, versions and aliases');
  models
    .command('list')
    .description('list registered models')
    .option('--json', 'print JSON')
    .option(...uriOption)
    .action(async (_options: CommonOptions, command: Command) => {
      await withStores(command, async ({ registry }) => {
        const list = await registry.searchRegisteredModels();
        if (command.optsWithGlobals<CommonOptions>().json === true) {
          printJson(list);
          return;
        }
        printTable(
          ['name', 'latest version', 'aliases', 'updated'],
          list.map((m) => [
            m.name,
            m.latestVersion,
            Object.entries(m.aliases)
              .map(([alias, version]) => `${alias}=v${version}`)
              .join(' '),
            time(m.lastUpdatedTimestamp),
          ]),
        );
      });
    });
  models
    .command('show <name>')
    .description(
      'show a registered model: versions, aliases, metrics and the data commit of each version, and the drift of its served inputs when predictions are logged',
    )
    .option('--json', 'print JSON')
    .option(
      '--predictions <uri...>',
      'prediction logs to measure drift on (default: those `lakeloop serve --log-predictions` recorded in the home)',
    )
    .option(...uriOption)
    .action(async (name: string, _options: CommonOptions, command: Command) => {
      await withStores(command, async ({ tracking, registry }) => {
        const model = await registry.getRegisteredModel(name);
        const versions = await registry.searchModelVersions({ name });
        const detailed = await Promise.all(
          versions.map(async (version) => {
            const run =
              version.runId === undefined
                ? undefined
                : await tracking.getRun(version.runId).catch(() => undefined);
            return {
              ...version,
              dataCommit: version.tags[LineageTag.DATA_COMMIT] ?? run?.tags[LineageTag.DATA_COMMIT],
              pipelineRunId:
                version.tags[LineageTag.PIPELINE_RUN_ID] ?? run?.tags[LineageTag.PIPELINE_RUN_ID],
              metrics: run?.metrics ?? {},
            };
          }),
        );
        const drift = await servedDrift({ command, name, tracking, registry });
        if (command.optsWithGlobals<CommonOptions>().json === true) {
          printJson({
            ...model,
            versions: detailed,
            ...(drift === undefined ? {} : { servedInputDrift: drift }),
          });
          return;
        }
        process.stdout.write(
          `model ${model.name}${model.description === '' ? '' : ` — ${model.description}`}\n`,
        );
        const aliases = Object.entries(model.aliases).map(([alias, version]) => `${alias}=v${version}`);
        process.stdout.write(`aliases ${aliases.length === 0 ? '(none)' : aliases.join(' ')}\n\n`);
        printTable(
          ['version', 'aliases', 'created', 'run id', 'data commit', 'metrics'],
          detailed.map((v) => [
            v.version,
            v.aliases.join(' '),
            time(v.creationTimestamp),
            v.runId,
            v.dataCommit,
            metricSummary(v.metrics, 4),
          ]),
        );
        if (drift !== undefined) printDrift(drift);
      });
    });
  models
    .command('promote <name> <version>')
    .description('point an alias (default champion) at a model version')
    .option('--alias <alias>', 'the alias to move', 'champion')
    .option('--reason <text>', 'why it moves (recorded in `models history`)')
    .option('--by <who>', 'who moves it (default $USER)')
    .option('--json', 'print JSON')
    .option(...uriOption)
    .action(
      async (
        name: string,
        version: string,
        options: CommonOptions & { alias: string; reason?: string; by?: string },
        command: Command,
      ) => {
        await withStores(command, async ({ registry }) => {
          const previous = await registry
            .getModelVersionByAlias({ name, alias: options.alias })
            .then((v) => v.version)
            .catch(() => undefined);
          await registry.setAlias(name, options.alias, version, {
            ...(options.reason === undefined ? {} : { reason: options.reason }),
            ...(options.by === undefined ? {} : { by: options.by }),
          });
          if (command.optsWithGlobals<CommonOptions>().json === true) {
            printJson({ name, alias: options.alias, version, previous });
            return;
          }
          process.stdout.write(
            `${name}@${options.alias} -> version ${version}${previous === undefined || previous === version ? '' : ` (was ${previous})`}\n`,
          );
        });
      },
    );
  models
    .command('rollback <name>')
    .description('move an alias (default champion) back to the version it pointed at before its last move')
    .option('--alias <alias>', 'the alias to move back', 'champion')
    .option('--to <version>', 'go back to this former version instead (one the alias pointed at before)')
    .requiredOption('--reason <text>', 'why it moves back (recorded in `models history`)')
    .option('--by <who>', 'who moves it (default $USER)')
    .option('--json', 'print JSON')
    .option(...uriOption)
    .action(
      async (
        name: string,
        options: CommonOptions & { alias: string; to?: string; reason: string; by?: string },
        command: Command,
      ) => {
        await withStores(command, async ({ registry }) => {
          const result = await rollbackAlias({
            registry,
            name,
            alias: options.alias,
            reason: options.reason,
            by: options.by ?? defaultAliasMover(),
            ...(options.to === undefined ? {} : { toVersion: options.to }),
          });
          if (command.optsWithGlobals<CommonOptions>().json === true) {
            printJson(result);
            return;
          }
          process.stdout.write(
            `${name}@${options.alias} -> version ${result.toVersion} (rolled back from ${result.fromVersion === undefined ? 'no version' : result.fromVersion})\n`,
          );
        });
      },
    );
  models
    .command('history <name>')
    .description(
      'every move of the aliases of a registered model, newest first (from, to, when, why, by whom)',
    )
    .option('--alias <alias>', 'only this alias')
    .option('--limit <n>', 'at most this many moves', '50')
    .option('--json', 'print JSON')
    .option(...uriOption)
    .action(
      async (name: string, options: CommonOptions & { alias?: string; limit: string }, command: Command) => {
        await withStores(command, async ({ registry }) => {
          const limit = Number(options.limit);
          if (!Number.isInteger(limit) || limit < 1) {
            throw new LakeloopError(
              'INVALID_ARGUMENT',
              `--limit must be a positive whole number, not "${options.limit}".`,
            );
          }
          const moves = await registry.aliasHistory(name, {
            ...(options.alias === undefined ? {} : { alias: options.alias }),
            maxResults: limit,
          });
          if (command.optsWithGlobals<CommonOptions>().json === true) {
            printJson(moves);
            return;
          }
          if (moves.length === 0) {
            process.stdout.write(
              `No alias moves recorded for ${name}${options.alias === undefined ? '' : `@${options.alias}`}.\n`,
            );
            return;
          }
          printTable(
            ['when', 'alias', 'from', 'to', 'by', 'reason'],
            moves.map((m) => [
              time(m.timestamp),
              m.alias,
              m.fromVersion === undefined ? '-' : `v${m.fromVersion}`,
              m.toVersion === undefined ? '(deleted)' : `v${m.toVersion}`,
              m.by,
              m.reason,
            ]),
          );
        });
      },
    );
}
