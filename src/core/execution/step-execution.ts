/**
 * Runs one step where it is called: loads the inputs through the IO manager, calls the asset's
 * compute function with its context (its resources set up and bound, its run config parsed),
 * finishes the resource bindings, evaluates the asset's checks on the value, and stores the
 * value atomically, unless compute threw or a blocking ERROR check failed (then nothing is
 * stored). Both the in-process executor and the worker processes use it.
 *
 * @example
 * ```ts
 * const outcome = await executeStep({ defs, task, ioManager, channel, instanceHome });
 * ```
 */
import { performance } from 'node:perf_hooks';
import { LakeloopError } from '../../errors.js';
import type { CheckEvaluationData } from '../events/event-types.js';
import type { AssetContext, CheckContext, LogLevel, StepLogger } from '../definitions/asset-context.js';
import { isAssetOutput } from '../definitions/asset-definition.js';
import type { AssetDefinition } from '../definitions/asset-definition.js';
import { toCheckResult } from '../definitions/check-definition.js';
import { dataCommitFromTags } from '../definitions/data-commit.js';
import type { Definitions } from '../definitions/definitions.js';
import { stepResourceEntries } from '../definitions/resources-spec.js';
import { parseConfigSection } from '../definitions/run-config.js';
import { RunResources } from './resource-scope.js';
import type { BoundResources } from './resource-scope.js';
import type { StepChannel, StepInput, StepOutcome, StepTask } from './executor.js';
import type { IoManager } from './io/io-manager.js';
import { serializeError } from './serialize-error.js';

/** Values already in memory, by storage path and data version (saves re-reading in one process). */
export type ValueCache = Map<string, unknown>;

/** Options of {@link executeStep}. */
export interface ExecuteStepOptions {
  defs: Definitions;
  task: StepTask;
  /** The instance's IO manager (assets with their own `io` use that). */
  ioManager: IoManager;
  channel: StepChannel;
  instanceHome: string;
  /** Default: no caching. */
  valueCache?: ValueCache;
  /** The run's resources in this process (the executor session's). Default: set up for this step only. */
  resources?: RunResources;
}

const cacheKey = (input: { storagePath: string; dataVersion: string }): string =>
  `${input.storagePath}#${input.dataVersion}`;

function makeLogger(channel: StepChannel): StepLogger {
  const at = (level: LogLevel) => (message: string) => {
    channel.log(level, message);
  };
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
}

async function loadInput(options: ExecuteStepOptions, input: StepInput): Promise<unknown> {
  const key = cacheKey(input);
  if (options.valueCache?.has(key) === true) return options.valueCache.get(key);
  const io = options.defs.asset(input.assetKey).io ?? options.ioManager;
  const value = await io.read(input);
  options.valueCache?.set(key, value);
  return value;
}

async function loadInputs(
  options: ExecuteStepOptions,
  asset: AssetDefinition,
): Promise<Record<string, unknown>> {
  const inputs: Record<string, unknown> = {};
  for (const dep of asset.deps) {
    const stored = options.task.inputs.filter((i) => i.assetKey === dep);
    const upstream = options.defs.asset(dep);
    if (upstream.partitions !== undefined && asset.partitions === undefined) {
      const byPartition: Record<string, unknown> = {};
      for (const input of stored) byPartition[input.partition ?? ''] = await loadInput(options, input);
      inputs[dep] = byPartition;
    } else {
      const input = stored[0];
      if (input === undefined) {
        throw new LakeloopError(
          'NOT_FOUND',
          `No stored value of upstream asset "${dep}" was given to step "${asset.key}".`,
        );
      }
      inputs[dep] = await loadInput(options, input);
    }
  }
  return inputs;
}

async function evaluateChecks(
  options: ExecuteStepOptions,
  resources: RunResources,
  value: unknown,
  log: StepLogger,
): Promise<CheckEvaluationData[]> {
  const { defs, task, channel } = options;
  const results: CheckEvaluationData[] = [];
  for (const check of defs.checksFor(task.assetKey)) {
    let evaluation: CheckEvaluationData;
    try {
      const bound = await resources.bind(
        stepResourceEntries(defs.resources, check),
        stepInfo(task, log, channel),
        `check "${check.name}" on asset "${task.assetKey}"`,
      );
      const ctx: CheckContext = {
        assetKey: task.assetKey,
        checkName: check.name,
        partition: task.partition,
        runId: task.runId,
        runTags: task.runTags,
        log,
        resources: bound.values,
        dataCommit: dataCommitFromTags(task.runTags),
        signal: channel.signal,
      };
      const result = toCheckResult(await finishing(bound, () => check.fn(ctx, value), log));
      evaluation = {
        assetKey: task.assetKey,
        checkName: check.name,
        passed: result.passed,
        severity: result.severity,
        blocking: check.blocking,
        metadata: {
          ...(result.metadata ?? {}),
          ...(result.description === undefined ? {} : { description: result.description }),
        },
      };
    } catch (error) {
      evaluation = {
        assetKey: task.assetKey,
        checkName: check.name,
        passed: false,
        severity: 'ERROR',
        blocking: check.blocking,
        metadata: { error: error instanceof Error ? error.message : String(error) },
      };
    }
    if (task.partition !== undefined) evaluation.partition = task.partition;
    results.push(evaluation);
  }
  return results;
}

function stepInfo(task: StepTask, log: StepLogger, channel: StepChannel) {
  return {
    runId: task.runId,
    runTags: task.runTags,
    assetKey: task.assetKey,
    partition: task.partition,
    attempt: task.attempt,
    log,
    signal: channel.signal,
  };
}

/** Runs `fn`, then finishes the bindings with how it ended (a finish failure after a throw is only logged). */
async function finishing<T>(bound: BoundResources, fn: () => T | Promise<T>, log: StepLogger): Promise<T> {
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await bound.finish({ ok: false, error }).catch((finishError: unknown) => {
      log.warn((finishError as Error).message);
    });
    throw error;
  }
  await bound.finish({ ok: true });
  return result;
}

/** Parses the asset's and the job's sections of the run config (validated at launch; parsed again for defaults). */
function parseStepConfig(
  defs: Definitions,
  asset: AssetDefinition,
  task: StepTask,
): { config: unknown; jobConfig: unknown } {
  const given = task.config ?? {};
  const config =
    asset.config === undefined ? undefined : parseConfigSection(asset.key, asset.config, given[asset.key]);
  const job = task.jobName === undefined ? undefined : defs.jobs.find((j) => j.name === task.jobName);
  const jobConfig =
    job?.config === undefined ? undefined : parseConfigSection(job.name, job.config, given[job.name]);
  return { config, jobConfig };
}

/** Runs one step attempt and returns its outcome (never throws for step errors). */
export async function executeStep(options: ExecuteStepOptions): Promise<StepOutcome> {
  const { defs, task, channel } = options;
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 1000) / 1000;
  let checks: CheckEvaluationData[] = [];
  let stage: 'config' | 'compute' | 'store' = 'config';
  const resources =
    options.resources ?? new RunResources({ runId: task.runId, instanceHome: options.instanceHome });
  try {
    const asset = defs.asset(task.assetKey);
    const { config, jobConfig } = parseStepConfig(defs, asset, task);
    stage = 'compute';
    const inputs = await loadInputs(options, asset);
    channel.signal.throwIfAborted();
    const log = makeLogger(channel);
    const bound = await resources.bind(
      stepResourceEntries(defs.resources, asset),
      stepInfo(task, log, channel),
      `asset "${asset.key}"`,
    );
    const metadata: Record<string, unknown> = {};
    const ctx: AssetContext<Record<string, unknown>, unknown> = {
      assetKey: asset.key,
      partition: task.partition,
      partitionWindow:
        task.partition === undefined ? undefined : asset.partitions?.timeWindow(task.partition),
      runId: task.runId,
      runTags: task.runTags,
      attempt: task.attempt,
      log,
      resources: bound.values,
      config,
      jobConfig,
      dataCommit: dataCommitFromTags(task.runTags),
      instanceHome: options.instanceHome,
      signal: channel.signal,
      addMetadata: (more) => Object.assign(metadata, more),
    };
    const result: unknown = await finishing(bound, () => asset.compute(ctx, inputs), log);
    const value = isAssetOutput(result) ? result.value : result;
    if (isAssetOutput(result)) Object.assign(metadata, result.metadata);
    checks = await evaluateChecks(options, resources, value, log);
    const blocking = checks.filter((c) => !c.passed && c.blocking && c.severity === 'ERROR');
    if (blocking.length > 0) {
      const names = blocking.map((c) => c.checkName).join(', ');
      // The checks' own descriptions say what is wrong (e.g. which file): put them in the error.
      const reasons = blocking
        .map((c) => c.metadata?.['description'])
        .filter((d): d is string => typeof d === 'string' && d !== '');
      return {
        status: 'FAILURE',
        error: serializeError(
          new LakeloopError(
            'CHECK_FAILED',
            `Blocking check${blocking.length > 1 ? 's' : ''} ${names} on asset "${asset.key}" failed` +
              (reasons.length > 0 ? ` (${reasons.join(' ')})` : '') +
              '; the value was not stored and downstream steps were skipped.',
            { details: { checks: names } },
          ),
        ),
        checks,
        retryable: false,
        durationMs: elapsed(),
      };
    }
    stage = 'store';
    const io = asset.io ?? options.ioManager;
    const output = await io.write(
      { assetKey: asset.key, ...(task.partition === undefined ? {} : { partition: task.partition }) },
      value,
    );
    options.valueCache?.set(cacheKey(output), value);
    return { status: 'SUCCESS', output, metadata, checks, durationMs: elapsed() };
  } catch (error) {
    const canceled = channel.signal.aborted;
    const failure = canceled
      ? new LakeloopError('CANCELED', `Step "${task.assetKey}" stopped: the run was canceled.`, {
          cause: error,
        })
      : error;
    return {
      status: 'FAILURE',
      error: serializeError(failure),
      checks,
      retryable:
        !canceled && stage === 'compute' && !(error instanceof LakeloopError && error.code === 'NOT_FOUND'),
      durationMs: elapsed(),
    };
  } finally {
    if (options.resources === undefined) await resources.close();
  }
}
