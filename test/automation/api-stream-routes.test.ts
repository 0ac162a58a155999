/**
 * The live stream `GET /api/stream` through `app.request`, against a real SQLite instance, the
 * embedded data repository and the local model registry: it starts now; delivers a commit pushed
 * in process, then the sensor tick and the run it launched; appended events; model versions and
 * alias moves; resumes from a frame id (header or query) with exactly the missed frames; refuses
 * unknown topics and bad cursors; sends heartbeats; and stops reading its sources when the client
 * goes. The poll wait is injected (a manual poll), so nothing here waits on a timer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hono } from 'hono';
import { manualClock } from '../../src/clock.js';
import { SensorLoop } from '../../src/core/daemon/sensor-loop.js';
import { appendRunEvents } from '../../src/core/events/event-log-notifier.js';
import { Instance } from '../../src/core/instance/instance.js';
import { createApiApp } from '../../src/server/api-app.js';
import type { LiveStreamOptions } from '../../src/server/live-feed.js';
import { LocalModelRegistry } from '../../src/tracking/local/local-model-registry.js';
import { LocalTrackingStore } from '../../src/tracking/local/local-tracking-store.js';
import { dataCommitSensor } from '../../src/versioning/data-commit-sensor.js';
import { EmbeddedDataRepository } from '../../src/versioning/local/embedded-data-repository.js';
import { frameData, SseReader } from '../support/sse-frames.js';
import { automationDefs } from './fixtures/automation-defs.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

/** The stream's poll wait, driven by the test: `poll()` makes the stream read its sources once more. */
function manualPolls() {
  const waiting = new Set<() => void>();
  let pending = false;
  const signals: AbortSignal[] = [];
  let onSleep: (() => void) | undefined;
  const sleep: NonNullable<LiveStreamOptions['sleep']> = (_ms, signal) => {
    signals.push(signal);
    onSleep?.();
    if (pending) {
      pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        waiting.delete(done);
        resolve();
      };
      waiting.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  };
  return {
    sleep,
    signals,
    /** One more read of every source, starting after this call. */
    poll(): void {
      if (waiting.size === 0) pending = true;
      for (const done of [...waiting]) done();
    },
    /** Resolves at the stream's next wait (it read everything and is idle). */
    nextSleep(): Promise<void> {
      return new Promise((resolve) => {
        onSleep = () => {
          onSleep = undefined;
          resolve();
        };
      });
    },
  };
}

describe('REST API: live stream', () => {
  let dir: string;
  let instance: Instance;
  let data: EmbeddedDataRepository;
  let registry: LocalModelRegistry;
  let defs: ReturnType<typeof automationDefs>['defs'];
  let polls: ReturnType<typeof manualPolls>;
  let app: Hono;
  const open: SseReader[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lakeloop-'));
    instance = await Instance.ephemeral({ clock: manualClock(T0), storage: 'sqlite' });
    data = new EmbeddedDataRepository({ home: dir });
    await data.createRepository({ name: 'flights' });
    registry = new LocalModelRegistry({ root: join(dir, 'tracking') });
    const sensor = dataCommitSensor({
      name: 'new_data',
      repository: 'flights',
      branch: 'main',
      job: 'process',
      dataRepository: data,
    });
    defs = automationDefs({ sensors: [sensor] }).defs;
    polls = manualPolls();
    app = createApiApp({
      defs,
      instance,
      data,
      registry,
      live: { sleep: polls.sleep, registryIntervalMs: 0 },
    });
  });

  afterEach(async () => {
    for (const reader of open.splice(0)) await reader.close().catch(() => undefined);
    await registry.close();
    await data.close();
    await instance.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Subscribes; resolves once the stream has sent its id-only opening frame (the "now" cursor). */
  const subscribe = async (query: string, headers: Record<string, string> = {}) => {
    const response = await app.request(`/api/stream${query}`, { headers });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = new SseReader(response.body as ReadableStream<Uint8Array>);
    open.push(reader);
    const opening = await reader.next();
    expect(opening).toMatchObject({ event: undefined, data: undefined, id: expect.any(String) as string });
    return { reader, opening };
  };

  const commitOnMain = async (path: string, message: string) => {
    await data.putObject({ repository: 'flights', branch: 'main', path, content: message });
    return data.commit({ repository: 'flights', branch: 'main', message });
  };

  const log = (runId: string, message: string) =>
    appendRunEvents(instance.events, [{ runId, type: 'LOG', timestamp: T0, message }]);

  it('starts now, then delivers a pushed commit, its sensor tick and the run it queued, in that order', async () => {
    const old = await commitOnMain('flights/old.csv', 'before the client came');
    await log('earlier-run', 'before the client came');
    const { reader } = await subscribe('?topics=commits,ticks,runs');
    const jan = await commitOnMain('flights/2001-01.csv', 'January'); // onCommit wakes the stream
    const commit = await reader.nextEvent();
    expect(commit.event).toBe('commit');
    expect(frameData(commit)).toMatchObject({
      repository: 'flights',
      branch: 'main',
      id: jan.id,
      message: 'January',
      kind: 'commit',
    });
    const [tick] = await new SensorLoop({ defs, instance }).tick(T0 + 1000);
    expect(tick?.runKeys).toEqual([old.id, jan.id]); // the sensor had no cursor: both commits
    polls.poll(); // neither the tick nor createRun notify: the poll finds them
    const tickFrame = await reader.nextEvent();
    expect(tickFrame.event).toBe('tick');
    expect(frameData(tickFrame)).toMatchObject({
      instigatorName: 'new_data',
      status: 'SUCCESS',
      runKeys: [old.id, jan.id],
      runIds: tick?.runIds,
    });
    const runs = [await reader.nextEvent(), await reader.nextEvent()];
    expect(runs.map((run) => run.event)).toEqual(['run', 'run']);
    expect(runs.map((run) => frameData(run))).toEqual(
      [old.id, jan.id].map((commitId, i) =>
        (expect.objectContaining as (object: object) => unknown)({
          runId: tick?.runIds[i],
          status: 'QUEUED',
          eventType: 'RUN_ENQUEUED',
          jobName: 'process',
          tags: expect.objectContaining({ 'lakeloop/data_commit': commitId }) as unknown,
        }),
      ),
    );
    expect(new Set([commit.id, tickFrame.id, ...runs.map((run) => run.id)]).size).toBe(4);
  });

  it('delivers appended events, and a reconnect with Last-Event-ID gets exactly the frames it missed', async () => {
    const first = await subscribe('?topics=runs,events');
    await log('r1', 'one');
    const one = await first.reader.nextEvent();
    expect([one.event, frameData(one)['message']]).toEqual(['event', 'one']);
    await appendRunEvents(instance.events, [
      { runId: 'r1', type: 'RUN_START', timestamp: T0, message: 'go' },
    ]);
    // One run-level event: a `run` frame, then its `event` frame, each with its own cursor.
    const runFrame = await first.reader.nextEvent();
    const startEvent = await first.reader.nextEvent();
    expect([runFrame.event, frameData(runFrame)['status']]).toEqual(['run', 'STARTED']);
    expect([startEvent.event, frameData(startEvent)['type']]).toEqual(['event', 'RUN_START']);
    await first.reader.close();

    await log('r1', 'two');
    await log('r1', 'three');
    // Gone right after the run frame: the RUN_START event, then what came since, nothing twice.
    const again = await subscribe('?topics=runs,events', { 'last-event-id': runFrame.id ?? '' });
    const missed = [
      await again.reader.nextEvent(),
      await again.reader.nextEvent(),
      await again.reader.nextEvent(),
    ];
    expect(missed.map((f) => [f.event, frameData(f)['message']])).toEqual([
      ['event', 'go'],
      ['event', 'two'],
      ['event', 'three'],
    ]);
    expect(missed[0]?.id).toBe(startEvent.id);
    await log('r1', 'four');
    const live = await again.reader.nextEvent();
    expect(frameData(live)['message']).toBe('four');

    // The same through ?lastEventId= (what a first connection can give), from the first frame.
    const fromQuery = await subscribe(`?topics=runs,events&lastEventId=${one.id ?? ''}`);
    const replay = await fromQuery.reader.until(
      (f) => f.data !== undefined && frameData(f)['message'] === 'four',
    );
    expect(replay.filter((f) => f.event !== undefined).map((f) => f.event)).toEqual([
      'run',
      'event',
      'event',
      'event',
      'event',
    ]);
  });

  it('delivers new model versions and alias moves', async () => {
    const tracking = new LocalTrackingStore({ root: join(dir, 'tracking') });
    const experiment = await tracking.getOrCreateExperiment('delays');
    const trainingRun = async () =>
      (await tracking.createRun({ experimentId: experiment.experimentId, name: 'train' })).info.runId;
    await registry.registerModel('delays', { runId: await trainingRun() });
    const { reader } = await subscribe('?topics=models');
    const runId = await trainingRun();
    const v2 = await registry.registerModel('delays', {
      runId,
      tags: { 'lakeloop.data_commit': 'c1' },
    });
    await registry.setAlias({
      name: 'delays',
      alias: 'champion',
      version: v2.version,
      reason: 'AUC up',
      by: 'ci',
    });
    polls.poll(); // the registry pushes nothing
    const version = await reader.nextEvent();
    expect(version.event).toBe('model-version');
    expect(frameData(version)).toMatchObject({ name: 'delays', version: '2', runId });
    const alias = await reader.nextEvent();
    expect(alias.event).toBe('alias');
    expect(frameData(alias)).toMatchObject({
      name: 'delays',
      alias: 'champion',
      toVersion: '2',
      reason: 'AUC up',
      by: 'ci',
    });
    await reader.close();
    // Resumed after the version: the alias move only.
    await registry.registerModel('other', { runId: await trainingRun() }); // a model created since: all of it is new
    const resumed = await subscribe('?topics=models', { 'last-event-id': version.id ?? '' });
    const frames = [await resumed.reader.nextEvent(), await resumed.reader.nextEvent()];
    expect(frames.map((f) => [f.event, frameData(f)['name']])).toEqual([
      ['alias', 'delays'],
      ['model-version', 'other'],
    ]);
    await tracking.close();
  });

  it('refuses unknown topics and parameters, bad cursors, and topics whose part the server lacks', async () => {
    const unknown = await app.request('/api/stream?topics=runs,nope');
    expect(unknown.status).toBe(400);
    const body = (await unknown.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toMatch(/unknown topic "nope"; use runs, events, ticks, commits, models/);
    expect((await app.request('/api/stream?after=1')).status).toBe(400);
    const bad = await app.request('/api/stream', { headers: { 'last-event-id': 'not a cursor!' } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/Last-Event-ID is not a cursor of this stream/);
    const forged = Buffer.from(JSON.stringify({ e: -1 })).toString('base64url');
    expect((await app.request(`/api/stream?lastEventId=${forged}`)).status).toBe(400);
    app = createApiApp({ defs, instance });
    expect((await app.request('/api/stream?topics=commits')).status).toBe(503);
    expect((await app.request('/api/stream?topics=models')).status).toBe(503);
  });

  it('sends keep-alive comments at the heartbeat interval', async () => {
    app = createApiApp({ defs, instance, live: { sleep: polls.sleep, heartbeatMs: 1 } });
    const { reader } = await subscribe('?topics=events');
    const [heartbeat] = (await reader.until((f) => f.comments.includes('keep-alive'))).slice(-1);
    expect(heartbeat).toMatchObject({ event: undefined, data: undefined, comments: ['keep-alive'] });
  });

  it('stops reading its sources when the client goes', async () => {
    const reads = vi.spyOn(instance.events, 'getEvents');
    const { reader } = await subscribe('?topics=events');
    const idle = polls.nextSleep();
    polls.poll();
    await idle;
    const before = reads.mock.calls.length;
    expect(before).toBeGreaterThanOrEqual(2); // "now", then at least one read
    const waiting = polls.signals[polls.signals.length - 1] as AbortSignal;
    const aborted = new Promise<void>((resolve) => {
      waiting.addEventListener('abort', () => {
        resolve();
      });
    });
    await reader.close();
    await aborted; // the stream stopped waiting: the client went
    await log('r1', 'nobody listens'); // would wake a stream still running
    polls.poll();
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(reads.mock.calls.length).toBe(before);
    expect(polls.signals.length).toBe(polls.signals.indexOf(waiting) + 1); // no wait after the last
  });
});
