/**
 * Live-stream latency: a data commit → the `run` frame (STARTED) of the run it triggered, as a
 * client of `GET /api/stream?topics=ticks,runs` receives it. The daemon of the sensor-latency
 * benchmark (embedded repository whose onCommit wakes the data-commit sensor, SQLite storages,
 * a one-step job) runs in the same process as the API app, as in `lakeloop dev`. Latency = the
 * frame's arrival minus the moment before `commit()` was called. Goal (issue 14): ≤ 100 ms.
 *
 * ```sh
 * npm run bench -- stream-latency
 * ```
 */
import { createApiApp } from 'lakeloop/server';
import { frameData, SseReader } from '../test/support/sse-frames.js';
import { median, percentile, reportBench } from './bench-report.js';
import { startSensorBench, timeout } from './sensor-bench-daemon.js';

const COMMITS = Number(process.env.STREAM_BENCH_COMMITS ?? 20);
const FRAME_TIMEOUT_MS = 10_000;

const bench = await startSensorBench('push');
const app = createApiApp({
  defs: bench.defs,
  instance: bench.instance,
  daemon: bench.daemon,
  data: bench.data,
});
const response = await app.request('/api/stream?topics=ticks,runs');
if (response.status !== 200 || response.body === null)
  throw new Error(`GET /api/stream answered ${response.status}`);
const sse = new SseReader(response.body);
const latenciesMs: number[] = [];
try {
  await sse.next(); // the opening frame: the stream's "now" is taken
  for (let i = 0; i < COMMITS; i++) {
    await bench.data.putObject({
      repository: 'flights',
      branch: 'main',
      path: `chunk-${i}.csv`,
      content: `row,${i}\n`,
    });
    const committed = performance.now();
    const { id: commitId } = await bench.data.commit({
      repository: 'flights',
      branch: 'main',
      message: `chunk ${i}`,
    });
    // The tick names the run it launched; the run's frames may come before or after the tick's.
    const runIds = new Set<string>();
    const started = new Set<string>();
    await Promise.race([
      sse.until((frame) => {
        if (frame.data === undefined) return false;
        const payload = frameData(frame);
        if (frame.event === 'tick' && (payload['runKeys'] as string[]).includes(commitId)) {
          for (const runId of payload['runIds'] as string[]) runIds.add(runId);
        }
        if (frame.event === 'run' && payload['status'] === 'STARTED') started.add(payload['runId'] as string);
        return [...runIds].some((runId) => started.has(runId));
      }),
      timeout(FRAME_TIMEOUT_MS, `no STARTED run frame for commit ${i} within ${FRAME_TIMEOUT_MS} ms`),
    ]);
    latenciesMs.push(performance.now() - committed);
    await bench.daemon.queue.idle();
  }
} finally {
  await sse.close().catch(() => undefined);
  await bench.close();
}

console.log(
  `commit → STARTED run frame on /api/stream, ${COMMITS} commits: ${latenciesMs.map((ms) => ms.toFixed(0)).join(' ')} ms`,
);
reportBench(
  'stream-latency',
  [
    { name: 'commit_to_run_started_frame_p50', value: median(latenciesMs), unit: 'ms', goal: '<= 100 ms' },
    { name: 'commit_to_run_started_frame_p95', value: percentile(latenciesMs, 95), unit: 'ms' },
  ],
  { commits: COMMITS },
);
