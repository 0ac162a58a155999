/**
 * The resumable position of the live stream (`GET /api/stream`): where the client is in every
 * source, carried as the SSE `id` of each frame (base64url JSON, opaque to clients). A client
 * that reconnects with it (`Last-Event-ID`) gets exactly the frames after that one.
 *
 * @example
 * ```ts
 * const id = encodeLiveCursor({ e: 41, c: { 'flights/main': 'a1b2…' } });
 * decodeLiveCursor(id); // { e: 41, c: { 'flights/main': 'a1b2…' } }
 * ```
 */
import { z } from 'zod';
import { LakeloopError } from '../errors.js';

/**
 * Where the client is in each source. A source absent from the position (not subscribed when the
 * cursor was made) starts "now".
 */
export interface LivePosition {
  /** Event log: events with a greater id are new. */
  e?: number;
  /** The event (id `e + 1`) whose `run` frame was sent but whose `event` frame was not. */
  s?: number;
  /** Commits: the head last reported, by `repository/branch`. */
  c?: Record<string, string>;
  /** Ticks: the highest tick id reported, by `SENSOR:name` or `SCHEDULE:name`. */
  t?: Record<string, number>;
  /**
   * Registry, by registered model: `[highest version reported, timestamp of the newest alias move
   * reported, how many moves with that timestamp were reported]`. A model absent while `m` is
   * present was created since: all of it is new.
   */
  m?: Record<string, [number, number, number]>;
}

const count = z.number().int().min(0);
const positionSchema = z.strictObject({
  e: count.optional(),
  s: count.optional(),
  c: z.record(z.string().max(2000), z.string().max(200)).optional(),
  t: z.record(z.string().max(2000), count).optional(),
  m: z.record(z.string().max(2000), z.tuple([count, count, count])).optional(),
});

/** Longest cursor accepted (a cursor names every watched branch, instigator and model). */
export const MAX_LIVE_CURSOR_LENGTH = 64 * 1024;

/** The cursor (SSE id) of a position. */
export function encodeLiveCursor(position: LivePosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position of a cursor; INVALID_ARGUMENT when it is not one this stream made. */
export function decodeLiveCursor(cursor: string): LivePosition {
  const invalid = (cause?: unknown) =>
    new LakeloopError(
      'INVALID_ARGUMENT',
      'Last-Event-ID is not a cursor of this stream: give the id of a frame it sent, or reconnect without it to start now.',
      cause === undefined ? {} : { cause },
    );
  if (cursor.length > MAX_LIVE_CURSOR_LENGTH || !/^[A-Za-z0-9_-]*$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw invalid(cause);
  }
  const result = positionSchema.safeParse(parsed);
  if (!result.success) throw invalid(result.error);
  return result.data;
}
