/** Helpers shared by the core tests: temporary folders and a recording sleep. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sleep } from '../../src/core/instance/instance.js';

/** A unique temporary folder and its cleanup. */
export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'lakeloop-'));
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** A sleep that records the requested delays and returns at once. */
export function recordingSleep(): Sleep & { calls: number[] } {
  const calls: number[] = [];
  const sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    calls.push(ms);
    signal?.throwIfAborted();
    return Promise.resolve();
  };
  return Object.assign(sleep, { calls });
}
