/**
 * Which stored values a run reads. A new run reads the latest materialization of each upstream
 * asset outside its plan; it records them in its RUN_START event (`data.inputs`), so that a
 * re-execution reads exactly what its parent read and produced — never a value another run stored
 * since (for a sensor's run of commit March, that would be April's data).
 *
 * @example
 * ```ts
 * const index = await resolveRunInputs(instance, run, defs);
 * const input = index.get('preprocess')?.get(''); // { assetKey, storagePath, dataVersion }
 * ```
 */
import type { MaterializationData, RunRecord, StoredEvent } from '../events/event-types.js';
import type { Definitions } from '../definitions/definitions.js';
import type { Instance } from '../instance/instance.js';
import type { StepInput } from './executor.js';

/** Stored values by asset key, then partition ('' when none). */
export type InputIndex = Map<string, Map<string, StepInput>>;

/** Adds (or replaces) a value in the index. */
export function addInput(index: InputIndex, input: StepInput): void {
  let partitions = index.get(input.assetKey);
  if (partitions === undefined) {
    partitions = new Map();
    index.set(input.assetKey, partitions);
  }
  partitions.set(input.partition ?? '', input);
}

/** The value a materialization stored, or undefined when it names no storage path. */
export function inputOf(m: MaterializationData | undefined): StepInput | undefined {
  if (m?.storagePath === undefined) return undefined;
  const input: StepInput = { assetKey: m.assetKey, storagePath: m.storagePath, dataVersion: m.dataVersion };
  if (m.partition !== undefined && m.partition !== '') input.partition = m.partition;
  return input;
}

/** Every value of the index, as recorded in RUN_START. */
export function indexValues(index: InputIndex): StepInput[] {
  return [...index.values()].flatMap((partitions) => [...partitions.values()]);
}

function isStepInput(value: unknown): value is StepInput {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.assetKey === 'string' &&
    typeof v.storagePath === 'string' &&
    typeof v.dataVersion === 'string' &&
    (v.partition === undefined || typeof v.partition === 'string')
  );
}

/** The inputs a run recorded at its start, or undefined for runs that recorded none (older versions). */
export function recordedInputs(runStart: StoredEvent | undefined): StepInput[] | undefined {
  const inputs = runStart?.data?.inputs;
  return Array.isArray(inputs) ? inputs.filter(isStepInput) : undefined;
}

/**
 * What a run's re-execution reads: the values the run read (its RUN_START record) overlaid by the
 * values it produced. A run that never got to record its inputs (killed while STARTING) read and
 * produced nothing: its own parent's values are used, and so on up the chain. Undefined when no run
 * of the chain recorded inputs (runs of an older version).
 */
export async function valuesOfRun(instance: Instance, runId: string): Promise<InputIndex | undefined> {
  const events = await instance.events.getEvents({ runId, types: ['RUN_START', 'ASSET_MATERIALIZATION'] });
  const read = recordedInputs(events.find((e) => e.type === 'RUN_START'));
  let index: InputIndex;
  if (read === undefined) {
    const parentRunId = (await instance.runs.getRun(runId))?.parentRunId;
    const inherited = parentRunId === undefined ? undefined : await valuesOfRun(instance, parentRunId);
    if (inherited === undefined) return undefined;
    index = inherited;
  } else {
    index = new Map();
    for (const input of read) addInput(index, input);
  }
  for (const event of events) {
    const produced = inputOf(event.materialization);
    if (produced !== undefined) addInput(index, produced);
  }
  return index;
}

/** The latest stored values of the upstream assets a run needs from outside its plan. */
async function latestInputs(instance: Instance, run: RunRecord, defs: Definitions): Promise<InputIndex> {
  const index: InputIndex = new Map();
  const inPlan = new Set(run.assetKeys);
  const external = [...new Set(run.assetKeys.flatMap((k) => defs.asset(k).deps))].filter(
    (k) => !inPlan.has(k),
  );
  const partitionedDownstream = run.assetKeys.some((k) =>
    defs.asset(k).deps.some((d) => defs.asset(d).partitions !== undefined),
  );
  // A non-partitioned step reads ALL partitions of a partitioned upstream, even one in the plan.
  const wanted = partitionedDownstream ? [...new Set([...external, ...run.assetKeys])] : external;
  if (wanted.length === 0) return index;
  for (const latest of await instance.events.latestMaterializations(wanted)) {
    const input = inputOf(latest.event.materialization);
    if (input !== undefined) addInput(index, input);
  }
  return index;
}

/**
 * The values a run starts from: for a re-execution, exactly its parent's (see {@link valuesOfRun});
 * otherwise the latest materializations.
 */
export async function resolveRunInputs(
  instance: Instance,
  run: RunRecord,
  defs: Definitions,
): Promise<InputIndex> {
  if (run.parentRunId !== undefined) {
    const parents = await valuesOfRun(instance, run.parentRunId);
    if (parents !== undefined) return parents;
  }
  return latestInputs(instance, run, defs);
}
