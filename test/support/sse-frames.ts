/**
 * Reads Server-Sent Events frames from a response body, for tests of `GET /api/stream` (through
 * `app.request` or a real socket): `next()` awaits the next frame, `until()` collects frames up to
 * the first that matches, `close()` cancels the body (the client going away).
 *
 * @example
 * ```ts
 * const sse = new SseReader((await app.request('/api/stream')).body!);
 * const commit = await sse.until((f) => f.event === 'commit');
 * await sse.close();
 * ```
 */

/** One frame: its fields (undefined when absent) and its comment lines (without the `:`). */
export interface SseFrame {
  event: string | undefined;
  data: string | undefined;
  id: string | undefined;
  comments: string[];
}

/** The JSON payload of a frame. */
export function frameData(frame: SseFrame): Record<string, unknown> {
  return JSON.parse(frame.data ?? 'null') as Record<string, unknown>;
}

/** Pulls frames from an SSE body. */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next frame; throws when the stream ends first. */
  async next(): Promise<SseFrame> {
    for (;;) {
      const end = this.#buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return parseFrame(block);
      }
      const { done, value } = await this.#reader.read();
      if (done) throw new Error(`The event stream ended (unparsed: ${JSON.stringify(this.#buffer)}).`);
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  /** Frames up to and including the first that matches. */
  async until(matches: (frame: SseFrame) => boolean): Promise<SseFrame[]> {
    const frames: SseFrame[] = [];
    for (;;) {
      const frame = await this.next();
      frames.push(frame);
      if (matches(frame)) return frames;
    }
  }

  /** The next frame that carries an event (skipping comments and id-only frames). */
  async nextEvent(): Promise<SseFrame> {
    const frames = await this.until((frame) => frame.event !== undefined);
    return frames[frames.length - 1] as SseFrame;
  }

  /** Cancels the body: the server sees the client go. */
  async close(): Promise<void> {
    await this.#reader.cancel();
  }
}

function parseFrame(block: string): SseFrame {
  const frame: SseFrame = { event: undefined, data: undefined, id: undefined, comments: [] };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      frame.comments.push(line.slice(1).trim());
      continue;
    }
    const at = line.indexOf(':');
    const field = at < 0 ? line : line.slice(0, at);
    const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
    if (field === 'event') frame.event = value;
    else if (field === 'id') frame.id = value;
    else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
  }
  return frame;
}
