/**
 * Entry point of a worker process of the multi-process executor: loads the definitions module
 * named by the parent, then runs the step tasks it receives one at a time with the filesystem
 * IO manager of the instance home, sending logs and outcomes back. Exits when the parent
 * disconnects.
 */
import { join } from 'node:path';
import type { Definitions } from '../../definitions/definitions.js';
import { loadDefinitions } from '../definitions-loader.js';
import { FilesystemIoManager } from '../io/filesystem-io-manager.js';
import { serializeError } from '../serialize-error.js';
import { executeStep } from '../step-execution.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const send = (message: FromWorker): void => {
  process.send?.(message);
};

let defs: Definitions | undefined;
let ioManager: FilesystemIoManager | undefined;
let instanceHome = '';
let current: AbortController | undefined;

process.on('disconnect', () => {
  current?.abort();
  process.exit(0);
});

process.on('message', (raw: unknown) => {
  const message = raw as ToWorker;
  switch (message.type) {
    case 'init':
      instanceHome = message.instanceHome;
      ioManager = new FilesystemIoManager({ root: join(message.instanceHome, 'storage') });
      loadDefinitions({ path: message.module }).then(
        (loaded) => {
          defs = loaded;
          send({ type: 'ready' });
        },
        (error: unknown) => {
          send({ type: 'init-error', error: serializeError(error) });
        },
      );
      break;
    case 'step': {
      if (defs === undefined || ioManager === undefined) return;
      const controller = new AbortController();
      current = controller;
      void executeStep({
        defs,
        task: message.task,
        ioManager,
        instanceHome,
        channel: {
          signal: controller.signal,
          log: (level, text) => {
            send({ type: 'log', level, message: text });
          },
        },
      }).then((outcome) => {
        current = undefined;
        send({ type: 'outcome', outcome });
      });
      break;
    }
    case 'abort':
      current?.abort();
      break;
  }
});
