/** Resources in worker processes: set up once per worker, torn down when the session closes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Instance, materialize, multiProcessExecutor } from '../../src/index.js';
import { defs } from './fixtures/resource-defs.js';
import { tempDir } from './core-test-helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/resource-defs.ts', import.meta.url));

describe('multi-process executor resources', { timeout: 180_000 }, () => {
  let dir: ReturnType<typeof tempDir>;
  let instance: Instance;
  beforeEach(async () => {
    dir = tempDir();
    instance = await Instance.open(dir.path);
  });
  afterEach(async () => {
    await instance.close();
    dir.remove();
  });

  it('sets each resource up once in the worker and tears both down before the run returns; a teardown failure is a LOG event', async () => {
    const run = await materialize(defs, {
      select: '*',
      instance,
      executor: multiProcessExecutor({ module: fixture, maxConcurrency: 1 }),
    });
    expect(run.status).toBe('SUCCESS');
    const lines = readFileSync(join(dir.path, 'journal.log'), 'utf8').trim().split('\n');
    const pids = new Set(lines.map((l) => l.split(' pid=')[1]));
    expect(pids.size).toBe(1); // one worker ran both steps
    expect(pids.has(String(process.pid))).toBe(false);
    expect(lines.map((l) => l.split(' pid=')[0])).toEqual([
      `setup session run=${run.runId}`,
      'setup cache',
      'teardown session',
      'teardown cache',
    ]);
    const logs = await instance.events.getEvents({ runId: run.runId, types: ['LOG'] });
    expect(logs.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/teardown failed.*session teardown failed on purpose/),
    );
  });
});
