/**
 * The live stream: `GET /api/stream?topics=runs,events,ticks,commits,models`, one Server-Sent
 * Events stream of the loop as it happens (live-feed.ts reads the sources). Each frame has
 * `event: run|event|tick|commit|model-version|alias`, JSON `data`, and an `id` that is a cursor:
 * reconnecting with `Last-Event-ID: <id>` (or `?lastEventId=<id>` on a first connection; the
 * header wins) gives exactly the frames after it. Without one the stream starts now; its first
 * frame is an id-only frame carrying that "now" cursor, so that even a client that saw nothing
 * resumes where it subscribed. `: keep-alive` comments every 15 s keep proxies from closing it.
 * The stream reads its sources when the instance's event log or the data repository notifies this
 * process, else every 50 ms (the registry at most every 250 ms), and stops all work when the
 * client goes.
 *
 * @example
 * ```sh
 * curl -N 'http://127.0.0.1:3000/api/stream?topics=commits,ticks,runs'
 * ```
 */
import type { SSEStreamingApi } from 'hono/streaming';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { required } from '../api-context.js';
import type { ApiContext } from '../api-context.js';
import { commaListParam, querySchema } from '../api-input.js';
import type { ApiRouter } from '../api-router.js';
import { MAX_LIVE_CURSOR_LENGTH } from '../live-cursor.js';
import { LIVE_TOPICS, LiveFeed } from '../live-feed.js';
import type { LiveStreamOptions, LiveTopic } from '../live-feed.js';

const DEFAULT_POLL_INTERVAL_MS = 50;
const DEFAULT_HEARTBEAT_MS = 15_000;

const streamQuery = querySchema({
  topics: commaListParam(LIVE_TOPICS, 'topic').optional(),
  lastEventId: z.string().max(MAX_LIVE_CURSOR_LENGTH).optional(),
});

/** Waits `ms`, or until `signal` aborts; never rejects. */
function timerSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A wake-up that is not lost when it rings while nobody waits (it cuts the next wait short). */
class Doorbell {
  #rung = false;
  #wake: (() => void) | undefined;

  readonly ring = (): void => {
    this.#rung = true;
    this.#wake?.();
  };

  /** Waits for a ring, `ms`, or `signal`. */
  async wait(ms: number, sleep: NonNullable<LiveStreamOptions['sleep']>, signal: AbortSignal): Promise<void> {
    if (this.#rung || signal.aborted) {
      this.#rung = false;
      return;
    }
    const pause = new AbortController();
    const cut = (): void => {
      pause.abort();
    };
    this.#wake = cut;
    signal.addEventListener('abort', cut, { once: true });
    try {
      await sleep(ms, pause.signal);
    } finally {
      this.#wake = undefined;
      this.#rung = false;
      signal.removeEventListener('abort', cut);
    }
  }
}

/** The topics this server can serve (every one with its part of the loop). */
function availableTopics(context: ApiContext): LiveTopic[] {
  return LIVE_TOPICS.filter(
    (topic) =>
      (topic !== 'commits' || context.data !== undefined) &&
      (topic !== 'models' || context.registry !== undefined),
  );
}

/** Writes the feed's frames until the client goes. */
async function pump(options: {
  stream: SSEStreamingApi;
  feed: LiveFeed;
  pacing: LiveStreamOptions;
  request: AbortSignal;
}): Promise<void> {
  const { stream, feed, pacing, request } = options;
  const stop = new AbortController();
  const gone = (): boolean => stop.signal.aborted;
  const abort = (): void => {
    stop.abort();
  };
  stream.onAbort(abort);
  request.addEventListener('abort', abort, { once: true });
  const bell = new Doorbell();
  const unsubscribe = feed.subscribe(bell.ring);
  let beating = false;
  const heartbeat = setInterval(() => {
    if (beating) return; // a client that does not read gets no pile of heartbeats
    beating = true;
    void stream.write(': keep-alive\n\n').finally(() => {
      beating = false;
    });
  }, pacing.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  try {
    // Id only (no data): not an event for EventSource, but its Last-Event-ID from now on.
    await stream.write(`: lakeloop live stream\nid: ${feed.cursor}\n\n`);
    while (!stop.signal.aborted) {
      const { frames, more } = await feed.read();
      for (const frame of frames) {
        if (gone()) return;
        await stream.writeSSE({ event: frame.event, data: JSON.stringify(frame.data), id: frame.id });
      }
      if (!more) {
        await bell.wait(
          pacing.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
          pacing.sleep ?? timerSleep,
          stop.signal,
        );
      }
    }
  } finally {
    clearInterval(heartbeat);
    unsubscribe();
    request.removeEventListener('abort', abort);
  }
}

/** Adds `GET /api/stream`. */
export function registerStreamRoutes(api: ApiRouter, context: ApiContext): void {
  api.route(
    {
      method: 'GET',
      path: '/api/stream',
      scope: 'read',
      tag: 'live',
      summary: 'Server-Sent Events of runs, events, ticks, commits and models (resume with Last-Event-ID)',
      query: streamQuery,
      produces: 'text/event-stream',
    },
    async (c, { query }) => {
      const topics = query.topics ?? availableTopics(context);
      if (topics.includes('commits')) required(context.data, 'data repository', 'data');
      if (topics.includes('models')) required(context.registry, 'model registry', 'registry');
      const header = c.req.header('last-event-id');
      const cursor = header === undefined || header === '' ? query.lastEventId : header;
      const pacing = context.live ?? {};
      // Opened before the response starts, so that a bad cursor is a 400, and "now" is now.
      const feed = await LiveFeed.open({
        defs: context.defs,
        instance: context.instance,
        topics,
        ...(context.data === undefined ? {} : { data: context.data }),
        ...(context.registry === undefined ? {} : { registry: context.registry }),
        ...(cursor === undefined || cursor === '' ? {} : { cursor }),
        ...(pacing.pageSize === undefined ? {} : { pageSize: pacing.pageSize }),
        ...(pacing.registryIntervalMs === undefined ? {} : { registryIntervalMs: pacing.registryIntervalMs }),
      });
      return streamSSE(
        c,
        (stream) => pump({ stream, feed, pacing, request: c.req.raw.signal }),
        // A source failing (e.g. the server closing its stores): hono sends `event: error` with the
        // message and ends the stream; the client reconnects with its Last-Event-ID.
        () => Promise.resolve(),
      );
    },
  );
}
