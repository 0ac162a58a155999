/**
 * What the storage contract suites share: how a suite gets a fresh storage, and record builders.
 *
 * @example
 * ```ts
 * describeRunStorageContract('memory', ({ clock }) => new MemoryRunStorage({ clock }));
 * ```
 */
import type { ManualClock } from '../../src/clock.js';
import type { RunRecord, SerializedError } from '../../src/core/events/event-types.js';

/** What a contract suite passes to a factory. */
export interface StorageFactoryContext {
  /** The clock the storage must use for the times it sets itself (e.g. `updatedAt`). */
  clock: ManualClock;
}

/**
 * Creates a fresh, empty storage for one test. The suite closes it after the test; the test file
 * that calls the suite removes anything else the factory created (temporary folders).
 */
export type StorageFactory<TStorage> = (context: StorageFactoryContext) => TStorage | Promise<TStorage>;

/** The time the contract suites start their manual clocks at (2026-01-01T00:00:00Z). */
export const CONTRACT_START_TIME = Date.parse('2026-01-01T00:00:00Z');

/** A run record with sensible defaults. */
export function makeRun(overrides: Partial<RunRecord> & { runId: string }): RunRecord {
  return {
    jobName: '__asset_selection__',
    selection: '*',
    assetKeys: ['load_data', 'train_model'],
    status: 'QUEUED',
    tags: {},
    createdAt: CONTRACT_START_TIME,
    updatedAt: CONTRACT_START_TIME,
    ...overrides,
  };
}

/** A serialized error with a two-level cause chain. */
export function nestedError(): SerializedError {
  return {
    name: 'LakeloopError',
    message: 'Step "train_model" failed; see the cause.',
    code: 'STEP_FAILED',
    stack: 'LakeloopError: Step "train_model" failed\n    at run (execution.ts:1:1)',
    cause: {
      name: 'TypeError',
      message: "Cannot read properties of undefined (reading 'delay')",
      stack: 'TypeError: Cannot read properties of undefined\n    at compute (assets.ts:2:2)',
      cause: { name: 'Error', message: 'root cause with unicode: é ✓ "quotes" \\ backslash' },
    },
  };
}
