/**
 * The events a finished step attempt writes: on success its output, its materialization (with
 * the data versions of its inputs), its check evaluations and STEP_SUCCESS; on failure its check
 * evaluations (the caller then writes STEP_UP_FOR_RETRY or STEP_FAILURE).
 *
 * @example
 * ```ts
 * emitStepSuccess({ emit, defs, assetKey: 'model', partition: undefined, stepLabel: 'model', attempt: 1, inputs, outcome });
 * ```
 */
import type { CheckEvaluationData, MaterializationData } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import type { RunEventEmitter } from './event-writer.js';
import type { StepInput, StepOutcome } from './executor.js';
import { inputKey } from './step-inputs.js';

/** Writes one ASSET_CHECK_EVALUATION event per check (INFO when passed, else ERROR or WARN by severity). */
export function emitCheckEvaluations(
  emit: RunEventEmitter,
  assetKey: string,
  stepLabel: string,
  checks: readonly CheckEvaluationData[],
): void {
  for (const check of checks) {
    void emit({
      type: 'ASSET_CHECK_EVALUATION',
      stepKey: assetKey,
      level: check.passed ? 'INFO' : check.severity === 'ERROR' ? 'ERROR' : 'WARN',
      message: `Check ${check.checkName} on ${stepLabel} ${check.passed ? 'passed' : 'failed'}.`,
      checkEvaluation: check,
    });
  }
}

/** Options of {@link emitStepSuccess}. */
export interface StepSuccessOptions {
  emit: RunEventEmitter;
  defs: Definitions;
  assetKey: string;
  partition: string | undefined;
  /** `key` or `key [partition]`, as messages show it. */
  stepLabel: string;
  attempt: number;
  /** The values the attempt read. */
  inputs: readonly StepInput[];
  outcome: Extract<StepOutcome, { status: 'SUCCESS' }>;
}

/** Writes the events of a successful attempt; returns the value it stored, as downstream steps read it. */
export function emitStepSuccess(options: StepSuccessOptions): StepInput {
  const { emit, assetKey: key, partition, stepLabel, outcome } = options;
  const { output } = outcome;
  const materialization: MaterializationData = {
    assetKey: key,
    dataVersion: output.dataVersion,
    inputDataVersions: Object.fromEntries(options.inputs.map((i) => [inputKey(i), i.dataVersion])),
    storagePath: output.storagePath,
    metadata: outcome.metadata,
  };
  if (partition !== undefined) materialization.partition = partition;
  const codeVersion = options.defs.asset(key).codeVersion;
  if (codeVersion !== undefined) materialization.codeVersion = codeVersion;
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
  emitCheckEvaluations(emit, key, stepLabel, outcome.checks);
  void emit({
    type: 'STEP_SUCCESS',
    stepKey: key,
    message: `Finished ${stepLabel} in ${outcome.durationMs.toFixed(1)} ms.`,
    data: {
      durationMs: outcome.durationMs,
      attempt: options.attempt,
      ...(outcome.executedBy === undefined ? {} : { executedBy: outcome.executedBy }),
    },
  });
  const produced: StepInput = {
    assetKey: key,
    storagePath: output.storagePath,
    dataVersion: output.dataVersion,
  };
  if (partition !== undefined) produced.partition = partition;
  return produced;
}
