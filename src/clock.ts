/**
 * Injected time and ids, so that schedulers are `tick(now)` functions tests drive without sleeping.
 *
 * @example
 * ```ts
 * const clock = manualClock(Date.parse('2026-01-01T00:00:00Z'));
 * clock.advance(1_000);
 * clock.now(); // 1767225601000
 * ```
 */
import { randomUUID } from 'node:crypto';

/** A source of time (milliseconds since the epoch). */
export interface Clock {
  now(): number;
}

/** A clock that can be moved by hand: the one tests use. */
export interface ManualClock extends Clock {
  set(epochMs: number): void;
  advance(ms: number): void;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export function manualClock(startEpochMs = 0): ManualClock {
  let current = startEpochMs;
  return {
    now: () => current,
    set: (epochMs) => {
      current = epochMs;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/** A source of unique ids. */
export type IdGenerator = () => string;

/** Random UUIDs (v4). */
export const randomId: IdGenerator = () => randomUUID();
