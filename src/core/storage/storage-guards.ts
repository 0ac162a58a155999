/**
 * Small checks every storage implementation shares, so that they fail the same way.
 *
 * @example
 * ```ts
 * const limit = checkLimit(filter.limit, 100); // throws INVALID_ARGUMENT for -1 or 2.5
 * ```
 */
import { LakeloopError } from '../../errors.js';
import type { TickRecord } from './storage-types.js';

/** Default number of runs `listRuns` returns. */
export const DEFAULT_RUN_LIMIT = 100;

/** Default number of ticks `listTicks` returns. */
export const DEFAULT_TICK_LIMIT = 100;

/**
 * Returns `limit` (or `fallback` when undefined) after checking it is a non-negative integer.
 * `fallback` undefined means "no limit".
 */
export function checkLimit(limit: number | undefined, fallback?: number): number | undefined {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new LakeloopError('INVALID_ARGUMENT', `Invalid limit ${limit}; pass a whole number >= 0.`, {
      details: { limit },
    });
  }
  return limit;
}

/** Throws the error a storage gives when it is used after `close()`. */
export function throwIfClosed(closed: boolean, what: string): void {
  if (closed) {
    throw new LakeloopError(
      'PRECONDITION_FAILED',
      `The ${what} is closed; open the instance again before using it.`,
    );
  }
}

/** The error for an unknown run id. */
export function unknownRunError(runId: string): LakeloopError {
  return new LakeloopError('NOT_FOUND', `Unknown run "${runId}"; list runs with \`lakeloop runs list\`.`, {
    details: { runId },
  });
}

/** The error for adding a run whose id is taken. */
export function duplicateRunError(runId: string): LakeloopError {
  return new LakeloopError(
    'ALREADY_EXISTS',
    `A run with id "${runId}" already exists; generate a new run id.`,
    {
      details: { runId },
    },
  );
}

/** The error for an unknown tick id. */
export function unknownTickError(id: number): LakeloopError {
  return new LakeloopError('NOT_FOUND', `Unknown tick ${id}; ticks are created with addTick.`, {
    details: { tickId: id },
  });
}

/** The asset key and partition an event is about, if any (used for the `assetKey` filter and indexes). */
export function assetOfEvent(event: {
  stepKey?: string;
  materialization?: { assetKey: string; partition?: string };
  checkEvaluation?: { assetKey: string; partition?: string };
}): { assetKey?: string; partition?: string } {
  const about = event.materialization ?? event.checkEvaluation;
  if (about !== undefined) return { assetKey: about.assetKey, partition: about.partition };
  return { assetKey: event.stepKey };
}

/** Whether `next` (just finished) repeats `previous` closely enough to be counted in it. */
export function canCoalesce(previous: TickRecord, next: TickRecord): boolean {
  return (
    previous.status === 'SKIPPED' &&
    next.status === 'SKIPPED' &&
    previous.type === next.type &&
    previous.skipReason === next.skipReason &&
    previous.cursor === next.cursor &&
    previous.error === undefined &&
    next.error === undefined &&
    next.runIds.length === 0 &&
    JSON.stringify(previous.runKeys) === JSON.stringify(next.runKeys) &&
    (previous.lastTimestamp ?? previous.timestamp) <= next.timestamp
  );
}

/** `previous` with `next` counted in. */
export function coalesceTicks(previous: TickRecord, next: TickRecord): TickRecord {
  return {
    ...previous,
    count: (previous.count ?? 1) + (next.count ?? 1),
    lastTimestamp: next.lastTimestamp ?? next.timestamp,
  };
}
