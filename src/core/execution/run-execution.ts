/**
 * Executes a created run in this process: claims and starts it (run-start.ts), records the
 * values it reads (run-inputs.ts), runs its steps in dependency order through the executor
 * (step-scheduler.ts, each step with its retries: step-attempts.ts), watches for a cancel from
 * another process (run-watch.ts), and ends it (run-finish.ts). Every event goes to the event log.
 * Dagster's names: this is the run worker's job; the run coordinator is our run queue
 * (src/core/daemon/run-queue.ts); docs/architecture.md has the whole mapping.
 *
 * @example
 * ```ts
 * const run = await createRun(defs, { select: '*', instance });
 * const done = await executeRun({ defs, runId: run.runId, instance });
 * ```
 */
import type { EventRecord, RunRecord } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import type { Instance } from '../instance/instance.js';
import { EventWriter, runEventEmitter } from './event-writer.js';
import type { Executor, ExecutorSession } from './executor.js';
import { finishRun, runVerdict } from './run-finish.js';
import { indexValues, resolveRunInputs } from './run-inputs.js';
import { startRun } from './run-start.js';
import { watchRun } from './run-watch.js';
import { runStepAttempts } from './step-attempts.js';
import type { StepRunContext } from './step-attempts.js';
import { scheduleSteps } from './step-scheduler.js';
import type { StepFailure } from './step-scheduler.js';

/** Options of {@link executeRun}. */
export interface ExecuteRunOptions {
  defs: Definitions;
  runId: string;
  instance: Instance;
  /** Default: the instance's executor (in-process unless configured). */
  executor?: Executor;
  /** Called for each event as it happens (live progress). Default none. */
  onEvent?: (event: EventRecord) => void;
  /** How often to look for a cancel request made by another process. Default 500 ms. */
  cancelPollMs?: number;
}

/** Runs the steps of a created run (status NOT_STARTED or QUEUED) and returns the final record. */
export async function executeRun(options: ExecuteRunOptions): Promise<RunRecord> {
  const { defs, instance, runId } = options;
  const writer = new EventWriter({
    events: instance.events,
    // A step's events in one append where appends are round trips (PostgreSQL); absent for SQLite.
    ...(instance.storages.eventBuffering === undefined
      ? {}
      : { buffering: instance.storages.eventBuffering }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  const emit = runEventEmitter(writer, runId, instance.clock);
  const { run, controller, startedAt } = await startRun({ defs, instance, runId, emit });
  const watch = watchRun({ instance, runId, controller, pollMs: options.cancelPollMs ?? 500 });
  const executor = options.executor ?? instance.executor;
  let session: ExecutorSession | undefined;
  let failures: StepFailure[] = [];
  let internalError: unknown;
  try {
    const index = await resolveRunInputs(instance, run, defs);
    // What the run reads from outside its plan: a re-execution of it reads exactly these.
    void emit({
      type: 'RUN_START',
      message: `Run ${runId} started: ${run.assetKeys.join(', ')}.`,
      data: { inputs: indexValues(index) },
    });
    session = await executor.open({
      defs,
      runId,
      instanceHome: instance.home,
      ioManager: instance.ioManager,
      log: (level, message) => void emit({ type: 'LOG', level, message }), // e.g. a failed resource teardown
    });
    const context: StepRunContext = {
      defs,
      run,
      session,
      index,
      emit,
      signal: controller.signal,
      sleep: instance.sleep,
      random: instance.random,
    };
    failures = await scheduleSteps({ ...context, runStep: (key) => runStepAttempts(context, key) });
  } catch (error) {
    internalError = error;
  } finally {
    watch.stop();
    await session?.close().catch(() => undefined);
  }
  try {
    await writer.flush();
  } catch (error) {
    internalError ??= error; // events of the run were lost: it cannot count as a success
  }
  const verdict = runVerdict({ runId, internalError, canceled: controller.signal.aborted, failures });
  return finishRun({ defs, instance, runId, writer, emit, startedAt, verdict });
}
