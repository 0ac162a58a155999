/**
 * An embedded end-to-end test stays embedded when the caller's shell exports a lakeFS server (as
 * docs/data.md tells users to do): here LAKEFS_* (and LAKELOOP_DATA_BACKEND=lakefs) point at an
 * unreachable loopback port in this test process, and one month goes through the flight-delay
 * loop without any request to it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MockInstance } from 'vitest';
import { createDataRepository } from '../../src/versioning/data-repository-factory.js';
import { embeddedTestEnv } from '../support/lakefs-test-env.js';
import { startDemo } from '../../pipelines/flight-delays/demo-runner.js';
import type { Demo } from '../../pipelines/flight-delays/demo-runner.js';
import { removeHome, tempHome } from './flight-delays-support.js';

const UNREACHABLE = 'http://127.0.0.1:9';
const EXPORTED = {
  LAKEFS_ENDPOINT: UNREACHABLE,
  LAKEFS_ACCESS_KEY_ID: 'AKIAEXPORTEDBYTHECALLER',
  LAKEFS_SECRET_ACCESS_KEY: 'exported-secret',
  LAKELOOP_DATA_BACKEND: 'lakefs',
};

let home: string;
let demo: Demo | undefined;
let fetchSpy: MockInstance<typeof fetch>;
const saved = new Map<string, string | undefined>();

beforeEach(() => {
  home = tempHome();
  for (const [key, value] of Object.entries(EXPORTED)) {
    saved.set(key, process.env[key]);
    process.env[key] = value;
  }
  fetchSpy = vi.spyOn(globalThis, 'fetch');
});

afterEach(async () => {
  await demo?.close();
  demo = undefined;
  fetchSpy.mockRestore();
  for (const [key, value] of saved) {
    if (value === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = value;
  }
  saved.clear();
  removeHome(home);
});

function requestsToTheExportedServer(): string[] {
  return fetchSpy.mock.calls
    .map(([input]) => (input instanceof Request ? input.url : String(input)))
    .filter((url) => url.startsWith(UNREACHABLE));
}

describe('embedded e2e tests with LAKEFS_* exported', () => {
  it('the exported server is really in effect for code that reads process.env', () => {
    // what the e2e tests did before they passed their own env
    expect(createDataRepository({ home, env: process.env }).kind).toBe('lakefs');
  });

  it('a month goes through the loop on the embedded backend, nothing reaches the exported server', async () => {
    demo = await startDemo({
      home,
      env: embeddedTestEnv(),
      dataset: 'flights-2k',
      config: {
        aucFloor: 0,
        aucTolerance: 1,
        gbdt: { maxIterations: 5, maxLeaves: 4, minSamplesLeaf: 20 },
        baseline: false,
      },
    });
    expect(demo.data.kind).toBe('embedded');
    const outcome = await demo.commitMonth('2001-01');
    expect(outcome.run.status).toBe('SUCCESS');
    expect(requestsToTheExportedServer()).toEqual([]);
  });
});
