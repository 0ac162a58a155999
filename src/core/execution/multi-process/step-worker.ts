/**
 * Entry point of a worker process of the multi-process executor: loads the definitions module
 * named by the parent, then runs the step tasks it receives one at a time with the IO manager the
 * parent names (default: the filesystem one of the instance home), sending logs and outcomes back.
 * The queue executor's `lakeloop worker` runs its steps in these processes too. The worker sets up the
 * resources its steps declare itself (it has its own copy of the definitions); on `close` it tears
 * them down (run-scoped, then process-scoped) and exits. It also exits when the parent disconnects.
 */
import type { Definitions } from '../../definitions/definitions.js';
import { loadDefinitions } from '../definitions-loader.js';
import type { IoManager } from '../io/io-manager.js';
import { openIoManager } from '../io/io-manager-url.js';
import { closeProcessResources, RunResources } from '../resource-scope.js';
import { serializeError } from '../serialize-error.js';
import { executeStep } from '../step-execution.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const send = (message: FromWorker): void => {
  process.send?.(message);
};

let defs: Definitions | undefined;
let ioManager: IoManager | undefined;
let instanceHome = '';
let current: AbortController | undefined;
/** The run-scoped resources of the runs this worker executed steps of (one per session in practice). */
const runResources = new Map<string, RunResources>();

const resourcesOf = (runId: string): RunResources => {
  let resources = runResources.get(runId);
  if (resources === undefined) {
    resources = new RunResources({
      runId,
      instanceHome,
      log: (level, text) => {
        send({ type: 'log', level, message: text });
      },
    });
    runResources.set(runId, resources);
  }
  return resources;
};

/** IO managers a step named (queue workers serve runs of several instances), by URL. */
const ioManagers = new Map<string, Promise<IoManager>>();
const ioManagerOf = (url: string | undefined): Promise<IoManager> => {
  if (url === undefined || url === ioManager?.location) {
    return ioManager === undefined
      ? Promise.reject(new Error('not initialized'))
      : Promise.resolve(ioManager);
  }
  let io = ioManagers.get(url);
  if (io === undefined) {
    io = openIoManager({ home: instanceHome, url });
    ioManagers.set(url, io);
  }
  return io;
};

let closing: Promise<void> | undefined;
const closeAll = (): Promise<void> =>
  (closing ??= (async () => {
    for (const resources of runResources.values()) await resources.close();
    runResources.clear();
    await closeProcessResources();
  })());

process.on('disconnect', () => {
  current?.abort();
  // The parent is gone: tear down what we can (logs go to stderr), then leave.
  void closeAll().finally(() => process.exit(0));
});

process.on('message', (raw: unknown) => {
  const message = raw as ToWorker;
  switch (message.type) {
    case 'init':
      instanceHome = message.instanceHome;
      Promise.all([
        loadDefinitions({ path: message.module }),
        openIoManager({
          home: message.instanceHome,
          ...(message.ioUrl === undefined ? {} : { url: message.ioUrl }),
        }),
      ]).then(
        ([loaded, io]) => {
          defs = loaded;
          ioManager = io;
          send({ type: 'ready' });
        },
        (error: unknown) => {
          send({ type: 'init-error', error: serializeError(error) });
        },
      );
      break;
    case 'step': {
      if (defs === undefined || ioManager === undefined) return;
      const loaded = defs;
      const controller = new AbortController();
      current = controller; // set now: an abort that follows finds this step
      void ioManagerOf(message.ioUrl)
        .then((io) =>
          executeStep({
            defs: loaded,
            task: message.task,
            ioManager: io,
            instanceHome,
            resources: resourcesOf(message.task.runId),
            channel: {
              signal: controller.signal,
              log: (level, text) => {
                send({ type: 'log', level, message: text });
              },
            },
          }),
        )
        .catch((error: unknown) => ({
          status: 'FAILURE' as const,
          error: serializeError(error),
          checks: [],
          retryable: false,
          durationMs: 0,
        }))
        .then((outcome) => {
          current = undefined;
          send({ type: 'outcome', outcome });
        });
      break;
    }
    case 'abort':
      current?.abort();
      break;
    case 'end-run': {
      const resources = runResources.get(message.runId);
      runResources.delete(message.runId);
      void resources?.close();
      break;
    }
    case 'close':
      void closeAll().finally(() => process.exit(0));
      break;
  }
});
