/**
 * The stored upstream values one step reads, picked from the run's input index: the one value of
 * each upstream asset (its partition when both are partitioned), or every partition of a
 * partitioned upstream read by an unpartitioned asset (sorted by partition key).
 *
 * @example
 * ```ts
 * const { inputs, missing } = stepInputs({ defs, assetKey: 'train_model', partition: '2001-03', index });
 * if (missing !== undefined) console.log(`never materialized: ${missing}`);
 * ```
 */
import type { Definitions } from '../definitions/definitions.js';
import type { StepInput } from './executor.js';
import type { InputIndex } from './run-inputs.js';

/** Options of {@link stepInputs}. */
export interface StepInputsOptions {
  defs: Definitions;
  assetKey: string;
  /** The run's partition when the asset is partitioned, else undefined. */
  partition: string | undefined;
  index: InputIndex;
}

/** What {@link stepInputs} found. */
export interface StepInputs {
  inputs: StepInput[];
  /** An upstream value that is not stored (`key` or `key [partition]`), if any. */
  missing?: string;
}

/** The upstream values a step reads (and the one it lacks, if any). */
export function stepInputs(options: StepInputsOptions): StepInputs {
  const { defs, index, partition } = options;
  const asset = defs.asset(options.assetKey);
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
  return missing === undefined ? { inputs } : { inputs, missing };
}

/** The key of an input in `inputDataVersions`: `asset` or `asset[partition]`. */
export function inputKey(input: StepInput): string {
  return input.partition === undefined ? input.assetKey : `${input.assetKey}[${input.partition}]`;
}
