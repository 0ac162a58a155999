/**
 * Executes a created run: moves it through STARTING -> STARTED -> SUCCESS / FAILURE / CANCELED,
 * launches each step when its upstream steps succeeded (up to the executor's concurrency),
 * retries failed steps per their retry policy (with the instance's injected sleep), skips the
 * downstream of failed steps, reacts to cancellation (in this process immediately, from another
 * process by polling the run status), and writes every event to the event log.
 *
 * @example
 * ```ts
 * const run = await createRun(defs, { select: '*', instance });
 * const done = await executeRun({ defs, runId: run.runId, instance });
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { EventRecord, MaterializationData, RunRecord, RunStatus } from '../events/event-types.js';
import type { LogLevel } from '../definitions/asset-context.js';
import type { Definitions } from '../definitions/definitions.js';
import type { Instance } from '../instance/instance.js';
import { EventWriter } from './event-writer.js';
import { watchRun, writeFinalStatus } from './run-watch.js';
import { addInput, indexValues, resolveRunInputs } from './run-inputs.js';
import { FAILURE_HOOKS_TAG, runFailureHooks } from './run-failure-hooks.js';
import { ownerTags } from './run-ownership.js';
import type { Executor, ExecutorSession, StepInput, StepOutcome } from './executor.js';
import { retryDelayMs } from './retry-policy.js';
import { deserializeError, serializeError } from './serialize-error.js';

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

type StepState = 'pending' | 'running' | 'success' | 'failed' | 'skipped';

function inputKey(input: StepInput): string {
  return input.partition === undefined ? input.assetKey : `${input.assetKey}[${input.partition}]`;
}

/** Runs the steps of a created run (status NOT_STARTED or QUEUED) and returns the final record. */
export async function executeRun(options: ExecuteRunOptions): Promise<RunRecord> {
  const { defs, instance, runId } = options;
  const run = await instance.runs.getRun(runId);
  if (run === undefined)
    throw new LakeloopError('NOT_FOUND', `Unknown run ${runId}; list runs with \`lakeloop runs list\`.`);
  if (run.status !== 'NOT_STARTED' && run.status !== 'QUEUED') {
    throw new LakeloopError(
      'CONFLICT',
      `Run ${runId} is ${run.status}; only a NOT_STARTED or QUEUED run can be executed.`,
      {
        details: { runId, status: run.status },
      },
    );
  }
  for (const key of run.assetKeys) defs.asset(key); // every planned asset must exist in these definitions
  const clock = instance.clock;
  const writer = new EventWriter({ events: instance.events, onEvent: options.onEvent });
  const emit = (event: Omit<EventRecord, 'runId' | 'timestamp'>): Promise<void> =>
    writer.emit({ runId, timestamp: clock.now(), ...event });

  const controller = new AbortController();
  // Registered before the run names this process its owner, so no one in this process takes it for dead.
  instance.activeRuns.set(runId, controller);
  const claimed = await instance.runs
    .updateRun(runId, { status: 'STARTING', tags: ownerTags(instance.owner, clock.now()) }, run.status)
    .catch((error: unknown) => {
      instance.activeRuns.delete(runId);
      throw error;
    });
  if (!claimed) {
    instance.activeRuns.delete(runId);
    throw new LakeloopError('CONFLICT', `Run ${runId} was started or canceled by someone else.`, {
      details: { runId },
    });
  }
  void emit({ type: 'RUN_STARTING', message: `Run ${runId} starting.` });
  const startedAt = clock.now();
  const started = await instance.runs.updateRun(runId, { status: 'STARTED', startedAt }, 'STARTING');
  if (!started) controller.abort(); // canceled while starting

  const watch = watchRun({ instance, runId, controller, pollMs: options.cancelPollMs ?? 500 });

  const executor = options.executor ?? instance.executor;
  let session: ExecutorSession | undefined;
  const states = new Map<string, StepState>(run.assetKeys.map((k) => [k, 'pending']));
  const failures: { key: string; outcome: Extract<StepOutcome, { status: 'FAILURE' }> }[] = [];
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
    });
    const activeSession = session;

    const runStep = async (key: string): Promise<StepState> => {
      const asset = defs.asset(key);
      const partition = asset.partitions === undefined ? undefined : run.partition;
      const stepLabel = partition === undefined ? key : `${key} [${partition}]`;
      const channel = {
        signal: controller.signal,
        log: (level: LogLevel, message: string) => {
          void emit({ type: 'LOG', stepKey: key, level, message });
        },
      };
      for (let attempt = 1; ; attempt++) {
        void emit({
          type: 'STEP_START',
          stepKey: key,
          message: `Started ${stepLabel}${attempt > 1 ? ` (attempt ${attempt})` : ''}.`,
          data: { attempt },
        });
        const inputs: StepInput[] = [];
        let missing: string | undefined;
        for (const dep of asset.deps) {
          const stored = index.get(dep);
          const upstream = defs.asset(dep);
          if (upstream.partitions !== undefined && asset.partitions === undefined) {
            const all = [...(stored?.values() ?? [])].sort((a, b) =>
              (a.partition ?? '') < (b.partition ?? '') ? -1 : 1,
            );
            if (all.length === 0) missing = dep;
            inputs.push(...all);
          } else {
            const input = stored?.get(upstream.partitions === undefined ? '' : (partition ?? ''));
            if (input === undefined)
              missing = upstream.partitions === undefined ? dep : `${dep} [${partition ?? ''}]`;
            else inputs.push(input);
          }
        }
        let outcome: StepOutcome;
        if (missing !== undefined) {
          outcome = {
            status: 'FAILURE',
            error: serializeError(
              new LakeloopError(
                'NOT_FOUND',
                `Upstream asset ${missing} of "${key}" has never been materialized; materialize it first or select it too (e.g. "+${key}").`,
              ),
            ),
            checks: [],
            retryable: false,
            durationMs: 0,
          };
        } else {
          const task = {
            runId,
            assetKey: key,
            attempt,
            runTags: run.tags,
            inputs,
            ...(partition === undefined ? {} : { partition }),
          };
          outcome = await activeSession.runStep(task, channel);
        }
        if (outcome.status === 'SUCCESS') {
          const { output } = outcome;
          const inputDataVersions = Object.fromEntries(inputs.map((i) => [inputKey(i), i.dataVersion]));
          const materialization: MaterializationData = {
            assetKey: key,
            dataVersion: output.dataVersion,
            inputDataVersions,
            storagePath: output.storagePath,
            metadata: outcome.metadata,
          };
          if (partition !== undefined) materialization.partition = partition;
          if (asset.codeVersion !== undefined) materialization.codeVersion = asset.codeVersion;
          const produced: StepInput = {
            assetKey: key,
            storagePath: output.storagePath,
            dataVersion: output.dataVersion,
          };
          if (partition !== undefined) produced.partition = partition;
          addInput(index, produced);
          void emit({
            type: 'STEP_OUTPUT',
            stepKey: key,
            message: `Stored ${stepLabel} (${output.format}, ${output.sizeBytes} bytes).`,
            data: { format: output.format, sizeBytes: output.sizeBytes, storagePath: output.storagePath },
          });
          void emit({
            type: 'ASSET_MATERIALIZATION',
            stepKey: key,
            message: `Materialized ${stepLabel}.`,
            materialization,
          });
          for (const check of outcome.checks) {
            void emit({
              type: 'ASSET_CHECK_EVALUATION',
              stepKey: key,
              level: check.passed ? 'INFO' : check.severity === 'ERROR' ? 'ERROR' : 'WARN',
              message: `Check ${check.checkName} on ${stepLabel} ${check.passed ? 'passed' : 'failed'}.`,
              checkEvaluation: check,
            });
          }
          void emit({
            type: 'STEP_SUCCESS',
            stepKey: key,
            message: `Finished ${stepLabel} in ${outcome.durationMs.toFixed(1)} ms.`,
            data: { durationMs: outcome.durationMs, attempt },
          });
          return 'success';
        }
        for (const check of outcome.checks) {
          void emit({
            type: 'ASSET_CHECK_EVALUATION',
            stepKey: key,
            level: check.passed ? 'INFO' : check.severity === 'ERROR' ? 'ERROR' : 'WARN',
            message: `Check ${check.checkName} on ${stepLabel} ${check.passed ? 'passed' : 'failed'}.`,
            checkEvaluation: check,
          });
        }
        const policy = asset.retryPolicy;
        if (
          outcome.retryable &&
          policy !== undefined &&
          attempt <= policy.maxRetries &&
          !controller.signal.aborted
        ) {
          const waitMs = retryDelayMs(policy, { retry: attempt, random: instance.random });
          void emit({
            type: 'STEP_UP_FOR_RETRY',
            stepKey: key,
            level: 'WARN',
            message: `${stepLabel} failed (${outcome.error.message}); retry ${attempt} of ${policy.maxRetries} in ${waitMs} ms.`,
            error: outcome.error,
            data: { attempt, waitMs },
          });
          try {
            await instance.sleep(waitMs, controller.signal);
            continue;
          } catch {
            // canceled while waiting: fall through to failure
          }
        }
        void emit({
          type: 'STEP_FAILURE',
          stepKey: key,
          level: 'ERROR',
          message: `${stepLabel} failed: ${outcome.error.message}`,
          error: outcome.error,
          data: { durationMs: outcome.durationMs, attempt },
        });
        failures.push({ key, outcome });
        return 'failed';
      }
    };

    const running = new Map<string, Promise<void>>();
    for (;;) {
      for (const key of run.assetKeys) {
        if (states.get(key) !== 'pending') continue;
        const deps = defs.asset(key).deps.filter((d) => states.has(d));
        const blocked = deps.find((d) => states.get(d) === 'failed' || states.get(d) === 'skipped');
        if (controller.signal.aborted || blocked !== undefined) {
          states.set(key, 'skipped');
          void emit({
            type: 'STEP_SKIPPED',
            stepKey: key,
            message: controller.signal.aborted
              ? `Skipped ${key}: the run was canceled.`
              : `Skipped ${key}: upstream ${blocked ?? ''} did not succeed.`,
          });
          continue;
        }
        if (running.size >= activeSession.maxConcurrency) continue;
        if (deps.every((d) => states.get(d) === 'success')) {
          states.set(key, 'running');
          running.set(
            key,
            runStep(key).then((state) => {
              states.set(key, state);
              running.delete(key);
            }),
          );
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
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

  let status: RunStatus;
  let error: RunRecord['error'];
  if (internalError !== undefined) {
    status = 'FAILURE';
    error = serializeError(
      new LakeloopError('INTERNAL', `Run ${runId} could not execute: ${(internalError as Error).message}`, {
        cause: internalError,
      }),
    );
  } else if (controller.signal.aborted) {
    status = 'CANCELED';
  } else if (failures.length > 0) {
    status = 'FAILURE';
    const first = failures[0] as (typeof failures)[number];
    const others = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
    error = serializeError(
      new LakeloopError(
        'STEP_FAILED',
        `Step "${first.key}" failed${others}: ${first.outcome.error.message}`,
        {
          cause: deserializeError(first.outcome.error),
        },
      ),
    );
  } else {
    status = 'SUCCESS';
  }
  const endedAt = clock.now();
  const ended = await writeFinalStatus({
    instance,
    runId,
    update: {
      status,
      endedAt,
      ...(error === undefined ? {} : { error }),
      ...(status === 'SUCCESS' ? {} : { tags: { [FAILURE_HOOKS_TAG]: 'pending' } }),
    },
  }).finally(() => instance.activeRuns.delete(runId));
  if (ended.taken !== undefined) return ended.taken; // another process ended it first: its word stands
  const message =
    status === 'SUCCESS'
      ? `Run ${runId} succeeded.`
      : status === 'CANCELED'
        ? `Run ${runId} canceled.`
        : `Run ${runId} failed: ${error?.message ?? ''}`;
  const type = status === 'SUCCESS' ? 'RUN_SUCCESS' : status === 'CANCELED' ? 'RUN_CANCELED' : 'RUN_FAILURE';
  void emit({
    type,
    message,
    level: status === 'SUCCESS' ? 'INFO' : 'ERROR',
    ...(error === undefined ? {} : { error }),
    data: { durationMs: endedAt - startedAt },
  });
  await writer.flush();
  let final = await instance.runs.getRun(runId);
  if (final === undefined) throw new LakeloopError('INTERNAL', `Run ${runId} disappeared from run storage.`);
  if (status !== 'SUCCESS' && defs.runFailureHooks.length > 0) {
    await runFailureHooks({ instance, defs, run: final });
    final = (await instance.runs.getRun(runId)) ?? final;
  }
  return final;
}
