/**
 * The live stream (`GET /api/stream`, Server-Sent Events) for the whole tab: one connection, whose
 * topics are the union of what the mounted views subscribe to. It reads SSE over `fetch` rather
 * than `EventSource` so that the bearer token goes in a header (an EventSource cannot send one,
 * and a token in the URL would land in logs). On a drop, or when the topics change, it reconnects
 * with `Last-Event-ID`, so no frame is lost or repeated.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { storedToken } from './api-client.js';

/** Topics of the stream (docs/api.md). */
export type LiveTopic = 'runs' | 'events' | 'ticks' | 'commits' | 'models';

/** One frame: `event` is run | event | tick | commit | model-version | alias. */
export interface LiveFrame {
  event: string;
  data: unknown;
}

/** How the connection is doing, for the header's indicator. */
export type LiveStatus = 'idle' | 'connecting' | 'live' | 'retrying';

type Listener = (frame: LiveFrame) => void;

const RETRY_MS = [500, 1000, 2000, 5000];

class LiveConnection {
  #subscribers = new Map<Listener, readonly LiveTopic[]>();
  #controller: AbortController | undefined;
  #lastEventId: string | undefined;
  #topicsKey = '';
  #status: LiveStatus = 'idle';
  #statusListeners = new Set<() => void>();
  #failures = 0;

  subscribe(topics: readonly LiveTopic[], listener: Listener): () => void {
    this.#subscribers.set(listener, topics);
    this.#reconcile();
    return () => {
      this.#subscribers.delete(listener);
      this.#reconcile();
    };
  }

  get status(): LiveStatus {
    return this.#status;
  }

  onStatus(listener: () => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Reconnects after the token changed. */
  restart(): void {
    this.#topicsKey = '';
    this.#reconcile();
  }

  #setStatus(status: LiveStatus): void {
    this.#status = status;
    for (const listener of this.#statusListeners) listener();
  }

  /** (Re)connects when the union of topics changed; closes when nobody listens. */
  #reconcile(): void {
    const topics = [...new Set([...this.#subscribers.values()].flat())].sort();
    const key = topics.join(',');
    if (key === this.#topicsKey) return;
    this.#topicsKey = key;
    this.#controller?.abort();
    this.#controller = undefined;
    if (key === '') {
      this.#setStatus('idle');
      return;
    }
    const controller = new AbortController();
    this.#controller = controller;
    void this.#run(key, controller.signal);
  }

  async #run(topics: string, signal: AbortSignal): Promise<void> {
    // a function, not the property: the read below can abort it
    const aborted = (): boolean => signal.aborted;
    while (!aborted()) {
      this.#setStatus(this.#failures === 0 ? 'connecting' : 'retrying');
      try {
        await this.#read(topics, signal);
      } catch {
        // dropped or refused: retry below
      }
      if (aborted()) return;
      this.#setStatus('retrying');
      const wait = RETRY_MS[Math.min(this.#failures, RETRY_MS.length - 1)] ?? 5000;
      this.#failures += 1;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async #read(topics: string, signal: AbortSignal): Promise<void> {
    const token = storedToken();
    const response = await fetch(`/api/stream?topics=${topics}`, {
      headers: {
        accept: 'text/event-stream',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(this.#lastEventId === undefined ? {} : { 'last-event-id': this.#lastEventId }),
      },
      signal,
    });
    if (!response.ok || response.body === null) throw new Error(`stream answered ${response.status}`);
    this.#failures = 0;
    this.#setStatus('live');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        this.#dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  }

  /** One SSE block: remembers its id, hands its JSON to the subscribers of its topic. */
  #dispatch(block: string): void {
    let event: string | undefined;
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== undefined) this.#lastEventId = id;
    if (event === undefined || data.length === 0) return;
    const frame: LiveFrame = { event, data: JSON.parse(data.join('\n')) as unknown };
    const topic = topicOf(event);
    for (const [listener, topics] of this.#subscribers) if (topics.includes(topic)) listener(frame);
  }
}

/** The topic a frame kind belongs to. */
export function topicOf(event: string): LiveTopic {
  switch (event) {
    case 'run':
      return 'runs';
    case 'event':
      return 'events';
    case 'tick':
      return 'ticks';
    case 'commit':
      return 'commits';
    default:
      return 'models';
  }
}

const connection = new LiveConnection();

/** Reconnects the stream (after the token changed). */
export function restartLiveStream(): void {
  connection.restart();
}

/** Calls `onFrame` with every frame of `topics` while the component is mounted. */
export function useLiveFrames(topics: readonly LiveTopic[], onFrame: (frame: LiveFrame) => void): void {
  const latest = useRef(onFrame);
  latest.current = onFrame;
  const key = topics.join(',');
  useEffect(() => {
    if (key === '') return;
    return connection.subscribe(key.split(',') as LiveTopic[], (frame) => {
      latest.current(frame);
    });
  }, [key]);
}

/** The connection's status, re-rendering when it changes. */
export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(
    (listener) => connection.onStatus(listener),
    () => connection.status,
  );
}
