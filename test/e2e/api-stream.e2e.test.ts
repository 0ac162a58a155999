/**
 * The live stream end to end against a real `lakeloop dev` process running the flight-delay
 * pipeline (embedded backends, flights-2k): a client subscribes to `GET /api/stream`, a branch is
 * created through the API, a month of flights is committed on it by another process (this test,
 * through the library, on the same embedded repository), the branch is merged into main through
 * the API, and the stream delivers the merge commit, then the sensor tick for it, then the steps
 * of the run it launched, then the model version trained on it — in that order.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDataRepository } from 'lakeloop/data';
import type { DataRepository } from 'lakeloop/data';
import { ensureRepository, importMonth, prepareSource } from '../../pipelines/flight-delays/demo-data.js';
import { embeddedTestEnv } from '../support/lakefs-test-env.js';
import { frameData, SseReader } from '../support/sse-frames.js';
import type { SseFrame } from '../support/sse-frames.js';
import { removeHome, tempHome } from './flight-delays-support.js';
import { devFromSource } from '../core/cli-test-helpers.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** The child's environment: embedded data and tracking (never the caller's lakeFS or MLflow). */
function devEnv(home: string): Record<string, string | undefined> {
  const env = embeddedTestEnv();
  delete env['MLFLOW_TRACKING_URI'];
  return { ...env, LAKELOOP_HOME: home };
}

describe('live stream against lakeloop dev (flights-2k, embedded)', () => {
  let home: string;
  let data: DataRepository;
  let child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  let stream: SseReader | undefined;

  beforeEach(() => {
    home = tempHome();
  });

  afterEach(async () => {
    await stream?.close().catch(() => undefined);
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await data.close();
    removeHome(home);
  });

  it('delivers a merge posted through the API, then its tick, its run steps and the model version', async () => {
    data = createDataRepository({ home, env: devEnv(home) });
    await ensureRepository(data, 'flights');
    const source = await prepareSource({ dataset: 'flights-2k', workDir: join(home, 'work') });

    child = spawn(
      process.execPath,
      devFromSource(join(root, 'pipelines', 'flight-delays', 'definitions.ts')),
      { cwd: root, env: devEnv(home), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      url = /API at (http:\/\/\S+)\/api/.exec(line)?.[1];
      if (url !== undefined) break;
    }
    expect(url, `lakeloop dev printed no URL; stderr: ${stderr}`).toBeDefined();
    const api = url ?? '';

    const response = await fetch(`${api}/api/stream?topics=commits,ticks,runs,events,models`);
    expect(response.status).toBe(200);
    stream = new SseReader(response.body as ReadableStream<Uint8Array>);
    expect((await stream.next()).id).toBeDefined(); // subscribed: "now" is taken

    const post = async (path: string, body: unknown) => {
      const answer = await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    };
    const branch = await post('/api/data/repositories/flights/branches', { name: 'jan', source: 'main' });
    expect(branch.status).toBe(201);
    await importMonth({
      data,
      source,
      month: '2001-01',
      repository: 'flights',
      branch: 'jan',
      prefix: 'flights',
    });
    const merge = await post('/api/data/repositories/flights/refs/jan/merge/main', { message: 'January' });
    expect(merge).toMatchObject({ status: 200, body: { kind: 'merge' } });
    const commitId = merge.body['reference'] as string;

    // Every frame until the version trained on the merge and the end of its run.
    let runId: string | undefined;
    let versionSeen = false;
    let runEnded = false;
    const frames: SseFrame[] = await stream.until((frame) => {
      if (frame.data === undefined) return false;
      const payload = frameData(frame);
      if (frame.event === 'tick' && (payload['runKeys'] as string[]).includes(commitId)) {
        runId = (payload['runIds'] as string[])[0];
      }
      if (frame.event === 'model-version') {
        versionSeen ||= (payload['tags'] as Record<string, string>)['lakeloop.data_commit'] === commitId;
      }
      if (frame.event === 'run' && payload['runId'] === runId) {
        runEnded ||= ['SUCCESS', 'FAILURE', 'CANCELED'].includes(payload['status'] as string);
      }
      return versionSeen && runEnded;
    });
    const at = (matches: (frame: SseFrame, payload: Record<string, unknown>) => boolean): number =>
      frames.findIndex((frame) => frame.data !== undefined && matches(frame, frameData(frame)));

    const commit = at((f, p) => f.event === 'commit' && p['id'] === commitId);
    const tick = at((f, p) => f.event === 'tick' && (p['runKeys'] as string[]).includes(commitId));
    const firstStep = at((f, p) => f.event === 'event' && p['runId'] === runId && p['type'] === 'STEP_START');
    const version = at(
      (f, p) =>
        f.event === 'model-version' &&
        (p['tags'] as Record<string, string>)['lakeloop.data_commit'] === commitId,
    );
    expect(frameData(frames[commit] as SseFrame)).toMatchObject({
      repository: 'flights',
      branch: 'main',
      kind: 'merge',
      message: 'January',
      metadata: { 'lakeloop.merged_by': 'local' },
    });
    expect(commit).toBeGreaterThanOrEqual(0);
    expect(tick).toBeGreaterThan(commit);
    expect(firstStep).toBeGreaterThan(tick);
    expect(version).toBeGreaterThan(firstStep);
    // The run's steps, as the stream told them (each step started before it finished).
    const steps = frames
      .filter((f) => f.event === 'event')
      .map((f) => frameData(f))
      .filter((p) => p['runId'] === runId && (p['type'] === 'STEP_START' || p['type'] === 'STEP_SUCCESS'))
      .map((p) => `${p['type'] as string} ${p['stepKey'] as string}`);
    expect(steps.slice(0, 6)).toEqual([
      'STEP_START load_data',
      'STEP_SUCCESS load_data',
      'STEP_START preprocess',
      'STEP_SUCCESS preprocess',
      'STEP_START train_model',
      'STEP_SUCCESS train_model',
    ]);
    expect(
      frames
        .filter((f) => f.event === 'run' && frameData(f)['runId'] === runId)
        .map((f) => frameData(f)['status']),
    ).toContain('STARTED');
    // Why the version did (not) become champion: the rules that decided, with their numbers. On
    // the 2k-row January the AUC is near 0.57, under the 0.6 floor, so the answer is a refusal.
    const trained = frameData(frames[version] as SseFrame) as { name: string; version: string };
    const answer = await fetch(`${api}/api/models/${trained.name}/versions/${trained.version}/why`);
    expect(answer.status).toBe(200);
    const why = (await answer.json()) as {
      outcome: string;
      summary: string;
      decision: {
        checks: { checkName: string; passed: boolean }[];
        decidedBy: {
          checkName: string;
          passed: boolean;
          rule: string | null;
          metadata: Record<string, unknown>;
        }[];
        move: { alias: string; to: string } | null;
      };
    };
    const failed = why.decision.checks.filter((check) => !check.passed).map((check) => check.checkName);
    expect(why.outcome).toBe(failed.length > 0 ? 'refused' : 'promoted');
    expect(why.decision.decidedBy.length).toBeGreaterThan(0);
    for (const check of why.decision.decidedBy) {
      expect(check.rule).toMatch(/\w/);
      expect(Object.values(check.metadata).some((value) => typeof value === 'number')).toBe(true);
    }
    if (why.outcome === 'refused') {
      for (const name of failed) expect(why.summary).toContain(name);
      expect(why.decision.decidedBy.map((check) => check.checkName)).toEqual(failed);
      expect(why.decision.move).toBeNull();
    } else {
      expect(why.decision.move).toMatchObject({ alias: 'champion', to: trained.version });
    }
    expect(why.decision.decidedBy.map((check) => check.checkName)).toContain('auc_floor');
  }, 300_000);
});
