/**
 * The event writer's batching: without a policy, the events of one tick go in one append (SQLite,
 * memory: unchanged); with one (PostgreSQL), a step's events wait for the step's end, the size
 * threshold, the timer or flush(), in order, one append each.
 */
import { describe, expect, it } from 'vitest';
import type { EventRecord, EventType } from '../../src/core/events/event-types.js';
import { EventWriter } from '../../src/core/execution/event-writer.js';
import { MemoryEventLogStorage } from '../../src/core/storage/memory/memory-event-log-storage.js';

/** A real in-memory event log that records the size of every append. */
class CountingEventLog extends MemoryEventLogStorage {
  readonly appends: number[] = [];
  override appendEvents(events: readonly EventRecord[]): Promise<number[]> {
    this.appends.push(events.length);
    return super.appendEvents(events);
  }
}

/** An event of step `stepKey` (null: a run-level event). */
function event(type: EventType, n: number, stepKey: string | null = 'a'): EventRecord {
  return {
    runId: 'r1',
    type,
    timestamp: n,
    message: `${type} ${n}`,
    ...(stepKey === null ? {} : { stepKey }),
  };
}

/** Lets pending promise callbacks and immediate timers run (a real turn of the event loop, not a sleep). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('EventWriter batching', () => {
  it('without a policy, appends the events of one tick together and each later tick on its own', async () => {
    const log = new CountingEventLog();
    const writer = new EventWriter({ events: log });
    void writer.emit(event('STEP_START', 1));
    void writer.emit(event('LOG', 2));
    await turn();
    void writer.emit(event('LOG', 3));
    await writer.flush();
    expect(log.appends).toEqual([2, 1]);
  });

  it('with a policy, holds a step’s events until the step ends, then appends them in one call, in order', async () => {
    const log = new CountingEventLog();
    const writer = new EventWriter({ events: log, buffering: { maxEvents: 100, maxDelayMs: 60_000 } });
    void writer.emit(event('STEP_START', 1));
    await turn();
    void writer.emit(event('LOG', 2));
    await turn();
    void writer.emit(event('ASSET_MATERIALIZATION', 3));
    await turn();
    expect(log.appends).toEqual([]);
    const stored = writer.emit(event('STEP_SUCCESS', 4));
    await stored;
    expect(log.appends).toEqual([4]);
    expect((await log.getEvents({})).map((e) => e.timestamp)).toEqual([1, 2, 3, 4]);
    await writer.emit(event('RUN_SUCCESS', 5, null)); // run-level: at once, no flush needed
    expect(log.appends).toEqual([4, 1]);
  });

  it('appends when maxEvents are waiting, and flush() writes the rest', async () => {
    const log = new CountingEventLog();
    const writer = new EventWriter({ events: log, buffering: { maxEvents: 3, maxDelayMs: 60_000 } });
    for (let i = 1; i <= 2; i++) void writer.emit(event('LOG', i));
    await turn();
    expect(log.appends).toEqual([]);
    void writer.emit(event('LOG', 3));
    await turn();
    expect(log.appends).toEqual([3]);
    for (let i = 4; i <= 5; i++) void writer.emit(event('LOG', i));
    await turn();
    expect(log.appends).toEqual([3]);
    await writer.flush();
    expect(log.appends).toEqual([3, 2]);
    expect((await log.getEvents({})).map((e) => e.timestamp)).toEqual([1, 2, 3, 4, 5]);
  });

  it('appends a waiting batch after maxDelayMs without a step end', async () => {
    const log = new CountingEventLog();
    const writer = new EventWriter({ events: log, buffering: { maxEvents: 100, maxDelayMs: 5 } });
    const stored = writer.emit(event('STEP_START', 1));
    void writer.emit(event('LOG', 2));
    await stored; // settles only through the timer
    expect(log.appends).toEqual([2]);
  });
});
