/**
 * Messages between the multi-process executor and its worker processes (over the Node IPC
 * channel). Everything is JSON: tasks and outcomes, never values (values go through the IO manager).
 */
import type { SerializedError } from '../../events/event-types.js';
import type { LogLevel } from '../../definitions/asset-context.js';
import type { StepOutcome, StepTask } from '../executor.js';

/** Parent -> worker. */
export type ToWorker =
  /** `ioUrl`: the IO manager to store values with (io-manager-url.ts). Default `<instanceHome>/storage`. */
  | { type: 'init'; module: string; instanceHome: string; ioUrl?: string }
  /** `ioUrl`: this step's IO manager when not the init one (a queue worker serves several). */
  | { type: 'step'; task: StepTask; ioUrl?: string }
  | { type: 'abort' }
  /** A run ended: tear down its run-scoped resources (queue workers serve many runs). */
  | { type: 'end-run'; runId: string }
  /** The session is over: tear down the run's resources, then exit. */
  | { type: 'close' };

/** Worker -> parent. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'outcome'; outcome: StepOutcome };
