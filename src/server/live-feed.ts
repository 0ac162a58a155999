/**
 * The sources of the live stream (`GET /api/stream`): the instance's event log (`run` frames for
 * run-level events, `event` frames for every event), the sensors' and schedules' ticks (`tick`,
 * once a tick has finished), the data repository's commits (`commit`: the first-parent history of
 * the branches the data-commit sensors watch, else of every repository's default branch) and the
 * model registry (`model-version`, `alias`). One `read()` is one pass over the sources in causal
 * order (commits, ticks, events, registry), each bounded to a page; every frame carries the
 * cursor just after it (live-cursor.ts), so a client resuming from a frame's id gets the frames
 * after it, none twice.
 *
 * Nothing here is pushed by the stores except the event log's in-process notifier and the
 * repository's `onCommit` (embedded: also commits of other processes on the home); `subscribe`
 * relays both, and the route polls for the rest.
 *
 * @example
 * ```ts
 * const feed = await LiveFeed.open({ defs, instance, data, registry, topics: ['commits', 'runs'] });
 * const { frames } = await feed.read(); // [] right after open: the feed starts "now"
 * ```
 */
import type { Definitions } from '../core/definitions/definitions.js';
import { eventLogNotifier } from '../core/events/event-log-notifier.js';
import type { EventType, RunStatus, StoredEvent } from '../core/events/event-types.js';
import type { Instance } from '../core/instance/instance.js';
import type { TickRecord } from '../core/storage/storage-types.js';
import { MAX_PAGE_SIZE } from './api-input.js';
import type { ModelRegistry } from '../tracking/model-registry.js';
import type { AliasMove, ModelVersion } from '../tracking/tracking-types.js';
import type { Commit, DataRepository } from '../versioning/data-repository.js';
import { decodeLiveCursor, encodeLiveCursor } from './live-cursor.js';
import { watchedBranches } from './watched-branches.js';
import type { WatchedBranch } from './watched-branches.js';
import type { LivePosition } from './live-cursor.js';

/** The topics a client can subscribe to. */
export const LIVE_TOPICS = ['runs', 'events', 'ticks', 'commits', 'models'] as const;
/** A topic of the live stream. */
export type LiveTopic = (typeof LIVE_TOPICS)[number];

/** The SSE `event` names, by what they report. */
export type LiveFrameKind = 'run' | 'event' | 'tick' | 'commit' | 'model-version' | 'alias';

/** One frame of the stream: its kind, its JSON payload and the cursor just after it. */
export interface LiveFrame {
  event: LiveFrameKind;
  data: unknown;
  id: string;
}

/** Options of {@link LiveFeed.open}. */
export interface LiveFeedOptions {
  defs: Definitions;
  instance: Instance;
  /** Needed for `commits`. */
  data?: DataRepository;
  /** Needed for `models`. */
  registry?: ModelRegistry;
  topics: readonly LiveTopic[];
  /** Resume after this frame id. Default: start now. */
  cursor?: string;
  /** Most items one source gives per read. Default 200. */
  pageSize?: number;
  /** Least time between two reads of the registry, which pushes nothing. Default 250 ms. */
  registryIntervalMs?: number;
  /** Monotonic milliseconds (for `registryIntervalMs`). Default `performance.now`. */
  now?: () => number;
}

/** How `GET /api/stream` paces its reads (createApiApp's `live` option; tests inject `sleep`). */
export interface LiveStreamOptions {
  /** Wait between two reads when nothing woke the stream. Default 50 ms. */
  pollIntervalMs?: number;
  /** Interval of the `: keep-alive` comments. Default 15 s. */
  heartbeatMs?: number;
  /** Least time between two reads of the registry. Default 250 ms. */
  registryIntervalMs?: number;
  /** Most items one source gives per read. Default 200. */
  pageSize?: number;
  /** Waits `ms` or until `signal` aborts (never rejects). Default a timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** What one {@link LiveFeed.read} found. */
export interface LiveRead {
  /** New frames, in order. */
  frames: LiveFrame[];
  /** A source gave a full page: read again without waiting. */
  more: boolean;
}

const RUN_STATUS_OF: Partial<Record<EventType, RunStatus>> = {
  RUN_ENQUEUED: 'QUEUED',
  RUN_STARTING: 'STARTING',
  RUN_START: 'STARTED',
  RUN_SUCCESS: 'SUCCESS',
  RUN_FAILURE: 'FAILURE',
  RUN_CANCELING: 'CANCELING',
  RUN_CANCELED: 'CANCELED',
};
const RUN_EVENT_TYPES = Object.keys(RUN_STATUS_OF) as EventType[];
/** Ticks, versions and alias moves are first read in small pages (most reads find nothing new). */
const PROBE_SIZE = 10;
/** Most commits a branch reports per read (a longer gap reports its newest ones). */
const MAX_COMMITS_PER_BRANCH = MAX_PAGE_SIZE;

interface Instigator {
  key: string;
  name: string;
  type: TickRecord['type'];
}

/** A pass over the stream's sources; see the module comment. */
export class LiveFeed {
  readonly #options: LiveFeedOptions;
  readonly #topics: ReadonlySet<LiveTopic>;
  readonly #pageSize: number;
  readonly #now: () => number;
  #position: LivePosition;
  #lastRegistryRead = Number.NEGATIVE_INFINITY;

  private constructor(options: LiveFeedOptions, position: LivePosition) {
    this.#options = options;
    this.#topics = new Set(options.topics);
    this.#pageSize = Math.min(options.pageSize ?? 200, MAX_PAGE_SIZE);
    this.#now = options.now ?? (() => performance.now());
    this.#position = position;
  }

  /** Opens the feed at the cursor (INVALID_ARGUMENT when it is not one), or now. */
  static async open(options: LiveFeedOptions): Promise<LiveFeed> {
    const resumed = options.cursor === undefined ? {} : decodeLiveCursor(options.cursor);
    const feed = new LiveFeed(options, resumed);
    await feed.#startMissingSources();
    return feed;
  }

  /** The cursor of the current position (the id of the last frame read, or of "now"). */
  get cursor(): string {
    return encodeLiveCursor(this.#position);
  }

  /** Calls `wake` on this process's event-log appends and the repository's commits; returns the unsubscribe. */
  subscribe(wake: () => void): () => void {
    const stop = new AbortController();
    const notifier = eventLogNotifier(this.#options.instance.events);
    const listen = (): void => {
      void notifier.next(stop.signal).then(() => {
        if (stop.signal.aborted) return;
        wake();
        listen();
      });
    };
    listen();
    const data = this.#options.data;
    const watchesData = this.#topics.has('commits') || this.#topics.has('ticks') || this.#topics.has('runs');
    const unsubscribe =
      watchesData && data?.onCommit !== undefined
        ? data.onCommit(() => {
            wake();
          })
        : undefined;
    return () => {
      stop.abort();
      unsubscribe?.();
    };
  }

  /** One pass over the subscribed sources. */
  async read(): Promise<LiveRead> {
    const frames: LiveFrame[] = [];
    let more = false;
    if (this.#topics.has('commits')) await this.#readCommits(frames);
    if (this.#topics.has('ticks')) await this.#readTicks(frames);
    if (this.#topics.has('runs') || this.#topics.has('events')) more ||= await this.#readEvents(frames);
    if (this.#topics.has('models') && this.#now() - this.#lastRegistryRead >= this.#registryInterval()) {
      this.#lastRegistryRead = this.#now();
      await this.#readRegistry(frames);
    }
    return { frames, more };
  }

  #registryInterval(): number {
    return this.#options.registryIntervalMs ?? 250;
  }

  #frame(frames: LiveFrame[], event: LiveFrameKind, data: unknown): void {
    frames.push({ event, data, id: encodeLiveCursor(this.#position) });
  }

  /** Sets "now" for every subscribed source the position lacks. */
  async #startMissingSources(): Promise<void> {
    const p = this.#position;
    const { instance } = this.#options;
    if ((this.#topics.has('runs') || this.#topics.has('events')) && p.e === undefined) {
      const [newest] = await instance.events.getEvents({ order: 'NEWEST_FIRST', limit: 1 });
      p.e = newest?.id ?? 0;
    }
    if (this.#topics.has('ticks') && p.t === undefined) {
      p.t = {};
      for (const instigator of this.#instigators())
        p.t[instigator.key] = await this.#tickBaseline(instigator);
    }
    if (this.#topics.has('commits') && p.c === undefined) {
      p.c = {};
      for (const watched of await this.#watchedBranches()) {
        const head = await this.#head(watched);
        if (head !== undefined) p.c[watched.key] = head;
      }
    }
    if (this.#topics.has('models') && p.m === undefined && this.#options.registry !== undefined) {
      const registry = this.#options.registry;
      p.m = {};
      for (const model of await registry.searchRegisteredModels({ maxResults: MAX_PAGE_SIZE })) {
        const [newest] = await registry.searchModelVersions({ name: model.name, maxResults: 1 });
        const moves = await registry.aliasHistory(model.name, { maxResults: PROBE_SIZE });
        const at = moves[0]?.timestamp ?? 0;
        p.m[model.name] = [Number(newest?.version ?? 0), at, moves.filter((m) => m.timestamp === at).length];
      }
    }
  }

  // --- event log ---------------------------------------------------------------------------

  async #readEvents(frames: LiveFrame[]): Promise<boolean> {
    const p = this.#position;
    const { instance } = this.#options;
    const withEvents = this.#topics.has('events');
    const withRuns = this.#topics.has('runs');
    const events = await instance.events.getEvents({
      afterId: p.e ?? 0,
      limit: this.#pageSize,
      ...(withEvents ? {} : { types: RUN_EVENT_TYPES }),
    });
    for (const event of events) {
      const status = RUN_STATUS_OF[event.type];
      if (withRuns && status !== undefined && p.s !== event.id) {
        // Sent before the event frame: with both topics, the cursor between them says "run frame sent".
        if (withEvents) {
          p.e = event.id - 1;
          p.s = event.id;
        } else {
          p.e = event.id;
        }
        this.#frame(frames, 'run', await this.#runFrame(event, status));
      }
      if (withEvents) {
        p.e = event.id;
        delete p.s;
        this.#frame(frames, 'event', event);
      }
    }
    return events.length === this.#pageSize;
  }

  async #runFrame(event: StoredEvent, status: RunStatus): Promise<unknown> {
    const run = await this.#options.instance.runs.getRun(event.runId);
    return {
      runId: event.runId,
      status,
      eventId: event.id,
      eventType: event.type,
      timestamp: event.timestamp,
      jobName: run?.jobName ?? null,
      tags: run?.tags ?? {},
    };
  }

  // --- ticks -------------------------------------------------------------------------------

  #instigators(): Instigator[] {
    const { defs } = this.#options;
    return [
      ...defs.sensors.map((s) => ({ key: `SENSOR:${s.name}`, name: s.name, type: 'SENSOR' as const })),
      ...defs.schedules.map((s) => ({ key: `SCHEDULE:${s.name}`, name: s.name, type: 'SCHEDULE' as const })),
    ];
  }

  /** The instigator's ticks after `afterId`, oldest first (a probe, then a page when the probe is all new). */
  async #ticksAfter(instigator: Instigator, afterId: number, limit: number): Promise<TickRecord[]> {
    const schedules = this.#options.instance.schedules;
    let ticks = await schedules.listTicks(instigator.name, { limit });
    if (limit < this.#pageSize && ticks.length === limit && ticks.every((t) => (t.id ?? 0) > afterId)) {
      ticks = await schedules.listTicks(instigator.name, { limit: this.#pageSize });
    }
    return ticks
      .filter((t) => t.type === instigator.type && (t.id ?? 0) > afterId)
      .sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  }

  /** "Now" for an instigator: its newest finished tick not preceded by one still running. */
  async #tickBaseline(instigator: Instigator): Promise<number> {
    let baseline = 0;
    for (const tick of await this.#ticksAfter(instigator, 0, PROBE_SIZE)) {
      if (tick.status === 'STARTED') break;
      baseline = tick.id ?? baseline;
    }
    return baseline;
  }

  async #readTicks(frames: LiveFrame[]): Promise<void> {
    const reported = (this.#position.t ??= {});
    for (const instigator of this.#instigators()) {
      // An instigator's evaluations never overlap: its ticks finish in id order.
      for (const tick of await this.#ticksAfter(instigator, reported[instigator.key] ?? 0, PROBE_SIZE)) {
        if (tick.status === 'STARTED') break;
        reported[instigator.key] = tick.id ?? 0;
        this.#frame(frames, 'tick', tick);
      }
    }
  }

  // --- commits -----------------------------------------------------------------------------

  async #watchedBranches(): Promise<WatchedBranch[]> {
    return watchedBranches(this.#options.defs, this.#options.data);
  }

  async #head(watched: WatchedBranch): Promise<string | undefined> {
    const data = this.#options.data;
    if (data === undefined) return undefined;
    try {
      return (await data.getBranch({ repository: watched.repository, branch: watched.branch })).commitId;
    } catch {
      return undefined; // not created yet (or gone): nothing to report
    }
  }

  async #readCommits(frames: LiveFrame[]): Promise<void> {
    const data = this.#options.data;
    if (data === undefined) return;
    const reported = (this.#position.c ??= {});
    for (const watched of await this.#watchedBranches()) {
      const head = await this.#head(watched);
      if (head === undefined || head === reported[watched.key]) continue;
      const last = reported[watched.key];
      const commits = last === undefined ? [] : await this.#commitsSince(watched, head, last);
      if (commits.length === 0) {
        // A new branch, or a head moved back (reset): only the position moves.
        reported[watched.key] = head;
        continue;
      }
      for (const commit of commits) {
        reported[watched.key] = commit.id;
        this.#frame(frames, 'commit', {
          repository: watched.repository,
          branch: watched.branch,
          kind: commit.parents.length > 1 ? 'merge' : 'commit',
          ...commit,
        });
      }
    }
  }

  /** First-parent commits from `head` back to (not including) `last`, oldest first; [] when `last` is not an ancestor. */
  async #commitsSince(watched: WatchedBranch, head: string, last: string): Promise<Commit[]> {
    const data = this.#options.data as DataRepository;
    let since: Date;
    try {
      since = (await data.getCommit({ repository: watched.repository, ref: last })).creationDate;
    } catch {
      return [];
    }
    const found: Commit[] = [];
    let after: string | undefined;
    while (found.length < MAX_COMMITS_PER_BRANCH) {
      const page = await data.log({
        repository: watched.repository,
        ref: head,
        firstParent: true,
        amount: Math.min(this.#pageSize, MAX_COMMITS_PER_BRANCH - found.length),
        ...(after === undefined ? {} : { after }),
      });
      for (const commit of page.results) {
        if (commit.id === last) return found.reverse();
        // Older than the last reported commit without meeting it: the head was reset elsewhere.
        if (new Date(commit.creationDate).getTime() < new Date(since).getTime()) {
          return found.length === 0 ? [] : found.reverse();
        }
        found.push(commit);
      }
      if (!page.hasMore) break;
      after = page.nextOffset;
    }
    return found.reverse();
  }

  // --- registry ----------------------------------------------------------------------------

  async #readRegistry(frames: LiveFrame[]): Promise<void> {
    const registry = this.#options.registry;
    if (registry === undefined) return;
    const reported = (this.#position.m ??= {});
    for (const model of await registry.searchRegisteredModels({ maxResults: MAX_PAGE_SIZE })) {
      const at = (reported[model.name] ??= [0, 0, 0]);
      for (const version of await this.#versionsAfter(model.name, at[0])) {
        at[0] = Number(version.version);
        this.#frame(frames, 'model-version', version);
      }
      for (const move of await this.#movesAfter(model.name, at[1], at[2])) {
        if (move.timestamp === at[1]) at[2]++;
        else [at[1], at[2]] = [move.timestamp, 1];
        this.#frame(frames, 'alias', move);
      }
    }
  }

  async #versionsAfter(name: string, after: number): Promise<ModelVersion[]> {
    const registry = this.#options.registry as ModelRegistry;
    const isNew = (v: ModelVersion) => Number(v.version) > after;
    let versions = await registry.searchModelVersions({ name, maxResults: PROBE_SIZE });
    if (versions.length === PROBE_SIZE && versions.every(isNew)) {
      versions = await registry.searchModelVersions({ name, maxResults: this.#pageSize });
    }
    return versions.filter(isNew).reverse();
  }

  /** Moves newer than `(timestamp, seen)`: later timestamps, and those at `timestamp` past the first `seen`. */
  async #movesAfter(name: string, timestamp: number, seen: number): Promise<AliasMove[]> {
    const registry = this.#options.registry as ModelRegistry;
    let moves = await registry.aliasHistory(name, { maxResults: PROBE_SIZE });
    if (moves.length === PROBE_SIZE && moves.every((m) => m.timestamp >= timestamp)) {
      moves = await registry.aliasHistory(name, { maxResults: this.#pageSize });
    }
    const oldestFirst = moves.filter((m) => m.timestamp >= timestamp).reverse();
    const atTimestamp = oldestFirst.filter((m) => m.timestamp === timestamp).length;
    return oldestFirst.slice(Math.min(seen, atTimestamp));
  }
}
