/**
 * `lakeloop serve`: a registered model over HTTP (`POST /invocations`), following its alias. The
 * registry is the instance home's embedded one, or the MLflow server of `MLFLOW_TRACKING_URI` /
 * `--tracking-uri`; the network rules are `lakeloop dev`'s (loopback unless a token is set).
 *
 * @example
 * ```sh
 * lakeloop serve models:/flight-delays@champion --port 8080
 * lakeloop serve models:/flight-delays/3 --host 0.0.0.0 --token-file ~/.lakeloop-token
 * lakeloop serve models:/flight-delays@champion --log-predictions lakefs://flights/predictions/served/
 * ```
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { describeError } from '../../errors.js';
import { ApiTokenFile } from '../../server/api-tokens.js';
import { API_TOKEN_FILE } from '../../server/dev-server.js';
import { parseModelRef } from '../../tracking/model-registry.js';
import { openRegistry, openTracking } from '../../tracking/open-tracking.js';
import { createDataRepository } from '../../versioning/data-repository-factory.js';
import type { DataRepository } from '../../versioning/data-repository.js';
import { PredictionLog } from '../../serving/prediction-log.js';
import { recordPredictionLog } from '../../serving/prediction-log-index.js';
import { startModelServer } from '../../serving/model-server.js';
import type { ModelServerHandle } from '../../serving/model-server.js';
import {
  onPeerRollback,
  runServingPrimary,
  tellPrimary,
  untilPrimaryStops,
} from '../../serving/serving-cluster.js';
import { instanceHome } from '../instance-home.js';
import { cliLogger, positiveInt, serverToken, untilSignal } from './server-command-support.js';
import type { ServerTokenOptions } from './server-command-support.js';

interface ServeCliOptions extends ServerTokenOptions {
  port: number;
  host: string;
  trackingUri?: string;
  pollIntervalMs?: number;
  workers: number;
  threads?: number;
  logLevel?: string;
  logPredictions?: string;
  logEveryRows: number;
  logEverySeconds: number;
  logBufferRows: number;
}

/** Registers `lakeloop serve` on `program`. */
export function registerServingCommands(program: Command): void {
  program
    .command('serve <model>')
    .description(
      'serve models:/NAME@ALIAS (hot-swapped when the alias moves) or models:/NAME/VERSION on POST /invocations',
    )
    .option('--port <port>', 'port (0: any free port)', positiveInt('--port'), 8080)
    .option('--host <host>', 'address to bind (non-loopback needs a token)', '127.0.0.1')
    .addOption(
      new Option('--token <token>', 'API bearer token (visible in ps: prefer --token-file)').env(
        'LAKELOOP_TOKEN',
      ),
    )
    .option('--token-file <path>', 'file holding the API bearer token (read and trimmed)')
    .option(
      '--tracking-uri <uri>',
      'registry backend (default: $MLFLOW_TRACKING_URI, else the embedded store)',
    )
    .option(
      '--poll-interval-ms <ms>',
      'how often the alias is read (default 500 on the embedded registry, 3000 on MLflow)',
      positiveInt('--poll-interval-ms'),
    )
    .option(
      '--workers <n>',
      'server processes sharing the port (node:cluster), each following the alias',
      positiveInt('--workers'),
      1,
    )
    .option(
      '--threads <n>',
      'onnxruntime intra-op threads for batches of 256+ rows (single rows use 1; default: cores / workers)',
      positiveInt('--threads'),
    )
    .option(
      '--log-predictions <uri>',
      'log requests and predictions as Parquet files committed to lakefs://repo/branch/prefix/',
    )
    .option(
      '--log-every-rows <n>',
      'commit the prediction log every n rows',
      positiveInt('--log-every-rows'),
      10_000,
    )
    .option(
      '--log-every-seconds <s>',
      'and at least every s seconds when rows are waiting',
      positiveInt('--log-every-seconds'),
      60,
    )
    .option(
      '--log-buffer-rows <n>',
      'rows the log buffers at most; beyond, rows are dropped and counted, requests never wait',
      positiveInt('--log-buffer-rows'),
      100_000,
    )
    .option('--log-level <level>', 'pino log level (default info)')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<ServeCliOptions>();
      const token = serverToken(options, command, 'lakeloop serve');
      const workers = Math.max(1, options.workers);
      if (workers > 1 && cluster.isPrimary) {
        const signal = untilSignal();
        await runServingPrimary({
          workers,
          stopSignal: signal,
          onListening: (url, version) => {
            process.stdout.write(
              `lakeloop serve: ${ref} (v${version}) at ${url}/invocations with ${workers} workers. Ctrl-C to stop.\n`,
            );
          },
        });
        process.stdout.write('lakeloop serve: stopped.\n');
        return;
      }
      await serveInThisProcess({ ref, options, token, workers, command });
    });
}

async function serveInThisProcess(args: {
  ref: string;
  options: ServeCliOptions;
  token: string | undefined;
  workers: number;
  command: Command;
}): Promise<void> {
  const { ref, options, token, workers } = args;
  const home = instanceHome(args.command);
  const target = { home, ...(options.trackingUri === undefined ? {} : { uri: options.trackingUri }) };
  const tracking = openTracking(target);
  const registry = openRegistry(target);
  const logger = cliLogger(options.logLevel);
  const signal = Promise.race([untilSignal(), untilPrimaryStops()]);
  let handle: ModelServerHandle | undefined;
  let data: DataRepository | undefined;
  let log: PredictionLog | undefined;
  try {
    try {
      if (options.logPredictions !== undefined) {
        data = createDataRepository({ home });
        log = await PredictionLog.open({
          data,
          uri: options.logPredictions,
          everyRows: options.logEveryRows,
          everySeconds: options.logEverySeconds,
          maxBufferedRows: options.logBufferRows,
          fileTag: `${process.pid}`,
          logger,
        });
        await recordPredictionLog({ home, model: parseModelRef(ref).name, uri: options.logPredictions });
      }
      const predictionLog = log;
      handle = await startModelServer({
        ref,
        registry,
        tracking,
        port: options.port,
        host: options.host,
        ...(token === undefined ? {} : { token }),
        tokens: new ApiTokenFile(join(home, API_TOKEN_FILE)),
        threads: options.threads ?? Math.max(1, Math.floor(availableParallelism() / workers)),
        ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
        logger,
        ...(predictionLog === undefined
          ? {}
          : {
              onPredictions: (entry) => {
                predictionLog.record(entry);
              },
              extraState: () => ({ predictionLog: predictionLog.stats() }),
            }),
        ...(cluster.isWorker
          ? {
              rollback: () => {
                const to = current().rollback();
                tellPrimary({ type: 'rollback' });
                return Promise.resolve(to);
              },
            }
          : {}),
      });
    } catch (error) {
      tellPrimary({ type: 'failed', message: describeError(error) });
      throw error;
    }
    const running = handle;
    const current = (): ModelServerHandle => running;
    const stopPeers = onPeerRollback(() => {
      try {
        running.rollback();
      } catch (error) {
        logger.warn({ error: describeError(error) }, 'Cannot follow the rollback of another worker.');
      }
    });
    const version = running.slot.current.info.version;
    if (cluster.isWorker) tellPrimary({ type: 'listening', url: running.url, version });
    else {
      process.stdout.write(
        `lakeloop serve: ${ref} (v${version}) at ${running.url}/invocations${running.follower === undefined ? '' : ', following the alias'}. Ctrl-C to stop.\n`,
      );
    }
    const received = await signal;
    stopPeers();
    if (!cluster.isWorker) process.stdout.write(`lakeloop serve: ${received}, stopping...\n`);
    await running.close();
    await log?.close(); // the last rows are committed before "stopped"
    if (!cluster.isWorker) process.stdout.write('lakeloop serve: stopped.\n');
  } finally {
    await log?.close();
    await data?.close();
    await registry.close();
    await tracking.close();
    // A worker's IPC channel keeps it alive: leave once everything is closed.
    if (cluster.isWorker) process.exit();
  }
}
